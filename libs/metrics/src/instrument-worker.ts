import type { Job, Worker } from 'bullmq';
import type { Metrics } from './create-metrics.js';
import { sourcesOf, type WorkerTrack } from './metric-sources.js';

/**
 * Why a job attempt failed, as far as the worker can tell:
 * - `retry`: the attempt failed and BullMQ will try again;
 * - `exhausted`: the last allowed attempt failed;
 * - `unrecoverable`: the processor threw `UnrecoverableError` (for segments: ffmpeg refused the input);
 * - `stalled`: the job lost its worker (died, froze, lost its lock): a retry from the stall check,
 *   or the failure once it stalled (or started) more often than allowed.
 */
export type JobFailureKind = 'retry' | 'exhausted' | 'unrecoverable' | 'stalled';

/** BullMQ's failure reasons for jobs that lost their worker too often (moveStalledJobsToWait, maxStartedAttempts). */
const STALLED_REASONS = ['job stalled more than allowable limit', 'job started more than allowable limit'];

/**
 * Classifies one 'failed' event of a BullMQ worker. Stall limits come first: BullMQ reports them
 * as `UnrecoverableError` too. `job` is undefined when BullMQ removed it (removeOnFail) before
 * emitting, which happens only to a job that failed for good.
 */
export function classifyJobFailure(job: Pick<Job, 'finishedOn' | 'attemptsMade' | 'opts'> | undefined, err: Pick<Error, 'name' | 'message'>): JobFailureKind {
  if (STALLED_REASONS.some((r) => err.message.includes(r))) return 'stalled';
  if (err.name === 'UnrecoverableError') return 'unrecoverable';
  if (job === undefined) return 'exhausted';
  // `finishedOn` is set only when the job moved to the failed set; attemptsMade already counts
  // this attempt when 'failed' is emitted (the same rule as the worker's isFailedForGood).
  if (job.finishedOn !== undefined || job.attemptsMade >= (job.opts.attempts ?? 1)) return 'exhausted';
  return 'retry';
}

/** A BullMQ worker of any job type (only its events and settings are read). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyWorker = Worker<any, any, string>;

/** Options of {@link instrumentWorker}. */
export interface InstrumentWorkerOptions {
  /** Also told about every failed attempt (the segment worker's ffmpeg counter). */
  onFailure?: (kind: JobFailureKind) => void;
  /** Told about every completed job, with the completion time (ms since the epoch). */
  onCompleted?: (job: Job, finishedOnMs: number) => void;
}

/**
 * Instruments one BullMQ worker of this process from its events, labelled with its queue name:
 * - `headwater_queue_wait_seconds`: `processedOn - timestamp - delay` of first attempts ('active');
 *   a retry's wait would include its earlier attempts and backoff, so it is left out;
 * - `headwater_job_duration_seconds{outcome}`: `finishedOn - processedOn` of each attempt;
 * - `headwater_job_failures_total{kind}` (see {@link classifyJobFailure});
 * - `headwater_worker_active_jobs`, `_concurrency`, `_busy_ratio` (running / concurrency at scrape
 *   time) and `_busy_seconds_total` (time with at least one job running; its rate() is the busy
 *   ratio over any window, whatever the scrape interval).
 * Returns a function that detaches it (also done on the worker's 'closed' event).
 */
export function instrumentWorker(worker: AnyWorker, m: Metrics, opts: InstrumentWorkerOptions = {}): () => void {
  const s = sourcesOf(m);
  const queue = worker.name;
  // Job ids running here: a failure BullMQ reports for a job another worker had (a deferred stall
  // failure) must not end this worker's busy period.
  const running = new Set<string>();
  let busySinceMs: number | null = null;
  let busyMs = 0;

  const track: WorkerTrack = {
    queue,
    concurrency: () => worker.concurrency,
    active: () => running.size,
    takeBusyMs(nowMs) {
      let ms = busyMs;
      busyMs = 0;
      if (busySinceMs !== null) {
        ms += Math.max(0, nowMs - busySinceMs);
        busySinceMs = nowMs;
      }
      return ms;
    },
  };

  const started = (job: Job): void => {
    if (job.id === undefined) return;
    if (running.size === 0) busySinceMs = s.nowMs();
    running.add(job.id);
  };
  const ended = (job: Job): void => {
    if (job.id === undefined || !running.delete(job.id)) return;
    if (running.size === 0 && busySinceMs !== null) {
      busyMs += Math.max(0, s.nowMs() - busySinceMs);
      busySinceMs = null;
    }
  };
  const duration = (job: Job, outcome: 'completed' | 'failed', endMs: number): void => {
    if (job.processedOn === undefined) return;
    m.worker.jobDurationSeconds.observe({ queue, outcome }, Math.max(0, endMs - job.processedOn) / 1000);
  };

  const onActive = (job: Job): void => {
    started(job);
    if (job.processedOn !== undefined && job.attemptsMade === 0 && job.attemptsStarted <= 1) {
      m.queue.waitSeconds.observe({ queue }, Math.max(0, job.processedOn - job.timestamp - (job.delay ?? 0)) / 1000);
    }
  };
  const onCompleted = (job: Job): void => {
    const endMs = job.finishedOn ?? s.nowMs();
    ended(job);
    duration(job, 'completed', endMs);
    opts.onCompleted?.(job, endMs);
  };
  const onFailed = (job: Job | undefined, err: Error): void => {
    const kind = classifyJobFailure(job, err);
    if (job !== undefined) {
      ended(job);
      // A stall failure is reported without running the job: no attempt to time.
      if (kind !== 'stalled') duration(job, 'failed', job.finishedOn ?? s.nowMs());
    }
    m.worker.jobFailures.inc({ queue, kind });
    opts.onFailure?.(kind);
  };
  // A job that lost its worker and went back to wait (found by this worker's stall check).
  const onStalled = (): void => {
    m.worker.jobFailures.inc({ queue, kind: 'stalled' });
    opts.onFailure?.('stalled');
  };

  const detach = (): void => {
    worker.off('active', onActive);
    worker.off('completed', onCompleted);
    worker.off('failed', onFailed);
    worker.off('stalled', onStalled);
    worker.off('closed', detach);
    // Flush the open busy period so the counter keeps it.
    const ms = track.takeBusyMs(s.nowMs());
    if (ms > 0) m.worker.busySeconds.inc({ queue }, ms / 1000);
    s.workers.delete(track);
    if (![...s.workers].some((w) => w.queue === queue)) {
      m.worker.activeJobs.remove({ queue });
      m.worker.concurrency.remove({ queue });
      m.worker.busyRatio.remove({ queue });
    }
  };

  worker.on('active', onActive);
  worker.on('completed', onCompleted);
  worker.on('failed', onFailed);
  worker.on('stalled', onStalled);
  worker.on('closed', detach);
  s.workers.add(track);
  return detach;
}

/**
 * {@link instrumentWorker} for the segment (transcode) worker, plus:
 * - `headwater_ffmpeg_failures_total{kind}`: every failed segment attempt;
 * - `headwater_segment_latency_seconds`: from the live segment's cut (`job.timestamp`: the ingest
 *   enqueues it as soon as the segment is cut and uploaded) to the completion of its job, which
 *   ends by publishing the playlists. Archive (VOD) jobs carry a BullMQ priority and are left out:
 *   they are enqueued in bulk ahead of time. A segment that completes while an earlier one is
 *   still running enters the playlists only with that one; its latency is then understated.
 */
export function instrumentSegmentWorker(worker: AnyWorker, m: Metrics): () => void {
  return instrumentWorker(worker, m, {
    onFailure: (kind) => m.transcode.ffmpegFailures.inc({ kind }),
    onCompleted: (job, finishedOnMs) => {
      if (job.opts.priority !== undefined && job.opts.priority > 0) return;
      m.transcode.segmentLatencySeconds.observe(Math.max(0, finishedOnMs - job.timestamp) / 1000);
    },
  });
}
