/**
 * A closing worker waits for its jobs, but not forever: past the grace period it kills their
 * ffmpeg and lets go (real redis-server, s3rver and BullMQ; the runner hangs until aborted).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '@headwater/archive';
import { SEGMENT_JOB_VERSION, SEGMENT_QUEUE_NAME, outputPrefix, segmentJobId, sourceSegmentKey } from '@headwater/jobs';
import type { SegmentJob } from '@headwater/jobs';
import { planLadder } from '@headwater/ladder';
import { startRedisServer, startS3Server } from '@headwater/testkit';
import type { RedisServer, S3Server } from '@headwater/testkit';
import type { ArgvFfmpegRunner, RunOptions } from './ffmpeg-runner.js';
import { startWorker } from './start-worker.js';

const BUCKET = 'media';
let redisServer: RedisServer;
let s3Server: S3Server;
let s3: S3Client;
let redis: Redis;

beforeAll(async () => {
  [redisServer, s3Server] = await Promise.all([startRedisServer({ persistence: false }), startS3Server({ buckets: [BUCKET] })]);
  s3 = createS3Client({ endpoint: s3Server.endpoint, region: s3Server.region, accessKeyId: s3Server.accessKeyId, secretAccessKey: s3Server.secretAccessKey });
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis?.disconnect();
  s3?.destroy();
  await Promise.all([redisServer?.stop(), s3Server?.stop()]);
});

/** An ffmpeg that never finishes on its own: it ends only when its signal aborts. */
class HangingRunner implements ArgvFfmpegRunner {
  readonly name = 'hanging';
  started = 0;
  aborted = 0;
  runArgv(_argv: readonly string[], opts: RunOptions = {}): Promise<void> {
    this.started++;
    return new Promise((_resolve, reject) => {
      opts.signal?.addEventListener('abort', () => {
        this.aborted++;
        reject(new Error('killed'));
      });
    });
  }
}

describe('closing a worker', () => {
  it('gives in-flight jobs the grace period, then kills their ffmpeg and closes', async () => {
    const sessionId = 'sess-close';
    const key = sourceSegmentKey('chan', sessionId, 0);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: new Uint8Array(16) }));
    const plan = planLadder({ video: { codec: 'avc1', codecString: 'avc1.64001e', width: 640, height: 360, frameRate: 30 } });
    const job: SegmentJob = { version: SEGMENT_JOB_VERSION, sessionId, channelId: 'chan', index: 0, startMs: 0, durationMs: 2000, isLast: false, sourceKey: key, plan, outputPrefix: outputPrefix('chan', sessionId) };
    const queue = new Queue(SEGMENT_QUEUE_NAME, { connection: redis });
    const runner = new HangingRunner();
    const worker = startWorker({ connection: redis, s3, bucket: BUCKET, runner, handleSignals: false });
    await queue.add('segment', job, { jobId: segmentJobId(sessionId, 0), attempts: 3 });
    for (let i = 0; i < 100 && runner.started === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(runner.started).toBe(1);

    const t0 = performance.now();
    await worker.close({ graceMs: 500 });
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(450); // it did wait for the job
    expect(ms).toBeLessThan(5000); // and then let go
    expect(runner.aborted).toBe(1);
    // The job is not lost: it is still in the queue for another worker (retried, not failed for good).
    const state = await (await queue.getJob(segmentJobId(sessionId, 0)))?.getState();
    expect(['active', 'waiting', 'delayed', 'prioritized']).toContain(state);
    await queue.close();
  });
});
