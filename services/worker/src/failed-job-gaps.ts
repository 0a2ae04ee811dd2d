import type { Job, Worker } from 'bullmq';
import { SegmentJobError, parseSegmentJob } from '@headwater/jobs';
import type { SegmentJob } from '@headwater/jobs';
import { markSegmentGap } from './process-segment-job.js';
import type { SegmentJobDeps } from './process-segment-job.js';

/** Attempts at recording the gap of a job that failed for good (the first failure may be S3 or Redis itself). */
export const DEFAULT_GAP_ATTEMPTS = 5;
/** Wait before the second attempt; it doubles after each failure (0.5 + 1 + 2 + 4 s: about 8 s in all by default). */
export const DEFAULT_GAP_RETRY_DELAY_MS = 500;

/** Options of {@link watchFailedJobGaps}. */
export interface FailedJobGapOptions {
  /** @defaultValue {@link DEFAULT_GAP_ATTEMPTS} */
  attempts?: number;
  /** @defaultValue {@link DEFAULT_GAP_RETRY_DELAY_MS} */
  retryDelayMs?: number;
  /**
   * Called once per job failed for good, after its gap is recorded (or recording it was given
   * up on). Must not throw (start-worker wraps its hooks); an exception is reported as a worker
   * 'error', like a gap that could not be recorded.
   */
  onGap?: (job: SegmentJob, reason: SegmentGapReason) => void;
}

/**
 * Why a segment became a gap: ffmpeg (or its arguments) refused the input; its worker died or
 * froze more often than allowed; every attempt failed (S3, Redis or ffmpeg crashing).
 */
export type SegmentGapReason = 'unrecoverable' | 'stalled' | 'attempts-exhausted';

/** BullMQ's failed reason for a job that lost its lock more than `maxStalledCount` times (moveStalledJobsToWait). */
const STALLED_REASON = 'job stalled more than allowable limit';

/** The {@link SegmentGapReason} of a job failed for good with `err`. */
export function segmentGapReason(err: Error): SegmentGapReason {
  // Checked first: BullMQ 6 reports the stall as an UnrecoverableError with this message.
  if (err.message === STALLED_REASON) return 'stalled';
  if (err.name === 'UnrecoverableError') return 'unrecoverable';
  return 'attempts-exhausted';
}

/** Gap recording for a worker's failed jobs; see {@link watchFailedJobGaps}. */
export interface FailedJobGaps {
  /** Resolves once every gap being recorded is recorded (or given up on). */
  idle(): Promise<void>;
  /** Stops listening; gaps being recorded go on (await {@link FailedJobGaps.idle}). */
  stop(): void;
}

/**
 * Whether BullMQ will not run the job again after this 'failed' event. `finishedOn` is set only
 * when the job moved to the failed set (a retry leaves it unset), which also covers limits that
 * fail a job early (stalled too often, `maxStartedAttempts`); the other two are BullMQ's own
 * retry rule (`Job.shouldRetryJob`), in case the field is ever not filled in.
 */
export function isFailedForGood(job: Job, err: Error): boolean {
  return job.finishedOn !== undefined || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/**
 * Marks a gap for every segment job of `worker` that fails for good, whatever the path. The
 * processor marks its own (undecodable input, last attempt failing), but some failures never
 * reach it: a job whose worker died, or lost its lock, more often than `maxStalledCount` is failed
 * by BullMQ as "job stalled more than allowable limit" without running the processor (BullMQ 6
 * defers that failure to the next worker that fetches the job, which emits 'failed' with the
 * job's data). Without a gap the segment would stay pending and freeze the stream's playlists.
 *
 * Marking is idempotent (`applySegmentFailed` only touches pending outputs; the playlists are
 * rewritten from the newest state), so a gap the processor already marked costs one read and a
 * playlist rewrite, which also repairs a rewrite the processor could not do. Failures are retried
 * with backoff, then reported as a worker 'error'. A job BullMQ removed before emitting (no job in
 * the event) or whose data is not a segment job has nothing to mark.
 */
export function watchFailedJobGaps(worker: Worker, deps: Pick<SegmentJobDeps, 's3' | 'bucket' | 'redis'>, opts: FailedJobGapOptions = {}): FailedJobGaps {
  const attempts = opts.attempts ?? DEFAULT_GAP_ATTEMPTS;
  const retryDelayMs = opts.retryDelayMs ?? DEFAULT_GAP_RETRY_DELAY_MS;
  const inFlight = new Set<Promise<void>>();

  /** Records the gap; resolves with the segment (undefined for a payload that is not a segment job). */
  const mark = async (data: unknown): Promise<SegmentJob | undefined> => {
    let segment;
    try {
      segment = parseSegmentJob(data);
    } catch (err) {
      if (err instanceof SegmentJobError) return undefined;
      throw err;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await markSegmentGap(segment, deps);
        return segment;
      } catch (err) {
        if (attempt >= attempts) {
          // Names the segment only: the cause's message comes from Redis or S3, never from job data.
          const why = err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error';
          worker.emit('error', new Error(`segment ${segment.index} failed for good but its gap was not recorded (${why})`));
          return segment;
        }
        await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  };

  const onFailed = (job: Job | undefined, err: Error): void => {
    if (job === undefined || !isFailedForGood(job, err)) return;
    const reason = segmentGapReason(err);
    const p = mark(job.data)
      .then((segment) => {
        if (segment !== undefined) opts.onGap?.(segment, reason);
      })
      .catch((e: unknown) => void worker.emit('error', e instanceof Error ? e : new Error(String(e))));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  worker.on('failed', onFailed);

  return {
    async idle() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
    stop() {
      worker.off('failed', onFailed);
    },
  };
}
