import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '@headwater/config';
import { createLogger } from '@headwater/log';
import { createApiServer } from './api-server.js';
import { DEFAULT_STATIC_DIR, VENDOR_MODULES, resolveVendorFile } from './static-files.js';
import { ADMIN_TOKEN, BUCKET, startApiHarness } from './testing/api-harness.js';
import type { ApiHarness } from './testing/api-harness.js';

// The routes outside /api/v1: health, readiness, metrics, dashboard files, playback.

let h: ApiHarness;
const registry = new Registry();
const counter = new Counter({ name: 'headwater_test_requests_total', help: 'test counter', registers: [registry] });

beforeAll(async () => {
  h = await startApiHarness({ registry });
});
afterAll(async () => {
  await h?.stop();
});

describe('health and metrics', () => {
  test('healthz and readyz answer 200 when Redis and S3 answer', async () => {
    expect((await h.call('GET', '/healthz', { token: null })).json).toEqual({ status: 'ok' });
    expect((await h.call('GET', '/readyz', { token: null })).json).toEqual({ status: 'ok', checks: { redis: true, s3: true } });
  });

  test('/metrics serves the registry in its content type', async () => {
    counter.inc(3);
    const a = await h.call('GET', '/metrics', { token: null });
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe(registry.contentType);
    expect(a.text).toContain('headwater_test_requests_total 3');
  });

  test('without a registry or a playback handler, /metrics and /streams/* are 404', async () => {
    const bare = createApiServer({
      config: loadConfig({}, { cwd: h.staticDir }),
      redis: h.redis,
      s3: h.s3,
      bucket: BUCKET,
      keyStore: h.keyStore,
      liveSessions: h.liveSessions,
      segmentQueue: h.queue,
      logger: createLogger({ level: 'silent' }),
      adminToken: ADMIN_TOKEN,
    });
    const port = await bare.listen('127.0.0.1', 0);
    try {
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/streams/a/b/master.m3u8`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await bare.close();
    }
  });

  test('an empty admin token is refused at construction', () => {
    expect(() => createApiServer({ adminToken: '' } as Parameters<typeof createApiServer>[0])).toThrow(/admin token/);
  });
});

describe('dashboard files', () => {
  beforeAll(async () => {
    await writeFile(path.join(h.staticDir, 'index.html'), '<!doctype html><title>Headwater</title>');
    await writeFile(path.join(h.staticDir, 'app.js'), 'export const x = 1;\n');
    await mkdir(path.join(h.staticDir, 'css'));
    await writeFile(path.join(h.staticDir, 'css', 'app.css'), 'body { margin: 0 }\n');
    await writeFile(path.join(h.staticDir, '.env'), 'SECRET=1');
  });

  test('/ is index.html; /static/* the directory', async () => {
    const index = await h.call('GET', '/', { token: null });
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.text).toContain('<title>Headwater</title>');
    const js = await h.call('GET', '/static/app.js', { token: null });
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.text).toBe('export const x = 1;\n');
    expect((await h.call('GET', '/static/css/app.css', { token: null })).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  test.each(['/static/.env', '/static/../api-server.ts', '/static/%2e%2e/%2e%2e/package.json', '/static/css', '/static/missing.js', '/static/css%2F..%2F.env', '/static/'])(
    '%s is 404',
    async (target) => {
      const a = await h.call('GET', target, { token: null });
      expect(a.status).toBe(404);
      expect(a.text).not.toContain('SECRET');
    },
  );

  test('/vendor/hls.js is the hls.js build from node_modules', async () => {
    const file = resolveVendorFile(VENDOR_MODULES['hls.js'] ?? []);
    expect(file).toBeDefined();
    const a = await h.call('GET', '/vendor/hls.js', { token: null });
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(a.text).toBe(await readFile(file as string, 'utf8'));
  });

  test('/vendor/dash.js is dash.js from node_modules when installed, else 404', async () => {
    const file = resolveVendorFile(VENDOR_MODULES['dash.js'] ?? []);
    const a = await h.call('GET', '/vendor/dash.js', { token: null });
    if (file === undefined) {
      expect(a.status).toBe(404);
    } else {
      expect(a.status).toBe(200);
      expect(a.text).toBe(await readFile(file, 'utf8'));
    }
  });

  test('the default static directory is services/api/static', () => {
    expect(DEFAULT_STATIC_DIR.replaceAll('\\', '/')).toMatch(/services\/api\/static\/?$/);
  });
});

describe('/streams/* goes to the playback handler', () => {
  test('GET, HEAD, OPTIONS, ranges; other methods 405; traversal 400', async () => {
    await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'streams/chS/sess/master.m3u8', Body: '#EXTM3U\n', ContentType: 'application/vnd.apple.mpegurl' }));
    const get = await h.call('GET', '/streams/chS/sess/master.m3u8', { token: null });
    expect(get.status).toBe(200);
    expect(get.text).toBe('#EXTM3U\n');
    expect(get.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(get.headers.get('access-control-allow-origin')).toBe('*');
    const range = await h.call('GET', '/streams/chS/sess/master.m3u8', { token: null, headers: { range: 'bytes=1-3' } });
    expect(range.status).toBe(206);
    expect(range.text).toBe('EXT');
    const head = await h.call('HEAD', '/streams/chS/sess/master.m3u8', { token: null });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('8');
    expect((await h.call('OPTIONS', '/streams/chS/sess/master.m3u8', { token: null })).status).toBe(204);
    expect((await h.call('DELETE', '/streams/chS/sess/master.m3u8', { token: null })).status).toBe(405);
    expect((await h.call('GET', '/streams/chS/sess/missing.m3u8', { token: null })).status).toBe(404);
    expect((await h.call('GET', '/streams/chS/sess%2F..%2F..%2Fx/master.m3u8', { token: null })).status).toBe(400);
  });
});
