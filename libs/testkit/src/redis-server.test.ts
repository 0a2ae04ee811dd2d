import { existsSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

/** The error code of a plain TCP connect to the port, or 'connected'. */
function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve('connected');
    });
    sock.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('startRedisServer', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  test('answers on 127.0.0.1 at the URL it reports', async () => {
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    const client = new Redis(server.url, { lazyConnect: true });
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
      expect(await client.config('GET', 'dir')).toEqual(['dir', server.dataDir]);
    } finally {
      client.disconnect();
    }
  });

  test('restart keeps the port and the data; a client reconnects by itself', async () => {
    const client = new Redis(server.url, { maxRetriesPerRequest: null });
    try {
      await client.set('survives', 'yes');
      await server.restart();
      expect(await client.get('survives')).toBe('yes');
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    } finally {
      client.disconnect();
    }
  });

  test('pause() refuses connections for as long as it lasts; restart() comes back on the same port with the data', async () => {
    const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    try {
      await client.set('outlives-the-outage', 'yes');
      await server.pause();
      expect(await connectError(server.port)).toBe('ECONNREFUSED');
      // A command issued during the outage waits in ioredis's offline queue and runs afterwards.
      let answered = false;
      const pending = client.get('outlives-the-outage').then((v) => ((answered = true), v));
      await new Promise((r) => setTimeout(r, 500));
      expect(answered).toBe(false);
      await server.pause(); // idempotent while paused
      await server.restart();
      expect(await pending).toBe('yes');
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    } finally {
      client.disconnect();
    }
  });
});

test('two servers get different free ports; stop deletes the temporary data directory', async () => {
  const [a, b] = await Promise.all([startRedisServer({ persistence: false }), startRedisServer({ persistence: false })]);
  try {
    expect(a.port).not.toBe(b.port);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  expect(existsSync(a.dataDir)).toBe(false);
  await a.stop(); // idempotent
  await expect(a.restart()).rejects.toThrow(/after stop/);
  await expect(a.pause()).rejects.toThrow(/after stop/);
});

test('a taken explicit port is reported, not retried elsewhere', async () => {
  const a = await startRedisServer({ persistence: false });
  try {
    await expect(startRedisServer({ port: a.port, persistence: false })).rejects.toThrow(/exited|Address already in use/i);
  } finally {
    await a.stop();
  }
});
