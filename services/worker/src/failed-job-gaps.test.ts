/**
 * Gaps for jobs that fail for good outside the processor's own catch, with a real redis-server,
 * real BullMQ and a real s3rver. No ffmpeg: none of these jobs gets as far as transcoding.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Queue, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '@headwater/archive';
import {
  SEGMENT_JOB_VERSION,
  createPackaging,
  getPackaging,
  outputPrefix,
  renditionSpecs,
  segmentJobId,
  sourceSegmentKey,
  updatePackaging,
} from '@headwater/jobs';
import type { SegmentJob } from '@headwater/jobs';
import { planLadder } from '@headwater/ladder';
import { MEDIA_PLAYLIST_NAME, applySourceSegment, createPackagingState, renditionPath } from '@headwater/packager';
import type { PackagingState } from '@headwater/packager';
import { startRedisServer, startS3Server } from '@headwater/testkit';
import type { RedisServer, S3Server } from '@headwater/testkit';
import { isFailedForGood } from './failed-job-gaps.js';
import { startWorker } from './start-worker.js';
import type { SegmentWorker, StartWorkerOptions } from './start-worker.js';

const BUCKET = 'media';
const CHANNEL = 'chan-gaps';
// Audio only: the smallest valid plan (nothing here transcodes).
const plan = planLadder({ audio: { codec: 'mp4a', codecString: 'mp4a.40.2', sampleRate: 48000, channels: 2, objectType: 2 } });

let redisServer: RedisServer;
let s3Server: S3Server;
let s3: S3Client;
let redis: Redis;
let workDir: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  [redisServer, s3Server] = await Promise.all([startRedisServer({ persistence: false }), startS3Server({ buckets: [BUCKET] })]);
  s3 = createS3Client({ endpoint: s3Server.endpoint, region: s3Server.region, accessKeyId: s3Server.accessKeyId, secretAccessKey: s3Server.secretAccessKey });
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  workDir = await mkdtemp(path.join(tmpdir(), 'headwater-gaps-test-'));
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(async () => {
  redis?.disconnect();
  s3?.destroy();
  await Promise.all([redisServer?.stop(), s3Server?.stop()]);
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** A fresh queue and a session whose segment 0 is known (source recorded) and pending in every rendition. */
async function setup(): Promise<{ queueName: string; queue: Queue; sessionId: string; job: SegmentJob }> {
  const queueName = `test-${randomUUID()}`;
  const queue = new Queue(queueName, { connection: redis });
  cleanups.push(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });
  const sessionId = `sess-${randomUUID()}`;
  await createPackaging(redis, createPackagingState({ sessionId, channelId: CHANNEL, startedAtMs: Date.now(), renditions: renditionSpecs(plan) }));
  await updatePackaging(redis, sessionId, (s) => applySourceSegment(s, { index: 0, durationMs: 2000 }));
  const job: SegmentJob = {
    version: SEGMENT_JOB_VERSION,
    sessionId,
    channelId: CHANNEL,
    index: 0,
    startMs: 0,
    durationMs: 2000,
    isLast: false,
    // Never uploaded: a job that reaches the processor fails downloading it.
    sourceKey: sourceSegmentKey(CHANNEL, sessionId, 0),
    plan,
    outputPrefix: outputPrefix(CHANNEL, sessionId),
  };
  return { queueName, queue, sessionId, job };
}

function worker(queueName: string, opts: Partial<StartWorkerOptions> = {}): SegmentWorker {
  const w = startWorker({ connection: redis, s3, bucket: BUCKET, workDir: path.join(workDir, queueName), handleSignals: false, queueName, ...opts });
  cleanups.push(() => w.close());
  return w;
}

/** The status of segment 0 in each rendition. */
const statuses = (state: PackagingState | null): string[] => state?.segments[0]?.outputs.map((o) => (o === null ? 'pending' : o.status)) ?? [];
/** Segment 0 is a gap in every rendition. */
const isGap = (state: PackagingState | null): state is PackagingState => {
  const all = statuses(state);
  return all.length > 0 && all.every((st) => st === 'failed');
};

async function poll<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? ` (${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A media playlist of the session as stored in S3. */
async function mediaPlaylist(job: SegmentJob): Promise<string> {
  const rendition = renditionSpecs(plan)[0]!.id;
  const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${job.outputPrefix}${renditionPath(rendition, MEDIA_PLAYLIST_NAME)}` }));
  return res.Body!.transformToString();
}

/** The media playlist once it lists a gap (s3rver may serve a file it is still writing: poll for the content). */
function gapPlaylist(job: SegmentJob): Promise<string> {
  return poll('the playlist with the gap', async () => {
    const m = await mediaPlaylist(job);
    return m.includes('#EXT-X-GAP') && m;
  });
}

describe('gaps of jobs that fail for good', () => {
  it('a job that stalls more than allowed (its worker froze) is failed by BullMQ without our processor, and still leaves a gap', async () => {
    const { queueName, queue, sessionId, job } = await setup();
    // A worker that takes the job and then freezes: it never renews its lock (as a blocked event
    // loop or a dead machine) and never finishes.
    let thaw!: () => void;
    const frozen = new Promise<void>((r) => (thaw = r));
    const zombie = new Worker(queueName, () => frozen, { connection: redis, lockDuration: 300, skipLockRenewal: true, skipStalledCheck: true });
    zombie.on('error', () => undefined); // its late completion finds the lock gone
    cleanups.push(async () => {
      thaw();
      await zombie.close();
    });
    const active = new Promise<void>((r) => zombie.once('active', () => r()));
    await queue.add('segment', job, { jobId: segmentJobId(sessionId, 0), attempts: 5 });
    await active;

    // Our worker's stalled check finds the expired lock; with no stall allowed BullMQ fails the
    // job (on the next fetch, ours) before any processor runs.
    const w = worker(queueName, { maxStalledCount: 0, stalledIntervalMs: 200 });
    const failures: string[] = [];
    w.worker.on('failed', (_job, err) => failures.push(err.message));
    const state = await poll('the gap', async () => {
      const s = await getPackaging(redis, sessionId);
      return isGap(s) && s;
    });
    expect(failures).toEqual(['job stalled more than allowable limit']);
    const failed = await queue.getJob(segmentJobId(sessionId, 0));
    expect(await failed?.getState()).toBe('failed');
    expect(failed?.attemptsMade).toBe(1); // one attempt of five used: the processor's catch never ran
    expect(state.publishedCount).toBe(1);
    expect(await gapPlaylist(job)).toMatch(/#EXT-X-GAP\nseg-0\.m4s/);
  });

  it('a failure that will be retried leaves no gap; the last one does', async () => {
    const { queueName, queue, sessionId, job } = await setup();
    const w = worker(queueName);
    // Listeners run in order, so by the time this one runs the gap watcher has decided.
    const seen: { attemptsMade: number; forGood: boolean; statuses: string[] }[] = [];
    const bothFailed = new Promise<void>((resolve) => {
      w.worker.on('failed', (failedJob: Job | undefined, err) => {
        void getPackaging(redis, sessionId).then((s) => {
          seen.push({ attemptsMade: failedJob?.attemptsMade ?? -1, forGood: failedJob !== undefined && isFailedForGood(failedJob, err), statuses: statuses(s) });
          if (seen.length === 2) resolve();
        });
      });
    });
    // The source was never uploaded: each attempt fails downloading it (a retryable error).
    await queue.add('segment', job, { jobId: segmentJobId(sessionId, 0), attempts: 2 });
    await bothFailed;
    const renditions = renditionSpecs(plan).length;
    expect(seen[0]).toEqual({ attemptsMade: 1, forGood: false, statuses: Array(renditions).fill('pending') });
    expect(seen[1]).toMatchObject({ attemptsMade: 2, forGood: true });
    expect(seen[1]?.statuses).toEqual(Array(renditions).fill('failed'));
  });

  it('a gap whose playlists could not be written (S3 down) is republished once S3 is back', async () => {
    const { queueName, queue, sessionId, job } = await setup();
    const w = worker(queueName, { gaps: { attempts: 8, retryDelayMs: 250 } });
    const failed = new Promise<void>((r) => w.worker.once('failed', () => r()));
    await s3Server.pause();
    let restarted = false;
    cleanups.push(async () => {
      if (!restarted) await s3Server.restart();
    });
    // One attempt: the processor fails downloading, records the gap in Redis but cannot write the
    // playlists (its rewrite gives up silently); the job fails for good.
    await queue.add('segment', job, { jobId: segmentJobId(sessionId, 0), attempts: 1 });
    await failed;
    expect(isGap(await getPackaging(redis, sessionId))).toBe(true);
    // Longer than the S3 client's own retries (the processor's playlist writes are still retrying
    // in the background for a moment: they must have given up before S3 returns).
    await new Promise((r) => setTimeout(r, 2500));
    await s3Server.restart();
    restarted = true;
    // The watcher keeps trying and writes them.
    expect(await gapPlaylist(job)).toMatch(/#EXT-X-GAP\nseg-0\.m4s/);
  });
});

