import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { SEGMENT_QUEUE_NAME, parseSegmentJob } from '@headwater/jobs';
import type { SegmentJob } from '@headwater/jobs';
import { planRenditionIds } from '@headwater/ladder';
import { watchFailedJobGaps } from './failed-job-gaps.js';
import type { FailedJobGapOptions, SegmentGapReason } from './failed-job-gaps.js';
import type { ArgvFfmpegRunner } from './ffmpeg-runner.js';
import { SpawnFfmpegRunner } from './ffmpeg-runner.js';
import { markSegmentGap, processSegmentJob } from './process-segment-job.js';
import type { SegmentJobResult } from './process-segment-job.js';

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  /** Redis for BullMQ and the packaging state. BullMQ needs `maxRetriesPerRequest: null` on it. */
  connection: Redis;
  /** Segment jobs run at once in this process. @defaultValue 1 */
  concurrency?: number;
  s3: S3Client;
  bucket: string;
  /** @defaultValue a spawn runner (`ffmpeg` on PATH) */
  runner?: ArgvFfmpegRunner;
  /** @defaultValue `<os tmpdir>/headwater-worker` */
  workDir?: string;
  /** ffmpeg threads per decoder/encoder. */
  threads?: number;
  /** Close gracefully on SIGTERM/SIGINT. @defaultValue true */
  handleSignals?: boolean;
  /** @defaultValue {@link SEGMENT_QUEUE_NAME} */
  queueName?: string;
  /** How long a job's lock lives without renewal (renewed every half of it). @defaultValue {@link DEFAULT_LOCK_DURATION_MS} */
  lockDurationMs?: number;
  /** How often this worker looks for jobs whose lock expired. @defaultValue {@link DEFAULT_STALLED_INTERVAL_MS} */
  stalledIntervalMs?: number;
  /**
   * Times a job may lose its lock (its worker died or froze) and still be retried; one more and
   * BullMQ fails it, and its segment becomes a gap. @defaultValue {@link DEFAULT_MAX_STALLED_COUNT}
   */
  maxStalledCount?: number;
  /** Retries of recording the gap of a job that failed for good (see `watchFailedJobGaps`). */
  gaps?: Omit<FailedJobGapOptions, 'onGap'>;
  /** Callbacks on segment outcomes (webhooks, metrics). See {@link SegmentWorkerEvents}. */
  events?: SegmentWorkerEvents;
}

/** What a segment job published (see {@link SegmentWorkerEvents.segmentPublished}). */
export interface SegmentPublished {
  /**
   * Published prefix just before this job's update of the packaging state. The job's segment
   * was pending until that update, and the update touches only that segment, so the prefix
   * before was `min(job.index, publishedCount)`. Only a duplicate run of a job (its lock lost
   * after it finished) reports a transition that an earlier run already reported.
   */
  readonly publishedCountBefore: number;
  /** Published prefix right after this job's update (segments `0..publishedCount-1` are in the playlists). */
  readonly publishedCount: number;
  /** Rendition ids of the session, ladder order. */
  readonly renditions: readonly string[];
  /** `.m4s` bytes this job wrote, per rendition. */
  readonly bytes: Readonly<Record<string, number>>;
}

/**
 * Optional callbacks on what happens to segments, for whoever composes the worker (webhooks,
 * metrics). They run synchronously on the worker's event loop, so keep them quick (enqueue, count);
 * one that throws (or returns a rejected promise) never fails or retries the job: the error is
 * reported as a worker 'error' event when the worker has a listener, and dropped otherwise.
 */
export interface SegmentWorkerEvents {
  /**
   * A job's outputs are uploaded, recorded in the packaging state and the playlists rewritten.
   * At least once per segment (a job that lost its lock may run again).
   */
  segmentPublished?(job: SegmentJob, published: SegmentPublished): void;
  /**
   * A job failed for good and its segment became a gap (an `EXT-X-GAP`), whatever failed it:
   * called once its gap is recorded (or recording it was given up on).
   */
  segmentGap?(job: SegmentJob, reason: SegmentGapReason): void;
}

/**
 * Lock lifetime of a segment job. A worker that dies without releasing its jobs (SIGKILL, OOM,
 * power loss) holds them until the lock expires, and the live playlists wait that long for the
 * segment. BullMQ's 30 s default would freeze a 2 s-segment stream for up to a minute; 10 s
 * keeps the wait short while leaving ample margin for a renewal (every 5 s, from a free event
 * loop: ffmpeg runs in a child process). A lock lost anyway only means a duplicate run of an
 * idempotent job.
 */
export const DEFAULT_LOCK_DURATION_MS = 10_000;
/** Stalled-job check period: a dead worker's job is retried at most lock + this after its last renewal. */
export const DEFAULT_STALLED_INTERVAL_MS = 5_000;
/**
 * A segment whose job killed or froze its worker twice is more likely the cause than the victim
 * (an input that makes ffmpeg eat all memory): the second stall fails the job and leaves a gap,
 * rather than taking down a third worker. BullMQ's default.
 */
export const DEFAULT_MAX_STALLED_COUNT = 1;

/** A running segment worker. */
export interface SegmentWorker {
  readonly worker: Worker;
  /**
   * Stops taking jobs and waits for the in-flight ones to finish, for up to `graceMs`; then
   * kills their ffmpeg and leaves them to another worker (their locks expire, jobs are idempotent).
   */
  close(opts?: { graceMs?: number }): Promise<void>;
}

/** How long a closing worker lets in-flight jobs finish (a 2 s segment takes well under this). */
export const DEFAULT_CLOSE_GRACE_MS = 15_000;

/**
 * Starts a BullMQ worker for segment jobs. On SIGTERM it stops fetching, lets in-flight jobs
 * finish and closes; a worker killed harder leaves its jobs' locks to expire, and BullMQ's
 * stalled-job check hands them to another worker (jobs are idempotent). Every job that fails for
 * good leaves a gap in the playlists, whatever failed it.
 */
export function startWorker(opts: StartWorkerOptions): SegmentWorker {
  const runner = opts.runner ?? new SpawnFfmpegRunner();
  // Hook errors go to the worker's 'error' listeners (only called once jobs run, so `worker` exists).
  const report = (err: unknown): void => {
    if (worker.listenerCount('error') > 0) worker.emit('error', err instanceof Error ? err : new Error(String(err)));
  };
  const segmentPublished = guardHook(opts.events?.segmentPublished?.bind(opts.events), report);
  const segmentGap = guardHook(opts.events?.segmentGap?.bind(opts.events), report);
  const workDir = opts.workDir ?? path.join(os.tmpdir(), 'headwater-worker');
  // Aborted when a close outlasts its grace: kills the ffmpeg of every job in flight.
  const abort = new AbortController();
  const worker = new Worker<unknown, SegmentJobResult>(
    opts.queueName ?? SEGMENT_QUEUE_NAME,
    async (job: Job<unknown>) => {
      const segment = parseSegmentJob(job.data);
      const deps = {
        s3: opts.s3,
        bucket: opts.bucket,
        redis: opts.connection,
        runner,
        workDir,
        signal: abort.signal,
        ...(opts.threads === undefined ? {} : { threads: opts.threads }),
      };
      let result: SegmentJobResult;
      try {
        result = await processSegmentJob(segment, deps);
      } catch (err) {
        // The last attempt failing (S3 or Redis down for longer than the retries) would leave the
        // segment pending forever and the playlists stuck before it: mark a gap instead. BullMQ
        // fails the job after this attempt (attemptsMade counts the attempts before this one).
        // Unrecoverable errors already marked theirs.
        if (!(err instanceof UnrecoverableError) && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
          await markSegmentGap(segment, deps).catch(() => undefined);
        }
        throw err;
      }
      if (segmentPublished !== undefined) {
        const { publishedCount, bytes } = result;
        const publishedCountBefore = Math.min(segment.index, publishedCount);
        segmentPublished(segment, { publishedCountBefore, publishedCount, renditions: planRenditionIds(segment.plan), bytes });
      }
      return result;
    },
    {
      connection: opts.connection,
      concurrency: opts.concurrency ?? 1,
      lockDuration: opts.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
      stalledInterval: opts.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
      maxStalledCount: opts.maxStalledCount ?? DEFAULT_MAX_STALLED_COUNT,
    },
  );
  // Failures that never reach the processor's catch (a job stalled too often) still leave a gap.
  const gaps = watchFailedJobGaps(
    worker,
    { s3: opts.s3, bucket: opts.bucket, redis: opts.connection },
    { ...opts.gaps, ...(segmentGap === undefined ? {} : { onGap: segmentGap }) },
  );
  let closing: Promise<void> | undefined;
  const onSignal = (): void => void close();
  const close = ({ graceMs = DEFAULT_CLOSE_GRACE_MS }: { graceMs?: number } = {}): Promise<void> => {
    closing ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      let timer: NodeJS.Timeout | undefined;
      const graceful = worker.close();
      const late = await Promise.race([graceful.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
      clearTimeout(timer);
      if (late) {
        // A job that hangs (S3 unreachable, a stuck ffmpeg) must not hold the shutdown.
        abort.abort();
        await worker.close(true);
      }
      // Gaps of jobs that failed during the close still need Redis and S3: let them land first.
      await gaps.idle();
      gaps.stop();
    })();
    return closing;
  };
  if (opts.handleSignals !== false) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { worker, close };
}

/**
 * `hook` wrapped so that it never throws nor leaves a rejected promise behind: errors go to
 * `report`. Undefined stays undefined (nothing to call, nothing computed for it).
 */
function guardHook<A extends unknown[]>(hook: ((...args: A) => void) | undefined, report: (err: unknown) => void): ((...args: A) => void) | undefined {
  if (hook === undefined) return undefined;
  return (...args: A) => {
    try {
      // A hook typed `void` may still be async; its rejection must not become an unhandled one.
      const returned: unknown = hook(...args);
      if (returned instanceof Promise) returned.catch(report);
    } catch (err) {
      report(err);
    }
  };
}
