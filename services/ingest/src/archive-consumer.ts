import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { SessionArchive, type ArchiveResult } from '@headwater/archive';
import { flvHeader, flvTag } from '@headwater/flv';
import type { Logger } from '@headwater/log';
import type { EndReason, MediaConsumer, MediaTag, SessionInfo } from './tee.js';

export interface ArchiveConsumerOptions {
  s3: S3Client;
  bucket: string;
  spoolDir: string;
  partBytes: number;
  logger: Logger;
  /** Told when a session's object is complete in S3 (webhooks). */
  onArchived?: (info: SessionInfo, result: ArchiveResult) => void;
  /** Archives still writing or uploading are kept here (spool and upload-lag metrics sample it). */
  openArchives?: Set<SessionArchive>;
}

/**
 * Object key of a session's archive: channel and start time only, never the stream key.
 * `archives/<channel>/<YYYY-MM-DD>/<ISO start>_<session>.flv` sorts by time within a channel.
 */
export function archiveObjectKey(info: Pick<SessionInfo, 'channelId' | 'startedAt' | 'sessionId'>): string {
  const iso = info.startedAt.toISOString().replace(/[:.]/g, '-');
  return `archives/${info.channelId}/${iso.slice(0, 10)}/${iso}_${info.sessionId}.flv`;
}

const ARCHIVE_KEY_RE = /^archives\/([^/]+)\/\d{4}-\d{2}-\d{2}\/(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z_([^/]+)\.flv$/;

/** The inverse of {@link archiveObjectKey}; null for a key it did not make. */
export function parseArchiveObjectKey(key: string): Pick<SessionInfo, 'channelId' | 'startedAt' | 'sessionId'> | null {
  const m = ARCHIVE_KEY_RE.exec(key);
  if (m === null) return null;
  const [, channelId, day, hh, mm, ss, ms, sessionId] = m as unknown as [string, string, string, string, string, string, string, string];
  const startedAt = new Date(`${day}T${hh}:${mm}:${ss}.${ms}Z`);
  return Number.isNaN(startedAt.getTime()) ? null : { channelId, startedAt, sessionId };
}

/**
 * Writes each publish session as one FLV file (header, then every tag as received, bodies byte
 * for byte) into a disk-spooled multipart upload. `tag()` only appends to the spool buffer, so
 * a slow or unreachable S3 never slows ingest.
 */
export function archiveConsumerFactory(opts: ArchiveConsumerOptions) {
  return async (info: SessionInfo): Promise<MediaConsumer> => {
    const archive = await SessionArchive.create({
      spoolDir: opts.spoolDir,
      s3: opts.s3,
      bucket: opts.bucket,
      key: archiveObjectKey(info),
      partBytes: opts.partBytes,
      contentType: 'video/x-flv',
      id: `${info.channelId}-${info.sessionId}`,
      logger: opts.logger,
    });
    opts.openArchives?.add(archive);
    // Both flags set: the header is written before we know which media will follow.
    archive.write(flvHeader({ audio: true, video: true }));
    return {
      name: 'archive',
      start() {},
      tag(tag: MediaTag) {
        archive.write(flvTag(tag.type, tag.timestampMs, tag.body));
      },
      async end(reason: EndReason) {
        try {
          if (reason === 'shutdown') {
            // Leave the spool for the next start to finish; uploading now could outlast the drain.
            await archive.close();
            return;
          }
          const result = await archive.finish();
          opts.logger.info({ sessionId: info.sessionId, channelId: info.channelId, objectKey: result.key, bytes: result.bytes }, 'session archived');
          opts.onArchived?.(info, result);
        } finally {
          opts.openArchives?.delete(archive);
        }
      },
    };
  };
}

export function newSessionId(): string {
  return randomUUID();
}
