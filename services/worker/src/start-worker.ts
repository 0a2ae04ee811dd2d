import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { SEGMENT_QUEUE_NAME, parseSegmentJob } from '@headwater/jobs';
import type { ArgvFfmpegRunner } from './ffmpeg-runner.js';
import { SpawnFfmpegRunner } from './ffmpeg-runner.js';
import { processSegmentJob } from './process-segment-job.js';
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
}

/** A running segment worker. */
export interface SegmentWorker {
  readonly worker: Worker;
  /** Stops taking jobs and waits for the in-flight ones to finish. */
  close(): Promise<void>;
}

/**
 * Starts a BullMQ worker for segment jobs. On SIGTERM it stops fetching, lets in-flight jobs
 * finish and closes; a worker killed harder leaves its jobs' locks to expire, and BullMQ's
 * stalled-job check hands them to another worker (jobs are idempotent).
 */
export function startWorker(opts: StartWorkerOptions): SegmentWorker {
  const runner = opts.runner ?? new SpawnFfmpegRunner();
  const workDir = opts.workDir ?? path.join(os.tmpdir(), 'headwater-worker');
  const worker = new Worker<unknown, SegmentJobResult>(
    opts.queueName ?? SEGMENT_QUEUE_NAME,
    (job: Job<unknown>) =>
      processSegmentJob(parseSegmentJob(job.data), {
        s3: opts.s3,
        bucket: opts.bucket,
        redis: opts.connection,
        runner,
        workDir,
        ...(opts.threads === undefined ? {} : { threads: opts.threads }),
      }),
    { connection: opts.connection, concurrency: opts.concurrency ?? 1 },
  );
  let closing: Promise<void> | undefined;
  const onSignal = (): void => void close();
  const close = (): Promise<void> => {
    closing ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await worker.close();
    })();
    return closing;
  };
  if (opts.handleSignals !== false) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { worker, close };
}
