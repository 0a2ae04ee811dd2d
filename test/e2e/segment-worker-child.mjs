// A segment worker as its own process, for fault tests (SIGKILL, Redis restarts): the BUILT
// @headwater/worker (dist), as a deployment runs it. Plain JS because Node runs it directly.
// Settings come from the environment; one JSON line per job event goes to stdout.
import { Redis } from 'ioredis';
import { createS3Client } from '@headwater/archive';
import { startWorker } from '@headwater/worker';

const env = process.env;
const line = (msg, fields = {}) => process.stdout.write(`${JSON.stringify({ msg, pid: process.pid, ...fields })}\n`);

const connection = new Redis(env.WORKER_REDIS_URL, { maxRetriesPerRequest: null });
const s3 = createS3Client({
  endpoint: env.WORKER_S3_ENDPOINT,
  region: 'us-east-1',
  accessKeyId: env.WORKER_S3_ACCESS_KEY_ID,
  secretAccessKey: env.WORKER_S3_SECRET_ACCESS_KEY,
});
const { worker } = startWorker({ connection, s3, bucket: env.WORKER_S3_BUCKET, workDir: env.WORKER_WORK_DIR, concurrency: 1, threads: 1 });
worker.on('active', (job) => line('job active', { jobId: job.id }));
worker.on('completed', (job) => line('job completed', { jobId: job.id }));
worker.on('failed', (job, err) => line('job failed', { jobId: job?.id, err: err.message }));
worker.on('error', (err) => line('worker error', { err: err.message }));
await worker.waitUntilReady();
line('worker ready');
