import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createLogger } from '@headwater/log';
import type { AuthRequest } from './auth-types.js';
import { MAX_WEBHOOK_RESPONSE_BYTES, WebhookAuthorizer, derivedChannelId } from './webhook-authorizer.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

let server: http.Server;
let base: string;
let handler: Handler;
const received: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
});

const KEY = 'my-very-secret-stream-key-123';
const req: AuthRequest = { streamKey: KEY, app: 'live', clientIp: '203.0.113.7', connectionId: 'conn-42', query: { bandwidthtest: 'true' } };

function json(status: number, value: unknown): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  };
}

function authorizer(opts: { path?: string; timeoutMs?: number; logs?: string[] } = {}): WebhookAuthorizer {
  const logs = opts.logs;
  return new WebhookAuthorizer({
    url: `${base}${opts.path ?? '/auth'}`,
    timeoutMs: opts.timeoutMs ?? 2000,
    ...(logs === undefined ? {} : { logger: createLogger({ destination: { write: (s: string) => void logs.push(s) } }) }),
  });
}

describe('WebhookAuthorizer', () => {
  test('sends the documented JSON request and allows on { allow: true, channelId }', async () => {
    handler = json(200, { allow: true, channelId: 'studio_1' });
    expect(await authorizer().authorize(req)).toEqual({ ok: true, channelId: 'studio_1' });
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r?.method).toBe('POST');
    expect(r?.url).toBe('/auth');
    expect(r?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r?.body ?? '')).toEqual({
      version: 1,
      action: 'publish',
      streamKey: KEY,
      app: 'live',
      clientIp: '203.0.113.7',
      connectionId: 'conn-42',
      query: { bandwidthtest: 'true' },
    });
  });

  test('2xx with an empty body, or allow without channelId, allows as a key-derived channel', async () => {
    const derived = derivedChannelId(KEY);
    expect(derived).toMatch(/^wh_[A-Za-z0-9_-]{16}$/);
    expect(derived).not.toContain(KEY.slice(0, 4));
    handler = (_req, res) => res.writeHead(204).end();
    expect(await authorizer().authorize(req)).toEqual({ ok: true, channelId: derived });
    handler = (_req, res) => res.writeHead(200).end('  \n');
    expect(await authorizer().authorize(req)).toEqual({ ok: true, channelId: derived });
    handler = json(200, { allow: true });
    expect(await authorizer().authorize(req)).toEqual({ ok: true, channelId: derived });
    expect(derivedChannelId('other')).not.toBe(derived);
  });

  test.each<[string, Handler]>([
    ['allow: false', json(200, { allow: false, reason: 'nope' })],
    ['401', json(401, { allow: true, channelId: 'x' })],
    ['403 without body', (_q, res) => res.writeHead(403).end()],
    ['404', (_q, res) => res.writeHead(404).end('not found')],
  ])('denied: %s', async (_name, h) => {
    handler = h;
    expect(await authorizer().authorize(req)).toEqual({ ok: false, reason: 'denied' });
  });

  test.each<[string, Handler]>([
    ['500', json(500, { allow: true, channelId: 'x' })],
    ['redirect (not followed)', (_q, res) => res.writeHead(307, { location: `${base}/elsewhere` }).end()],
    ['not JSON', (_q, res) => res.writeHead(200).end('yes')],
    ['JSON without allow', json(200, { ok: true })],
    ['allow not boolean', json(200, { allow: 'true', channelId: 'x' })],
    ['bad channelId', json(200, { allow: true, channelId: '../etc' })],
    ['channelId not a string', json(200, { allow: true, channelId: 7 })],
    ['oversized body', (_q, res) => res.writeHead(200).end(`{"allow":true,"pad":"${'x'.repeat(MAX_WEBHOOK_RESPONSE_BYTES)}"}`)],
  ])('webhook-error: %s', async (_name, h) => {
    handler = h;
    expect(await authorizer().authorize(req)).toEqual({ ok: false, reason: 'webhook-error' });
    expect(received.map((r) => r.url)).toEqual(['/auth']);
  });

  test('no answer in time is a timeout', async () => {
    handler = () => {}; // never answers
    expect(await authorizer({ timeoutMs: 100 }).authorize(req)).toEqual({ ok: false, reason: 'timeout' });
  });

  test('a body that stalls past the deadline is a timeout too', async () => {
    handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"allow":');
    };
    expect(await authorizer({ timeoutMs: 150 }).authorize(req)).toEqual({ ok: false, reason: 'timeout' });
  });

  test('an unreachable webhook is a webhook-error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const a = new WebhookAuthorizer({ url: `http://127.0.0.1:${port}/auth`, timeoutMs: 2000 });
    expect(await a.authorize(req)).toEqual({ ok: false, reason: 'webhook-error' });
  });

  test('failures are logged without the key and without the URL query', async () => {
    const logs: string[] = [];
    handler = json(502, {});
    expect(await authorizer({ path: '/auth?token=url-token-secret', logs }).authorize(req)).toEqual({ ok: false, reason: 'webhook-error' });
    handler = () => {};
    expect(await authorizer({ path: '/auth?token=url-token-secret', logs, timeoutMs: 50 }).authorize(req)).toEqual({ ok: false, reason: 'timeout' });
    const text = logs.join('');
    expect(logs).toHaveLength(2);
    expect(text).toContain('conn-42');
    expect(text).toContain('status 502');
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('url-token-secret');
  });
});
