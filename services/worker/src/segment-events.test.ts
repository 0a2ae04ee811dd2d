/**
 * The worker's event hooks (`StartWorkerOptions.events`) with real jobs: real redis-server,
 * real s3rver, real BullMQ and real ffmpeg (passthrough renditions only, to keep it quick).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '@headwater/archive';
import { FlvReader } from '@headwater/flv';
import { getPackaging, segmentJobId } from '@headwater/jobs';
import type { SegmentJob } from '@headwater/jobs';
import { planLadder, planRenditionIds } from '@headwater/ladder';
import type { LadderPlan } from '@headwater/ladder';
import { SourceSegmenter } from '@headwater/mkv';
import type { SourceSegment } from '@headwater/mkv';
import { MEDIA_PLAYLIST_NAME, renditionPath } from '@headwater/packager';
import { fixturePath, startRedisServer, startS3Server } from '@headwater/testkit';
import type { RedisServer, S3Server } from '@headwater/testkit';
import type { SegmentGapReason } from './failed-job-gaps.js';
import { startWorker } from './start-worker.js';
import { stageSession } from './testing/staged-session.js';
import type { SegmentPublished, SegmentWorker, StartWorkerOptions } from './start-worker.js';

const BUCKET = 'media';
const CHANNEL = 'chan-events';

let redisServer: RedisServer;
let s3Server: S3Server;
let s3: S3Client;
let redis: Redis;
let workDir: string;
let segments: SourceSegment[];
let plan: LadderPlan;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  [redisServer, s3Server] = await Promise.all([startRedisServer({ persistence: false }), startS3Server({ buckets: [BUCKET] })]);
  s3 = createS3Client({ endpoint: s3Server.endpoint, region: s3Server.region, accessKeyId: s3Server.accessKeyId, secretAccessKey: s3Server.secretAccessKey });
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  workDir = await mkdtemp(path.join(tmpdir(), 'headwater-events-test-'));
  const segmenter = new SourceSegmenter();
  segments = [...new FlvReader().push(await readFile(fixturePath('h264_aac.flv'))).flatMap((t) => segmenter.push(t)), ...segmenter.flush()];
  const video = segments[0]?.video.find((t) => t.flvTrackId === 0);
  const audio = segments[0]?.audio.find((t) => t.flvTrackId === 0);
  if (!video || !audio) throw new Error('fixture without audio and video');
  // No transcoded rung (the only one is covered by the 360p source): the source video and AAC
  // pass through, ffmpeg only copies them.
  plan = planLadder(
    { video: { ...video.description, bitrateBps: video.bitrateBps }, audio: { ...audio.description, bitrateBps: audio.bitrateBps } },
    { rungs: [{ height: 360, bitrateBps: 800_000 }], skipRungsCoveredBySource: true },
  );
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

interface Session {
  queue: Queue;
  queueName: string;
  sessionId: string;
  jobs: SegmentJob[];
}

/**
 * A fresh queue and session: the source segments uploaded (bar `missing`, `corrupt` ones as
 * garbage) and the packaging state holding every segment, ended. Jobs are not enqueued.
 */
async function session(opts: { corrupt?: ReadonlySet<number>; missing?: ReadonlySet<number> } = {}): Promise<Session> {
  const queueName = `test-${randomUUID()}`;
  const queue = new Queue(queueName, { connection: redis });
  cleanups.push(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });
  const sessionId = `sess-${randomUUID()}`;
  const jobs = await stageSession({ s3, bucket: BUCKET, redis, channelId: CHANNEL, sessionId, segments, plan, ...opts });
  return { queue, queueName, sessionId, jobs };
}

function enqueue(s: Session, indices: readonly number[], attempts = 3): Promise<unknown> {
  return s.queue.addBulk(indices.map((i) => ({ name: 'segment', data: s.jobs[i]!, opts: { jobId: segmentJobId(s.sessionId, i), attempts } })));
}

function worker(queueName: string, opts: Partial<StartWorkerOptions>): SegmentWorker {
  const w = startWorker({ connection: redis, s3, bucket: BUCKET, workDir: path.join(workDir, queueName), handleSignals: false, queueName, ...opts });
  cleanups.push(() => w.close());
  return w;
}

async function poll<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function mediaPlaylist(job: SegmentJob, rendition: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${job.outputPrefix}${renditionPath(rendition, MEDIA_PLAYLIST_NAME)}` }));
  return res.Body!.transformToString();
}

/** The `renditions.ready` rule as the composition applies it (`firstPublish` of @headwater/webhooks). */
const firstPublish = (p: SegmentPublished): boolean => p.publishedCountBefore < 1 && p.publishedCount >= 1;

describe('segmentPublished', () => {
  it('fires once per job after its playlists are written; exactly one job crosses the first publish', async () => {
    const s = await session();
    const calls: { job: SegmentJob; published: SegmentPublished; playlist: Promise<string> }[] = [];
    const errors: Error[] = [];
    const w = worker(s.queueName, {
      concurrency: 2,
      events: {
        segmentPublished(job, published) {
          // Read right away: the playlists must already list what the job published.
          calls.push({ job, published, playlist: mediaPlaylist(job, 'source') });
          // A throwing hook must not fail the job.
          if (calls.length === 1) throw new Error('hook bug');
        },
      },
    });
    w.worker.on('error', (err) => errors.push(err));
    // Segment 0 last: the later segments finish first and wait behind it, so the job of segment 0
    // moves the published prefix from 0 straight to (nearly) the end.
    const indices = segments.map((x) => x.index);
    await enqueue(s, [...indices.slice(1), 0]);
    await poll('every segment published', async () => (await getPackaging(redis, s.sessionId))?.publishedCount === segments.length);
    await poll('every hook call', () => calls.length === segments.length);

    expect(calls.map((c) => c.job.index).sort()).toEqual(indices);
    expect(calls.filter((c) => firstPublish(c.published)).map((c) => c.job.index)).toEqual([0]);
    const renditions = planRenditionIds(plan);
    expect(renditions).toEqual(['source', 'audio']);
    for (const { job, published, playlist } of calls) {
      expect(job).toEqual(s.jobs[job.index]);
      expect(published.renditions).toEqual(renditions);
      expect(published.publishedCountBefore).toBe(Math.min(job.index, published.publishedCount));
      expect(Object.keys(published.bytes).sort()).toEqual([...renditions].sort());
      for (const b of Object.values(published.bytes)) expect(b).toBeGreaterThan(0);
      const listed = (await playlist).match(/^seg-\d+\.m4s$/gm) ?? [];
      expect(listed.length).toBeGreaterThanOrEqual(published.publishedCount);
    }
    // Segment 0 was fetched last, when at most one other job was still running: its update
    // published every segment done before it.
    expect(calls.find((c) => c.job.index === 0)!.published.publishedCount).toBeGreaterThanOrEqual(segments.length - 2);
    // The hook's exception went to the worker's 'error' listeners; every job completed.
    expect(errors.map((e) => e.message)).toEqual(['hook bug']);
    expect(await s.queue.getJobCounts('completed', 'failed')).toEqual({ completed: segments.length, failed: 0 });
  });
});

describe('segmentGap', () => {
  /** Collects gap hook calls. */
  function gapRecorder() {
    const gaps: { index: number; reason: SegmentGapReason; statuses: Promise<string[]> }[] = [];
    return {
      gaps,
      hook(job: SegmentJob, reason: SegmentGapReason) {
        // The gap is recorded by the time the hook runs.
        const statuses = getPackaging(redis, job.sessionId).then((st) => st?.segments[job.index]?.outputs.map((o) => o?.status ?? 'pending') ?? []);
        gaps.push({ index: job.index, reason, statuses });
      },
    };
  }

  it('undecodable input: once, "unrecoverable", after the gap is recorded', async () => {
    const s = await session({ corrupt: new Set([1]) });
    const rec = gapRecorder();
    const published: number[] = [];
    worker(s.queueName, { events: { segmentGap: rec.hook, segmentPublished: (job) => published.push(job.index) } });
    await enqueue(s, [0, 1]);
    await poll('the gap', () => rec.gaps.length === 1);
    await poll('segment 0', () => published.length === 1);
    expect(rec.gaps.map(({ index, reason }) => ({ index, reason }))).toEqual([{ index: 1, reason: 'unrecoverable' }]);
    expect(await rec.gaps[0]!.statuses).toEqual(['failed', 'failed']);
    expect(published).toEqual([0]);
  });

  it('every attempt failing (source missing): once, after the last attempt, "attempts-exhausted"', async () => {
    const s = await session({ missing: new Set([0]) });
    const rec = gapRecorder();
    const w = worker(s.queueName, { events: { segmentGap: rec.hook } });
    let failures = 0;
    w.worker.on('failed', () => failures++);
    await enqueue(s, [0], 2);
    await poll('the gap', () => rec.gaps.length === 1);
    expect(failures).toBe(2);
    expect(rec.gaps.map(({ index, reason }) => ({ index, reason }))).toEqual([{ index: 0, reason: 'attempts-exhausted' }]);
    expect(await rec.gaps[0]!.statuses).toEqual(['failed', 'failed']);
    // A gap at 0 publishes the prefix without any segment: not a first publish of renditions.
    await new Promise((r) => setTimeout(r, 300));
    expect(rec.gaps).toHaveLength(1);
  });

  it('a job stalled more than allowed (its worker froze): "stalled"; a throwing hook changes nothing', async () => {
    const s = await session();
    let thaw!: () => void;
    const frozen = new Promise<void>((r) => (thaw = r));
    const zombie = new Worker(s.queueName, () => frozen, { connection: redis, lockDuration: 300, skipLockRenewal: true, skipStalledCheck: true });
    zombie.on('error', () => undefined);
    cleanups.push(async () => {
      thaw();
      await zombie.close();
    });
    const active = new Promise<void>((r) => zombie.once('active', () => r()));
    await enqueue(s, [0], 5);
    await active;

    const rec = gapRecorder();
    const errors: string[] = [];
    const w = worker(s.queueName, {
      maxStalledCount: 0,
      stalledIntervalMs: 200,
      events: {
        segmentGap(job, reason) {
          rec.hook(job, reason);
          throw new Error('gap hook bug');
        },
      },
    });
    w.worker.on('error', (err) => errors.push(err.message));
    await poll('the gap', () => rec.gaps.length === 1, 15_000);
    expect(rec.gaps.map(({ index, reason }) => ({ index, reason }))).toEqual([{ index: 0, reason: 'stalled' }]);
    expect(await rec.gaps[0]!.statuses).toEqual(['failed', 'failed']);
    await poll('the hook error', () => errors.includes('gap hook bug'), 5_000);
  });
});
