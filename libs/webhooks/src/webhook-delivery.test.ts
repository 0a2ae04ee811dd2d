/**
 * Emitter → BullMQ → delivery worker → a real HTTP receiver on loopback, with a real
 * redis-server. Backoff delays are shortened; everything else runs as in production.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@headwater/log';
import type { Logger } from '@headwater/log';
import { startRedisServer } from '@headwater/testkit';
import type { RedisServer } from '@headwater/testkit';
import { startWebhookDelivery } from './webhook-delivery.js';
import type { WebhookDeliveryOptions } from './webhook-delivery.js';
import { WebhookEmitter } from './webhook-emitter.js';
import type { WebhookEmitterOptions } from './webhook-emitter.js';
import type { PublishStartedData, WebhookEvent } from './webhook-event.js';
import { DEFAULT_WEBHOOK_ATTEMPTS, DEFAULT_WEBHOOK_BACKOFF_MS } from './webhook-job.js';
import { verifyWebhook } from './webhook-signature.js';

const SECRET = 'whsec_delivery_test_secret_42';
const TOKEN = 'T0kenInThePath_9f8e7d';
const STARTED: PublishStartedData = { channelId: 'ch-1', sessionId: 'sess-1', nodeId: 'node-a', app: 'live', startedAt: '2025-01-01T00:00:00.000Z' };

let redisServer: RedisServer;
let redis: Redis;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redisServer = await startRedisServer({ persistence: false });
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(async () => {
  redis?.disconnect();
  await redisServer?.stop();
});

/** A logger writing into memory. */
function memoryLogger(): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const out: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void out.push(s) } });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>), text: () => out.join('') };
}

interface Received {
  headers: http.IncomingHttpHeaders;
  /** Header names in the order they came on the wire. */
  headerOrder: string[];
  body: string;
  atMs: number;
  path: string;
}

/** A loopback HTTP receiver; `answer` decides each response (by request number from 0); `undefined` = never answer. */
async function receiver(answer: (n: number, req: http.IncomingMessage) => { status: number; headers?: Record<string, string> } | undefined) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = received.length;
      const headerOrder = req.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase());
      received.push({ headers: req.headers, headerOrder, body: Buffer.concat(chunks).toString('utf8'), atMs: Date.now(), path: req.url ?? '' });
      const a = answer(n, req);
      if (a === undefined) return; // hang: the client's timeout must end it
      res.writeHead(a.status, a.headers).end('not read by the sender');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { received, port, url: `http://127.0.0.1:${port}/hooks/${TOKEN}?sig=${TOKEN}` };
}

/** An emitter and a delivery worker on a fresh queue. */
function pipeline(urls: string[], opts: { emitter?: Partial<WebhookEmitterOptions>; delivery?: Partial<WebhookDeliveryOptions> } = {}) {
  const queueName = `test-${randomUUID()}`;
  const log = memoryLogger();
  const emitter = new WebhookEmitter({ connection: redis, urls, logger: log.logger, queueName, backoffDelayMs: 50, ...opts.emitter });
  const delivery = startWebhookDelivery({ connection: redis, secret: SECRET, logger: log.logger, queueName, ...opts.delivery });
  const queue = new Queue(queueName, { connection: redis });
  cleanups.push(async () => {
    await delivery.close();
    await emitter.close();
    await queue.obliterate({ force: true });
    await queue.close();
  });
  return { emitter, delivery, queue, log };
}

async function poll<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resolves with the failed reason once the job of `queue` has failed for good. */
async function failedForGood(queue: Queue): Promise<{ reason: string; attemptsMade: number }> {
  return poll('a failed job', async () => {
    const [job] = await queue.getFailed();
    return job !== undefined && { reason: job.failedReason, attemptsMade: job.attemptsMade };
  });
}

/** What no log line may contain: the endpoint's path/query token, the HMAC secret. */
function expectNoSecrets(text: string): void {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain('/hooks/');
}

describe('delivery', () => {
  it('retries 5xx with exponential backoff, then delivers once, signed afresh per attempt', async () => {
    const r = await receiver((n) => ({ status: n < 2 ? 500 : 204 }));
    const { emitter, queue, log } = pipeline([r.url]);
    emitter.emit('publish.started', STARTED);
    await poll('three requests', () => r.received.length >= 3);
    await poll('the job to complete (and be removed)', async () => (await queue.getJobCounts('wait', 'delayed', 'active', 'completed', 'failed')).delayed === 0 && (await queue.count()) === 0);
    // Nothing more comes once delivered.
    await new Promise((res) => setTimeout(res, 300));
    expect(r.received).toHaveLength(3);

    const event = JSON.parse(r.received[0]!.body) as WebhookEvent<PublishStartedData>;
    expect(event).toMatchObject({ type: 'publish.started', data: STARTED });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(event.createdAt)).not.toBeNaN();
    let lastT = 0;
    for (const req of r.received) {
      expect(req.path).toBe(`/hooks/${TOKEN}?sig=${TOKEN}`);
      expect(req.body).toBe(r.received[0]!.body); // the same event, byte for byte
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['user-agent']).toBe('headwater');
      expect(req.headers['headwater-event']).toBe('publish.started');
      expect(req.headers['headwater-delivery']).toBe(event.id);
      const signature = req.headers['headwater-signature'] as string;
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyWebhook(SECRET, signature, req.body)).toBe(true);
      expect(verifyWebhook('whsec_some_other_secret_000', signature, req.body)).toBe(false);
      // The signing time is the attempt's, not the event's.
      const t = Number(/^t=(\d+)/.exec(signature)![1]);
      expect(t).toBeGreaterThanOrEqual(lastT);
      expect(Math.abs(t * 1000 - req.atMs)).toBeLessThan(2000);
      lastT = t;
      // Our headers come in one order on every attempt, the signature last of them.
      const ours = req.headerOrder.filter((h) => h.startsWith('headwater-'));
      expect(ours).toEqual(['headwater-event', 'headwater-delivery', 'headwater-signature']);
    }
    // Exponential backoff from 50 ms: the second retry waits at least twice as long as the first.
    const [a, b, c] = r.received.map((x) => x.atMs) as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(50);
    expect(c - b).toBeGreaterThanOrEqual(100);

    const retries = log.lines().filter((l) => l.msg === 'webhook delivery failed, will retry');
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatchObject({ eventType: 'publish.started', origin: `http://127.0.0.1:${r.port}`, reason: `POST http://127.0.0.1:${r.port} answered 500` });
    expect(log.lines().filter((l) => l.msg === 'webhook delivered')).toHaveLength(1);
    expectNoSecrets(log.text());
  });

  it('410 Gone stops at once: no retry', async () => {
    const r = await receiver(() => ({ status: 410 }));
    const { emitter, queue, log } = pipeline([r.url]);
    emitter.emit('auth.denied', { reason: 'unknown-key', app: 'live', connectionId: 'c-1' });
    const failed = await failedForGood(queue);
    expect(failed.attemptsMade).toBe(1);
    expect(failed.reason).toContain('410');
    await new Promise((res) => setTimeout(res, 300));
    expect(r.received).toHaveLength(1);
    expect(log.lines().find((l) => l.msg === 'webhook delivery failed for good')).toMatchObject({ eventType: 'auth.denied', attempt: 1 });
    expectNoSecrets(log.text());
  });

  it('an endpoint that never answers times out and is retried, up to the attempts', async () => {
    const r = await receiver(() => undefined);
    const { emitter, queue, log } = pipeline([r.url], { emitter: { attempts: 2 }, delivery: { timeoutMs: 200 } });
    emitter.emit('publish.stopped', { channelId: 'ch-1', sessionId: 'sess-1', reason: 'unpublish', durationMs: 1000, bytesIn: 12345 });
    const failed = await failedForGood(queue);
    expect(failed.attemptsMade).toBe(2);
    expect(failed.reason).toBe(`POST http://127.0.0.1:${r.port} failed: no answer within 200 ms`);
    expect(r.received).toHaveLength(2);
    expect(log.lines().filter((l) => l.msg === 'webhook delivery failed, will retry')).toHaveLength(1);
    expectNoSecrets(log.text());
  });

  it('one job per endpoint: a failing endpoint does not hold back a working one', async () => {
    const good = await receiver(() => ({ status: 200 }));
    const bad = await receiver(() => ({ status: 503 }));
    const { emitter, queue } = pipeline([bad.url, good.url], { emitter: { attempts: 3 } });
    emitter.emit('renditions.ready', { channelId: 'ch-1', sessionId: 'sess-1', outputPrefix: 'streams/ch-1/sess-1/', renditions: ['source', 'audio'] });
    await poll('the good delivery', () => good.received.length === 1);
    await failedForGood(queue);
    expect(bad.received).toHaveLength(3);
    expect(good.received).toHaveLength(1);
    expect(good.received[0]!.headers['headwater-delivery']).toBe(bad.received[0]!.headers['headwater-delivery']);
  });

  it('follows a 307 to the same origin, never a redirect to another host', async () => {
    const elsewhere = await receiver(() => ({ status: 200 }));
    const r = await receiver((_n, req) => {
      if (req.url?.startsWith('/moved')) return { status: 200 };
      if (req.url?.startsWith('/hooks/away')) return { status: 307, headers: { location: `http://localhost:${elsewhere.port}/steal` } };
      return { status: 307, headers: { location: '/moved' } };
    });
    const same = pipeline([r.url]);
    same.emitter.emit('session.archived', { channelId: 'ch-1', sessionId: 'sess-1', key: 'archive/ch-1/sess-1.flv', bytes: 42 });
    await poll('the redirected delivery', () => r.received.some((x) => x.path === '/moved'));
    const moved = r.received.find((x) => x.path === '/moved')!;
    expect(moved.headers['headwater-event']).toBe('session.archived');
    expect(verifyWebhook(SECRET, moved.headers['headwater-signature'] as string, moved.body)).toBe(true);

    const away = pipeline([`http://127.0.0.1:${r.port}/hooks/away`], { emitter: { attempts: 2 } });
    away.emitter.emit('session.archived', { channelId: 'ch-1', sessionId: 'sess-2', key: 'archive/ch-1/sess-2.flv', bytes: 42 });
    const failed = await failedForGood(away.queue);
    expect(failed.reason).toContain('307 to another origin');
    expect(elsewhere.received).toHaveLength(0);
  });

  it('user info in the URL becomes Basic authorization and is never logged', async () => {
    const r = await receiver((n) => ({ status: n === 0 ? 500 : 200 }));
    const { emitter, log } = pipeline([`http://hook-user:p%40ss-${TOKEN}@127.0.0.1:${r.port}/in`]);
    emitter.emit('publish.started', STARTED);
    await poll('the delivery', () => r.received.length === 2);
    expect(r.received[1]!.headers.authorization).toBe(`Basic ${Buffer.from(`hook-user:p@ss-${TOKEN}`).toString('base64')}`);
    await poll('the log lines', () => log.lines().some((l) => l.msg === 'webhook delivered'));
    expectNoSecrets(log.text());
    expect(log.text()).not.toContain('hook-user');
  });

  it('a job that is not a webhook job fails for good without any request', async () => {
    const r = await receiver(() => ({ status: 200 }));
    const { queue } = pipeline([r.url]);
    await queue.add('publish.started', { url: 'file:///etc/passwd', event: { id: 'x', type: 'publish.started', createdAt: '', data: {} } }, { attempts: 3 });
    const failed = await failedForGood(queue);
    expect(failed).toEqual({ reason: 'webhook URL must be http: or https:', attemptsMade: 1 });
  });
});

describe('emitter', () => {
  it('enqueues one job per endpoint with 8 attempts of exponential backoff from 1 s by default', async () => {
    const queueName = `test-${randomUUID()}`;
    const emitter = new WebhookEmitter({ connection: redis, urls: ['https://a.example/x', 'https://b.example/y'], logger: memoryLogger().logger, queueName });
    const queue = new Queue(queueName, { connection: redis });
    cleanups.push(async () => {
      await emitter.close();
      await queue.obliterate({ force: true });
      await queue.close();
    });
    emitter.emit('transcode.failed', { channelId: 'ch-1', sessionId: 'sess-1', index: 3, reason: 'unrecoverable' });
    await poll('two jobs', async () => (await queue.getWaiting()).length === 2);
    const jobs = await queue.getWaiting();
    expect(jobs.map((j) => (j.data as { url: string }).url).sort()).toEqual(['https://a.example/x', 'https://b.example/y']);
    for (const job of jobs) {
      expect(job.name).toBe('transcode.failed');
      expect(job.opts).toMatchObject({ attempts: DEFAULT_WEBHOOK_ATTEMPTS, backoff: { type: 'exponential', delay: DEFAULT_WEBHOOK_BACKOFF_MS } });
      expect(DEFAULT_WEBHOOK_ATTEMPTS).toBe(8);
      expect(DEFAULT_WEBHOOK_BACKOFF_MS).toBe(1000);
    }
  });

  it('refuses non-http(s) URLs at construction; with no URL it does nothing', async () => {
    const { logger } = memoryLogger();
    expect(() => new WebhookEmitter({ connection: redis, urls: ['ftp://a.example/x'], logger })).toThrow(/http/);
    const idle = new WebhookEmitter({ connection: redis, urls: [], logger });
    idle.emit('publish.started', STARTED);
    expect(idle.backlog).toBe(0);
    await idle.close();
  });

  it('never blocks nor throws: Redis down, endpoint unreachable; the backlog is bounded, the rest dropped', async () => {
    // A Redis of its own, so the outage touches nothing else.
    const own = await startRedisServer({ persistence: false });
    const conn = new Redis(own.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    conn.on('error', () => undefined);
    cleanups.push(async () => {
      conn.disconnect();
      await own.stop();
    });
    const queueName = `test-${randomUUID()}`;
    // Nothing listens on this port: the receiver's listener is closed before we emit.
    const closed = await receiver(() => ({ status: 200 }));
    await cleanups.pop()!();
    const log = memoryLogger();
    const emitter = new WebhookEmitter({ connection: conn, urls: [closed.url], logger: log.logger, queueName, maxBacklog: 10, closeTimeoutMs: 200 });
    await own.pause();

    // Synchronous: every emit is over before the event loop turns once (no I/O can have run).
    let turned = false;
    setImmediate(() => (turned = true));
    for (let i = 0; i < 50; i++) expect(emitter.emit('publish.started', { ...STARTED, sessionId: `s-${i}` })).toBeUndefined();
    expect(turned).toBe(false);
    expect(emitter.backlog).toBe(10);
    expect(emitter.dropped).toBe(40);
    // One rate-limited warning, not forty.
    const drops = log.lines().filter((l) => l.msg === 'webhook events dropped');
    expect(drops).toEqual([expect.objectContaining({ reason: 'backlog-full', dropped: 1, backlog: 10 })]);

    // Redis back: the backlog lands; delivery to the dead endpoint fails and is retried.
    await own.restart();
    const queue = new Queue(queueName, { connection: conn });
    const delivery = startWebhookDelivery({ connection: conn, secret: SECRET, logger: log.logger, queueName, timeoutMs: 500 });
    cleanups.push(async () => {
      await delivery.close();
      await emitter.close();
      await queue.obliterate({ force: true });
      await queue.close();
    });
    await poll('the backlog to drain', () => emitter.backlog === 0);
    const retry = await poll('a failed attempt', () => log.lines().find((l) => l.msg === 'webhook delivery failed, will retry'));
    expect(retry.reason).toBe(`POST http://127.0.0.1:${closed.port} failed: ECONNREFUSED`);
    expect(await queue.count()).toBe(10);
    // Emitting while deliveries fail is as immediate as ever.
    turned = false;
    setImmediate(() => (turned = true));
    emitter.emit('publish.started', STARTED);
    expect(turned).toBe(false);
    expectNoSecrets(log.text());
  });

  it('after close, events are dropped (and counted), not thrown', async () => {
    const queueName = `test-${randomUUID()}`;
    const emitter = new WebhookEmitter({ connection: redis, urls: ['https://a.example/x'], logger: memoryLogger().logger, queueName });
    await emitter.close();
    expect(() => emitter.emit('publish.started', STARTED)).not.toThrow();
    expect(emitter.dropped).toBe(1);
  });
});
