import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  SEGMENT_JOB_VERSION,
  createPackaging,
  outputPrefix,
  renditionSpecs,
  segmentJobId,
  sourceSegmentKey,
  updatePackaging,
} from '@headwater/jobs';
import type { SegmentJob } from '@headwater/jobs';
import { planLadder } from '@headwater/ladder';
import type { LadderConfig, LadderPlan, LadderSource } from '@headwater/ladder';
import type { Logger } from '@headwater/log';
import { SourceSegmenter } from '@headwater/mkv';
import type { SourceSegment } from '@headwater/mkv';
import { applyEnd, applySegmentFailed, applySourceSegment, createPackagingState } from '@headwater/packager';
import type { EndReason, MediaConsumer, MediaTag, SessionInfo } from './tee.js';
import { errorSummary } from './tee.js';

/** Source segments cut but not yet uploaded and enqueued; beyond it the feed detaches (S3 or Redis too slow). */
export const DEFAULT_MAX_PENDING_SEGMENTS = 16;
/** BullMQ attempts per segment job (a worker crash or a transient error; undecodable input is not retried). */
export const SEGMENT_JOB_ATTEMPTS = 5;

export interface TranscodeConsumerOptions {
  s3: S3Client;
  bucket: string;
  /** Holds the packaging state. */
  redis: Redis;
  /** The segment queue (`SEGMENT_QUEUE_NAME`) workers consume. */
  queue: Queue;
  logger: Logger;
  /** Ladder settings; `segmentDurationMs` is also the segmenter's target. */
  ladder?: Partial<LadderConfig>;
  /** @defaultValue {@link DEFAULT_MAX_PENDING_SEGMENTS} */
  maxPendingSegments?: number;
}

/** What the planner needs, from the first source segment's default tracks (multitrack extras are not offered yet). */
export function ladderSourceOf(segment: SourceSegment): LadderSource {
  const video = segment.video.find((t) => t.flvTrackId === 0);
  const audio = segment.audio.find((t) => t.flvTrackId === 0);
  return {
    ...(video ? { video: { ...video.description, bitrateBps: video.bitrateBps, ...(video.frameRate === undefined ? {} : { frameRate: video.frameRate }) } } : {}),
    ...(audio ? { audio: { ...audio.description, bitrateBps: audio.bitrateBps } } : {}),
  };
}

/**
 * The transcoder feed: cuts each publish into Matroska source segments at key frames, uploads
 * each to S3 and enqueues one segment job for it; plans the ladder and creates the packaging
 * state at the first segment; ends the packaging (VOD playlists) when the publish ends.
 * `tag()` only runs the in-memory segmenter; uploads run behind it, bounded.
 */
export function transcodeConsumerFactory(opts: TranscodeConsumerOptions) {
  const maxPending = opts.maxPendingSegments ?? DEFAULT_MAX_PENDING_SEGMENTS;
  return (info: SessionInfo): MediaConsumer => {
    const { sessionId, channelId } = info;
    const log = { sessionId, channelId };
    const prefix = outputPrefix(channelId, sessionId);
    const segmenter = new SourceSegmenter({ targetDurationMs: opts.ladder?.segmentDurationMs ?? 2000 });
    let plan: LadderPlan | null = null;
    /** Set when planning failed: nothing to transcode for this session. */
    let disabled = false;
    let pending = 0;
    let segmentCount = 0;
    let chain: Promise<void> = Promise.resolve();

    const handle = async (segment: SourceSegment, isLast: boolean): Promise<void> => {
      if (disabled) return;
      if (plan === null) {
        try {
          plan = planLadder(ladderSourceOf(segment), opts.ladder ?? {});
        } catch (err) {
          disabled = true;
          opts.logger.warn({ ...log, err: errorSummary(err) }, 'no ladder for this source: not transcoding');
          return;
        }
        await createPackaging(opts.redis, createPackagingState({ sessionId, channelId, startedAtMs: info.startedAt.getTime(), renditions: renditionSpecs(plan) }));
        opts.logger.info({ ...log, renditions: renditionSpecs(plan).map((r) => r.id) }, 'transcoding session');
      }
      segmentCount = Math.max(segmentCount, segment.index + 1);
      const key = sourceSegmentKey(channelId, sessionId, segment.index);
      try {
        await opts.s3.send(new PutObjectCommand({ Bucket: opts.bucket, Key: key, Body: segment.bytes, ContentType: 'video/x-matroska' }));
        await updatePackaging(opts.redis, sessionId, (s) => applySourceSegment(s, { index: segment.index, durationMs: segment.durationMs }));
        const job: SegmentJob = {
          version: SEGMENT_JOB_VERSION,
          sessionId,
          channelId,
          index: segment.index,
          startMs: segment.startMs,
          durationMs: segment.durationMs,
          isLast,
          sourceKey: key,
          ...(segment.index > 0 ? { previousSourceKey: sourceSegmentKey(channelId, sessionId, segment.index - 1) } : {}),
          plan,
          outputPrefix: prefix,
        };
        await opts.queue.add('segment', job, {
          jobId: segmentJobId(sessionId, segment.index),
          attempts: SEGMENT_JOB_ATTEMPTS,
          backoff: { type: 'exponential', delay: 500 },
          removeOnComplete: true,
          removeOnFail: 1000,
        });
      } catch (err) {
        // The segment never reaches a worker: a gap, so the playlists do not wait for it forever.
        opts.logger.error({ ...log, index: segment.index, err: errorSummary(err) }, 'source segment not enqueued');
        // Retried: the failure is often the Redis outage itself, and an unmarked segment would
        // hold the playlists back forever.
        await persistently(() => updatePackaging(opts.redis, sessionId, (s) => applySegmentFailed(s, { index: segment.index, durationMs: segment.durationMs }))).catch((e: unknown) =>
          opts.logger.error({ ...log, index: segment.index, err: errorSummary(e) }, 'gap not recorded'),
        );
      }
    };

    const enqueue = (segments: readonly SourceSegment[], lastIndex: number | null): void => {
      for (const segment of segments) {
        pending++;
        chain = chain
          .then(() => handle(segment, segment.index === lastIndex))
          // Never let the chain reject: a rejection would stop every later segment (and be unhandled).
          .catch((err: unknown) => opts.logger.error({ ...log, index: segment.index, err: errorSummary(err) }, 'transcode feed step failed'))
          .finally(() => void pending--);
      }
    };

    return {
      name: 'transcode',
      start() {},
      tag(tag: MediaTag) {
        if (disabled) return;
        enqueue(segmenter.push(tag), null);
        // Throwing detaches this consumer only (see Tee): ingest and the archive go on.
        if (pending > maxPending) throw new Error(`transcoder feed is ${pending} segments behind`);
      },
      async end(reason: EndReason) {
        const rest = disabled ? [] : segmenter.flush();
        enqueue(rest, rest.at(-1)?.index ?? null);
        await chain;
        if (plan === null || disabled) return;
        // A reconnect grace period would keep the session open here; until then every end is final.
        await persistently(() => updatePackaging(opts.redis, sessionId, (s) => applyEnd(s, { segmentCount })));
        opts.logger.info({ ...log, segments: segmentCount, reason }, 'transcode feed ended');
      },
    };
  };
}

/** Attempts of {@link persistently}: 250 ms doubling to 8 s, about a minute in all. */
const PERSIST_ATTEMPTS = 10;

/** Runs `fn` until it succeeds, backing off, for state changes that must not be lost to a short outage. */
async function persistently<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= PERSIST_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** (attempt - 1), 8000)));
    }
  }
}
