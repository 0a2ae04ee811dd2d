/**
 * Queue and worker adapters against a real redis-server and real BullMQ queues and workers
 * (trivial processors: what is measured is BullMQ's lifecycle, not the work).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '@headwater/testkit';
import { createMetrics, type Metrics } from './create-metrics.js';
import { instrumentQueues } from './instrument-queues.js';
import { classifyJobFailure, instrumentSegmentWorker, instrumentWorker } from './instrument-worker.js';
import { parseExposition, value, type Sample } from './testing/exposition.js';
import { STREAM_KEY, expectNoKeys } from './testing/stream-keys.js';

let server: RedisServer;
const connections: Redis[] = [];
const closers: (() => Promise<unknown>)[] = [];

function connect(): Redis {
  const r = new Redis(server.url, { maxRetriesPerRequest: null });
  r.on('error', () => undefined); // the outage test cuts every connection
  connections.push(r);
  return r;
}

function queueNamed(prefix: string): Queue {
  const q = new Queue(`${prefix}-${randomUUID()}`, { connection: connect() });
  q.on('error', () => undefined);
  closers.push(async () => {
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
  });
  return q;
}

async function scrape(m: Metrics): Promise<{ text: string; all: Sample[] }> {
  const text = await m.registry.metrics();
  return { text, all: parseExposition(text) };
}

async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

beforeAll(async () => {
  server = await startRedisServer({ persistence: false });
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  for (const r of connections) r.disconnect();
  await server?.stop();
}, 30_000);

describe('instrumentQueues', () => {
  it('reports depth per state and the oldest wait at scrape time', async () => {
    const clock = { now: 0 };
    const m = createMetrics({ nodeId: 'api-1', defaultMetrics: false, nowMs: () => clock.now });
    const q = queueNamed('depth');
    const detach = instrumentQueues([q], m);
    const first = await q.add(STREAM_KEY, { key: STREAM_KEY });
    await sleep(5);
    await q.add('b', {});
    await q.add('c', {});
    await q.add('vod', {}, { priority: 5 });
    await q.add('later', {}, { delay: 60_000 });
    clock.now = first.timestamp + 10_000;

    const { text, all } = await scrape(m);
    const labels = (state: string) => ({ queue: q.name, state });
    expect(value(all, 'headwater_queue_jobs', labels('waiting'))).toBe(3);
    expect(value(all, 'headwater_queue_jobs', labels('prioritized'))).toBe(1);
    expect(value(all, 'headwater_queue_jobs', labels('delayed'))).toBe(1);
    expect(value(all, 'headwater_queue_jobs', labels('active'))).toBe(0);
    expect(value(all, 'headwater_queue_jobs', labels('failed'))).toBe(0);
    expect(value(all, 'headwater_queue_oldest_waiting_seconds', { queue: q.name })).toBe(10);
    expect(value(all, 'headwater_queue_up', { queue: q.name })).toBe(1);
    expectNoKeys(text, all);

    detach();
    const after = (await scrape(m)).all;
    expect(value(after, 'headwater_queue_jobs', labels('waiting'))).toBeUndefined();
    expect(value(after, 'headwater_queue_up', { queue: q.name })).toBeUndefined();
  });

  it('reports several queues, an empty one with no oldest wait', async () => {
    const m = createMetrics({ nodeId: 'api-1', defaultMetrics: false });
    const a = queueNamed('a');
    const b = queueNamed('b');
    instrumentQueues([a, b], m);
    await a.add('x', {});
    const { all } = await scrape(m);
    expect(value(all, 'headwater_queue_jobs', { queue: a.name, state: 'waiting' })).toBe(1);
    expect(value(all, 'headwater_queue_jobs', { queue: b.name, state: 'waiting' })).toBe(0);
    expect(value(all, 'headwater_queue_oldest_waiting_seconds', { queue: b.name })).toBe(0);
  });
});

describe('instrumentSegmentWorker', () => {
  it('measures waits, durations, failures by kind, segment latency and busy time', async () => {
    const m = createMetrics({ nodeId: 'worker-1', defaultMetrics: false });
    const q = queueNamed('segments');
    instrumentQueues([q], m);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const processor = async (job: Job<{ mode: string }>): Promise<{ ok: true }> => {
      switch (job.data.mode) {
        case 'hold':
          await held;
          return { ok: true };
        case 'fail':
          throw new Error(`transient ${STREAM_KEY}`);
        case 'unrecoverable':
          throw new UnrecoverableError('segment 3 cannot be transcoded: ffmpeg exited with 1');
        default:
          await sleep(20);
          return { ok: true };
      }
    };
    const worker = new Worker(q.name, processor, { connection: connect(), concurrency: 2, autorun: false });
    closers.push(() => worker.close());
    const detach = instrumentSegmentWorker(worker, m);
    let completed = 0;
    let failed = 0;
    worker.on('completed', () => completed++);
    worker.on('failed', () => failed++);

    const wallStart = Date.now();
    await q.add('seg', { mode: 'hold' });
    void worker.run();
    await until(() => worker.isRunning(), 'worker running');
    const waitHold = async (): Promise<Sample[]> => {
      for (;;) {
        const { all } = await scrape(m);
        if (value(all, 'headwater_worker_active_jobs', { queue: q.name }) === 1) return all;
        await sleep(10);
      }
    };
    const during = await waitHold();
    expect(value(during, 'headwater_worker_concurrency', { queue: q.name })).toBe(2);
    expect(value(during, 'headwater_worker_busy_ratio', { queue: q.name })).toBe(0.5);
    expect(value(during, 'headwater_queue_jobs', { queue: q.name, state: 'active' })).toBe(1);

    await q.add('seg', { mode: 'ok' });
    await q.add('seg', { mode: 'ok' });
    await q.add('seg', { mode: 'fail' }, { attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    await q.add('seg', { mode: 'unrecoverable' }, { attempts: 3 });
    await q.add('vod', { mode: 'ok' }, { priority: 10 });
    await until(() => completed === 3 && failed === 3, 'jobs done');
    release();
    await until(() => completed === 4, 'held job done');
    const wallS = (Date.now() - wallStart) / 1000;

    const { text, all } = await scrape(m);
    const queue = q.name;
    expect(value(all, 'headwater_job_duration_seconds_count', { queue, outcome: 'completed' })).toBe(4);
    expect(value(all, 'headwater_job_duration_seconds_count', { queue, outcome: 'failed' })).toBe(3);
    // The held job ran for most of the test.
    expect(value(all, 'headwater_job_duration_seconds_sum', { queue, outcome: 'completed' })).toBeGreaterThan(0.06);
    expect(value(all, 'headwater_job_failures_total', { queue, kind: 'retry' })).toBe(1);
    expect(value(all, 'headwater_job_failures_total', { queue, kind: 'exhausted' })).toBe(1);
    expect(value(all, 'headwater_job_failures_total', { queue, kind: 'unrecoverable' })).toBe(1);
    expect(value(all, 'headwater_ffmpeg_failures_total', { kind: 'retry' })).toBe(1);
    expect(value(all, 'headwater_ffmpeg_failures_total', { kind: 'exhausted' })).toBe(1);
    expect(value(all, 'headwater_ffmpeg_failures_total', { kind: 'unrecoverable' })).toBe(1);
    // First attempts only: six jobs, the retry left out.
    expect(value(all, 'headwater_queue_wait_seconds_count', { queue })).toBe(6);
    // Live segments only (no priority): hold + 2 ok.
    expect(value(all, 'headwater_segment_latency_seconds_count')).toBe(3);
    expect(value(all, 'headwater_segment_latency_seconds_sum')).toBeGreaterThan(0);
    expect(value(all, 'headwater_worker_active_jobs', { queue })).toBe(0);
    expect(value(all, 'headwater_worker_busy_ratio', { queue })).toBe(0);
    const busyS = value(all, 'headwater_worker_busy_seconds_total', { queue }) ?? 0;
    expect(busyS).toBeGreaterThan(0.05);
    expect(busyS).toBeLessThanOrEqual(wallS);
    expect(value(all, 'headwater_queue_jobs', { queue, state: 'failed' })).toBe(2);
    expectNoKeys(text, all);

    // Closing the worker detaches it: its gauges go, its counters stay.
    await worker.close();
    const after = (await scrape(m)).all;
    expect(value(after, 'headwater_worker_concurrency', { queue })).toBeUndefined();
    expect(value(after, 'headwater_job_failures_total', { queue, kind: 'retry' })).toBe(1);
    detach(); // idempotent after the 'closed' event
  });

  it('counts a job whose worker died as stalled', async () => {
    const m = createMetrics({ nodeId: 'worker-2', defaultMetrics: false });
    const q = queueNamed('stall');
    // A worker that takes the job and freezes: it never renews its lock (as a blocked event loop
    // or a dead machine) and never finishes.
    const zombie = new Worker(q.name, () => new Promise<never>(() => undefined), { connection: connect(), lockDuration: 300, skipLockRenewal: true, skipStalledCheck: true });
    const taken = new Promise<void>((r) => zombie.once('active', () => r()));
    await q.add('seg', { mode: 'ok' });
    await taken;

    const survivor = new Worker(q.name, async () => ({ ok: true }), { connection: connect(), stalledInterval: 300, maxStalledCount: 1 });
    instrumentWorker(survivor, m);
    let done = false;
    survivor.on('completed', () => (done = true));
    await until(() => done, 'survivor completed the stalled job');
    const { all } = await scrape(m);
    expect(value(all, 'headwater_job_failures_total', { queue: q.name, kind: 'stalled' })).toBe(1);
    expect(value(all, 'headwater_job_duration_seconds_count', { queue: q.name, outcome: 'completed' })).toBe(1);
    // Its second attempt is not a queue wait.
    expect(value(all, 'headwater_queue_wait_seconds_count', { queue: q.name })).toBeUndefined();
    // Workers go before the outage test cuts Redis (a worker closing mid-reconnect can hang).
    await survivor.close();
    await zombie.close(true);
  });
});

describe('queue scrape with Redis down', () => {
  it('answers in time with queue_up 0 and no stale counts', async () => {
    const m = createMetrics({ nodeId: 'api-1', defaultMetrics: false, collectTimeoutMs: 300 });
    const q = queueNamed('outage');
    instrumentQueues([q], m);
    await q.add('x', {});
    expect(value((await scrape(m)).all, 'headwater_queue_up', { queue: q.name })).toBe(1);
    await server.pause();
    try {
      const t0 = Date.now();
      const { all } = await scrape(m);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(value(all, 'headwater_queue_up', { queue: q.name })).toBe(0);
      expect(value(all, 'headwater_queue_jobs', { queue: q.name, state: 'waiting' })).toBeUndefined();
    } finally {
      await server.restart();
    }
    await q.getJobCounts();
  });
});

describe('classifyJobFailure', () => {
  const job = (over: Partial<{ finishedOn: number; attemptsMade: number; attempts: number }> = {}) => ({
    finishedOn: over.finishedOn,
    attemptsMade: over.attemptsMade ?? 1,
    opts: { attempts: over.attempts ?? 3 },
  });
  const err = (name: string, message: string) => ({ name, message });
  const cases = [
    { name: 'attempt left', job: job(), err: err('Error', 'S3 down'), kind: 'retry' },
    { name: 'last attempt', job: job({ attemptsMade: 3 }), err: err('Error', 'S3 down'), kind: 'exhausted' },
    { name: 'moved to failed', job: job({ finishedOn: 1 }), err: err('Error', 'x'), kind: 'exhausted' },
    { name: 'removed on fail', job: undefined, err: err('Error', 'x'), kind: 'exhausted' },
    { name: 'unrecoverable', job: job(), err: err('UnrecoverableError', 'segment 1 cannot be transcoded'), kind: 'unrecoverable' },
    { name: 'stalled too often', job: job(), err: err('UnrecoverableError', 'job stalled more than allowable limit'), kind: 'stalled' },
    { name: 'started too often', job: job(), err: err('UnrecoverableError', 'job started more than allowable limit'), kind: 'stalled' },
  ] as const;
  for (const c of cases) it(c.name, () => expect(classifyJobFailure(c.job, c.err)).toBe(c.kind));
});
