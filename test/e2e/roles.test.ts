/**
 * The roles split cleanly: `headwater start ingest`, `headwater start worker` and `headwater
 * start api` run as three processes (the built CLI) that share nothing but one redis-server and
 * one S3 server. A publish to the ingest process is listed by the API process, transcoded by the
 * worker process and played through the API; the API kicks the publisher on the ingest node;
 * signed webhooks reach a receiver; each process exposes its own metrics.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishTags, readFlvTags } from '@headwater/cli';
import { freePort } from '@headwater/config';
import { fixturePath, startRedisServer, startS3Server, type RedisServer, type S3Server } from '@headwater/testkit';
import { verifyWebhook } from '@headwater/webhooks';
import { buildCli, runCli, spawnCli, stopAllCli, type CliProcess } from './cli-process.js';
import { waitFor } from './harness.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789';

interface Delivery {
  event: string;
  body: Record<string, unknown>;
  verified: boolean;
}

let redis: RedisServer;
let s3: S3Server;
let dataDir: string;
let receiver: Server;
const deliveries: Delivery[] = [];
let ingest: CliProcess;
let worker: CliProcess;
let api: CliProcess;
let ports: { rtmp: number; api: number; ingestMetrics: number; workerMetrics: number };

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function env(role: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HEADWATER_DATA_DIR: path.join(dataDir, role),
    HEADWATER_HOST: '127.0.0.1',
    HEADWATER_NODE_ID: `e2e-${role}`,
    HEADWATER_REDIS_URL: redis.url,
    HEADWATER_S3_ENDPOINT: s3.endpoint,
    HEADWATER_S3_BUCKET: 'headwater-roles',
    HEADWATER_S3_ACCESS_KEY_ID: s3.accessKeyId,
    HEADWATER_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    HEADWATER_API_ADMIN_TOKEN: ADMIN_TOKEN,
    HEADWATER_WEBHOOKS_URLS: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`,
    HEADWATER_WEBHOOKS_SECRET: WEBHOOK_SECRET,
    HEADWATER_RTMPS_PORT: 'off',
    HEADWATER_AUTH_FAIL_DELAY_MS: '20',
    HEADWATER_AUTH_MAX_FAIL_DELAY_MS: '50',
    HEADWATER_LOG_LEVEL: 'info',
    ...extra,
  };
}

async function apiGet(pathname: string, token: string | null = ADMIN_TOKEN): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${ports.api}${pathname}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

beforeAll(async () => {
  await buildCli();
  [redis, s3] = await Promise.all([startRedisServer(), startS3Server({ buckets: ['headwater-roles'] })]);
  dataDir = await mkdtemp(path.join(tmpdir(), 'headwater-roles-'));
  receiver = createServer((req, res) => {
    void readBody(req).then((body) => {
      deliveries.push({
        event: String(req.headers['headwater-event']),
        body: JSON.parse(body) as Record<string, unknown>,
        verified: verifyWebhook(WEBHOOK_SECRET, String(req.headers['headwater-signature']), body),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  ports = { rtmp: await freePort(), api: await freePort(), ingestMetrics: await freePort(), workerMetrics: await freePort() };
  ingest = spawnCli(['start', 'ingest'], env('ingest', { HEADWATER_RTMP_PORT: String(ports.rtmp), HEADWATER_METRICS_PORT: String(ports.ingestMetrics), HEADWATER_HTTP_PORT: 'off' }));
  worker = spawnCli(['start', 'worker'], env('worker', { HEADWATER_METRICS_PORT: String(ports.workerMetrics), HEADWATER_HTTP_PORT: 'off' }));
  // Browsers reach S3 under another name than the roles do (here: localhost vs 127.0.0.1).
  api = spawnCli(['start', 'api'], env('api', { HEADWATER_HTTP_PORT: String(ports.api), HEADWATER_METRICS_PORT: 'off', HEADWATER_S3_PUBLIC_ENDPOINT: s3.endpoint.replace('127.0.0.1', 'localhost') }));
  await Promise.all([ingest.waitForStdout(/Server \(RTMP\)/, 60_000), worker.waitForStdout(/Segment worker/, 60_000), api.waitForStdout(/Dashboard \/ API/, 60_000)]);
});

afterAll(async () => {
  await stopAllCli();
  await new Promise((r) => receiver?.close(r));
  await Promise.all([redis?.stop(), s3?.stop()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('roles in separate processes', () => {
  it('ingest, worker and api meet only through Redis and S3', async () => {
    // A channel made through the API of one process authorizes a publish on another.
    const created = await fetch(`http://127.0.0.1:${ports.api}/api/v1/channels`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'roles' }),
    });
    expect(created.status).toBe(201);
    const { channel, streamKey } = (await created.json()) as { channel: { id: string }; streamKey: string };
    expect((await apiGet('/api/v1/sessions', null)).status).toBe(401);

    const tags = await readFlvTags(fixturePath('h264_aac.flv'));
    // A wrong key is refused on the ingest node and reported by webhook (reason only, no key).
    const wrongKey = `${streamKey.slice(0, -4)}XXXX`;
    await expect(publishTags({ url: `rtmp://127.0.0.1:${ports.rtmp}/live/${wrongKey}`, tags: tags.slice(0, 10), realtime: false })).rejects.toThrow();
    // Settled into a value at once: the kick makes it fail, and an unobserved rejection would fail the run.
    const publish = publishTags({ url: `rtmp://127.0.0.1:${ports.rtmp}/live/${streamKey}`, tags, loops: 3, realtime: true }).then(
      () => 'finished' as const,
      (err: unknown) => err,
    );
    // The ingest node reports the live session; the API process lists it with its codecs.
    const session = await waitFor(
      'the API to list the live session',
      async () => {
        const { body } = await apiGet('/api/v1/sessions');
        // Codecs arrive with the sequence headers, after the publish starts: the next refresh has them.
        return (body as { sessions: Array<Record<string, unknown> & { tracks: unknown[] }> }).sessions.find((s) => s.channelId === channel.id && s.tracks.length >= 2);
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(session.nodeId).toBe('e2e-ingest');
    expect(JSON.stringify(session.tracks)).toContain('avc1');
    // The operator CLI sees the same, from yet another process.
    const listed = await runCli(['sessions'], env('cli'));
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${channel.id}  \\S+  node e2e-ingest  up .* avc1 640x360`, 'm'));
    // The worker process transcodes: the API process serves a master playlist with real CODECS.
    const playback = await waitFor(
      'renditions in the session listing',
      async () => {
        const { body } = await apiGet('/api/v1/sessions');
        const s = (body as { sessions: Array<{ channelId: string; playback: { hls: string } | null; renditions: unknown[] }> }).sessions.find((x) => x.channelId === channel.id);
        return s?.playback && s.renditions.length > 0 ? s.playback : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const master = await waitFor(
      'the multivariant playlist',
      async () => {
        const res = await fetch(`http://127.0.0.1:${ports.api}${playback.hls}`);
        const text = res.ok ? await res.text() : '';
        return text.includes('#EXT-X-STREAM-INF') ? text : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(master).toMatch(/CODECS="avc1\.[0-9a-f]{6}/);

    // Kick through the API: the ingest node (another process) drops the publisher.
    const kicked = await fetch(`http://127.0.0.1:${ports.api}/api/v1/channels/${channel.id}/kick`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(kicked.status).toBe(202);
    expect(await publish).toBeInstanceOf(Error);
    await waitFor('the session to leave the listing', async () => {
      const { body } = await apiGet('/api/v1/sessions');
      return !(body as { sessions: Array<{ channelId: string }> }).sessions.some((s) => s.channelId === channel.id);
    }, { timeoutMs: 10_000, intervalMs: 200 });

    // Signed webhooks from both the ingest node and the worker, none carrying the key.
    const events = await waitFor(
      'webhooks from ingest and worker',
      () => {
        const names = new Set(deliveries.map((d) => d.event));
        return ['auth.denied', 'publish.started', 'renditions.ready', 'publish.stopped', 'session.archived'].every((e) => names.has(e)) ? deliveries : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(events.every((d) => d.verified)).toBe(true);
    expect(JSON.stringify(events)).not.toContain(streamKey);
    expect(JSON.stringify(events)).not.toContain(wrongKey);
    expect(events.find((d) => d.event === 'auth.denied')?.body).toMatchObject({ data: { reason: expect.any(String), app: 'live' } });
    expect(events.find((d) => d.event === 'publish.stopped')?.body).toMatchObject({ data: { channelId: channel.id, reason: 'kicked' } });
    const archived = events.find((d) => d.event === 'session.archived')?.body as { data: { key: string } };
    const recordings = await apiGet(`/api/v1/channels/${channel.id}/recordings`);
    expect(JSON.stringify(recordings.body)).toContain(archived.data.key);
    const recording = (recordings.body as { recordings: Array<{ key: string; bytes: number; downloadUrl: string }> }).recordings.find((r) => r.key === archived.data.key);
    expect(new URL(recording?.downloadUrl ?? 'http://x').host).toBe(new URL(s3.endpoint).host.replace('127.0.0.1', 'localhost'));
    const download = await fetch(recording?.downloadUrl ?? '');
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(recording?.bytes);
    const cliRecordings = await runCli(['recordings', channel.id], env('cli'));
    expect(cliRecordings.stdout).toMatch(new RegExp(`^${archived.data.key.replace(/[.]/g, '\\.')}  [\\d.]+ MB  [\\d.]+ s$`, 'm'));

    // Each process has its own metrics: the ingest counts the publish, the worker its jobs.
    const ingestMetrics = await (await fetch(`http://127.0.0.1:${ports.ingestMetrics}/metrics`)).text();
    expect(ingestMetrics).toMatch(/headwater_ingest_publishes_total\{[^}]*outcome="started"[^}]*\} 1/);
    expect(ingestMetrics).toMatch(/headwater_ingest_auth_failures_total\{[^}]*\} 1/);
    expect(ingestMetrics).toMatch(new RegExp(`headwater_ingest_bytes_total\\{[^}]*channel="${channel.id}"[^}]*\\} [1-9]`));
    const workerMetrics = await (await fetch(`http://127.0.0.1:${ports.workerMetrics}/metrics`)).text();
    expect(workerMetrics).toMatch(/headwater_job_duration_seconds_count\{[^}]*queue="headwater-segments"[^}]*\} [1-9]/);
    expect(workerMetrics).toMatch(/headwater_segment_latency_seconds_count\{[^}]*\} [1-9]/);
    const apiMetrics = (await apiGet('/metrics', null)).body as string;
    expect(apiMetrics).toContain('headwater_queue_jobs');
    for (const text of [ingestMetrics, workerMetrics, apiMetrics, ingest.stdout(), worker.stdout(), api.stdout()]) {
      expect(text).not.toContain(streamKey);
      expect(text).not.toContain(WEBHOOK_SECRET);
    }
    expect(api.stdout()).not.toContain(ADMIN_TOKEN);
    // A kicked publisher may reconnect: nothing is left waiting on it beyond the grace period.
    const probe = new Redis(redis.url);
    expect(await probe.hlen('headwater:continuations')).toBeLessThanOrEqual(1);
    probe.disconnect();
  });

  it('each role stops cleanly on SIGTERM', async () => {
    for (const p of [api, worker, ingest]) expect(await p.stop(15_000)).toEqual({ code: 0, signal: null });
  });
});
