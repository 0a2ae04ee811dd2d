import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { EmbeddedRedisError, freePort, startEmbeddedRedis } from './embedded-redis.js';
import type { EmbeddedRedis } from './embedded-redis.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'headwater-embedded-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function start(opts: Parameters<typeof startEmbeddedRedis>[0]): Promise<EmbeddedRedis> {
  const r = await startEmbeddedRedis(opts);
  cleanup.push(() => r.stop());
  return r;
}

test('data survives restart with persistence (the product default), in a sub-directory that is created', async () => {
  const dataDir = path.join(tempDir(), 'nested', 'redis dir "quoted"');
  const r = await start({ dataDir });
  const client = new Redis(r.url, { maxRetriesPerRequest: null });
  cleanup.push(() => client.disconnect());
  await client.hset('h', 'f', 'v');
  const port = r.port;
  await r.stop();
  await r.stop(); // idempotent
  await r.restart(); // also works from stopped
  expect(r.port).toBe(port);
  expect(await client.hget('h', 'f')).toBe('v');
});

test('without persistence a restart starts empty', async () => {
  const r = await start({ dataDir: tempDir(), persistence: false });
  const client = new Redis(r.url, { maxRetriesPerRequest: null });
  cleanup.push(() => client.disconnect());
  await client.set('k', 'v');
  await r.restart();
  expect(await client.get('k')).toBeNull();
});

test('an explicit port is used', async () => {
  const port = await freePort();
  const r = await start({ dataDir: tempDir(), port, persistence: false });
  expect(r.port).toBe(port);
  expect(r.url).toBe(`redis://127.0.0.1:${port}`);
});

test('a missing redis-server binary gives an actionable error', async () => {
  await expect(startEmbeddedRedis({ dataDir: tempDir(), redisServerPath: '/nonexistent/redis-server' })).rejects.toThrow(
    new EmbeddedRedisError('/nonexistent/redis-server not found: install Redis (apt-get install -y redis-server) or set HEADWATER_REDIS_URL'),
  );
});
