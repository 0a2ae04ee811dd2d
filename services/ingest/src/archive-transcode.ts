import { randomBytes } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { FlvReader } from '@headwater/flv';
import { isSafeId } from '@headwater/jobs';
import type { LadderConfig } from '@headwater/ladder';
import type { Logger } from '@headwater/log';
import { parseArchiveObjectKey } from './archive-consumer.js';
import { SegmentFeed, endPlayback } from './segment-feed.js';

/**
 * BullMQ priority of archive segment jobs. Live jobs carry none, and BullMQ runs those first:
 * a VOD backlog never delays a live stream's segments.
 */
export const VOD_JOB_PRIORITY = 10;
/** Segments read ahead of the uploads; the archive waits (it is not live), so memory stays bounded. */
const DEFAULT_READ_AHEAD_SEGMENTS = 4;

export interface ArchiveTranscodeOptions {
  s3: S3Client;
  bucket: string;
  redis: Redis;
  queue: Queue;
  logger: Logger;
  /** An archive object key (`archives/<channel>/<day>/<start>_<session>.flv`). */
  archiveKey: string;
  /** Playback session id. @defaultValue `vod-<archive session>-<random>` (a new output per run) */
  sessionId?: string;
  ladder?: Partial<LadderConfig>;
  /** @defaultValue {@link VOD_JOB_PRIORITY} */
  priority?: number;
  signal?: AbortSignal;
}

export interface ArchiveTranscodeResult {
  channelId: string;
  /** The playback session: its packaging state and output prefix. */
  sessionId: string;
  outputPrefix: string;
  segmentCount: number;
  /** Media duration of the archive, ms. */
  durationMs: number;
}

/** Thrown for an archive that cannot be transcoded (unknown key, not FLV, no ladder for its media). */
export class ArchiveTranscodeError extends Error {
  override readonly name = 'ArchiveTranscodeError';
}

/**
 * Turns an archived session into a VOD ladder with the live path's own machinery: the FLV is
 * streamed from S3 through a {@link SegmentFeed}, which cuts, uploads and enqueues one segment
 * job per segment (at {@link VOD_JOB_PRIORITY}); every worker of the pool takes them in
 * parallel, so an archive transcodes as fast as the pool allows, not at the pace of the
 * original publish. Resolves once every job is enqueued and the session is marked ended; the
 * playlists turn VOD when the last job is done.
 */
export async function transcodeArchive(opts: ArchiveTranscodeOptions): Promise<ArchiveTranscodeResult> {
  const source = parseArchiveObjectKey(opts.archiveKey);
  if (source === null) throw new ArchiveTranscodeError('not an archive object key (archives/<channel>/<day>/<start>_<session>.flv)');
  const sessionId = opts.sessionId ?? `vod-${source.sessionId}-${randomBytes(3).toString('hex')}`;
  if (!isSafeId(sessionId)) throw new ArchiveTranscodeError('sessionId must be a safe id');

  const feed = new SegmentFeed({
    s3: opts.s3,
    bucket: opts.bucket,
    redis: opts.redis,
    queue: opts.queue,
    logger: opts.logger,
    channelId: source.channelId,
    sourceSessionId: sessionId,
    startedAtMs: source.startedAt.getTime(),
    priority: opts.priority ?? VOD_JOB_PRIORITY,
    ...(opts.ladder ? { ladder: opts.ladder } : {}),
  });
  const res = await opts.s3.send(new GetObjectCommand({ Bucket: opts.bucket, Key: opts.archiveKey }), opts.signal ? { abortSignal: opts.signal } : {});
  const body = res.Body as AsyncIterable<Uint8Array> | undefined;
  if (!body) throw new ArchiveTranscodeError('empty archive object');
  const reader = new FlvReader();
  let firstMs: number | undefined;
  let lastMs = 0;
  for await (const chunk of body) {
    for (const tag of reader.push(chunk)) {
      if (tag.type === 8 || tag.type === 9) {
        firstMs ??= tag.timestampMs;
        lastMs = Math.max(lastMs, tag.timestampMs);
      }
      feed.push(tag);
    }
    if (feed.disabled) throw new ArchiveTranscodeError('no ladder for this archive\'s media');
    // Backpressure: the S3 stream pauses while uploads and enqueues catch up.
    await feed.pendingAtMost(DEFAULT_READ_AHEAD_SEGMENTS);
    opts.signal?.throwIfAborted();
  }
  try {
    reader.end();
  } catch {
    // A torn last tag (an archive cut short): transcode what came whole.
    opts.logger.warn({ channelId: source.channelId, sessionId }, 'archive ends inside a tag; transcoding the whole tags before it');
  }
  const result = await feed.finish();
  if (result === null) throw new ArchiveTranscodeError(feed.disabled ? "no ladder for this archive's media" : 'the archive holds no media');
  await endPlayback(opts, result.playback, result.segmentCount);
  opts.logger.info({ channelId: source.channelId, sessionId, segments: result.segmentCount }, 'archive enqueued for transcoding');
  return {
    channelId: source.channelId,
    sessionId: result.playback.sessionId,
    outputPrefix: result.playback.outputPrefix,
    segmentCount: result.segmentCount,
    durationMs: lastMs - (firstMs ?? 0),
  };
}
