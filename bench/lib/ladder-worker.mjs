#!/usr/bin/env node
// One segment worker of the ladder bench, as its own process: `startWorker` from the built
// @headwater/worker, the way a deployment runs it. It connects, says ready, and starts taking
// jobs only on "go" (stdin), so timings exclude Node's start-up and module loading.
// Settings: BENCH_LADDER_WORKER (JSON { redisUrl, s3: { endpoint, region, accessKeyId,
// secretAccessKey }, bucket, workDir, concurrency, threads|null }).
//
// stdout: {"bench": "ready"}, {"bench": "started"} after go, then per job attempt
// {"bench": "active" | "completed", jobId, at: epochMs} or {"bench": "failed", jobId, err}.
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { createS3Client } from '@headwater/archive';
import { startWorker } from '@headwater/worker';

const line = (fields) => process.stdout.write(`${JSON.stringify(fields)}\n`);
const opts = JSON.parse(process.env.BENCH_LADDER_WORKER ?? '{}');
const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
const s3 = createS3Client({ ...opts.s3, forcePathStyle: true });
await connection.ping();

let worker;
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await worker?.close();
  connection.disconnect();
  s3.destroy();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

const lines = createInterface({ input: process.stdin });
line({ bench: 'ready' });
for await (const l of lines) {
  if (l.trim() !== 'go' || worker) continue;
  worker = startWorker({
    connection,
    s3,
    bucket: opts.bucket,
    workDir: opts.workDir,
    concurrency: opts.concurrency ?? 1,
    ...(opts.threads == null ? {} : { threads: opts.threads }),
    handleSignals: false,
  });
  worker.worker.on('active', (job) => line({ bench: 'active', jobId: job.id, at: Date.now() }));
  worker.worker.on('completed', (job) => line({ bench: 'completed', jobId: job.id, at: Date.now() }));
  worker.worker.on('failed', (job, err) => line({ bench: 'failed', jobId: job?.id, err: err.message }));
  line({ bench: 'started' });
}
