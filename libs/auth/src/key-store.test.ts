import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer } from '@headwater/testkit';
import type { RedisServer } from '@headwater/testkit';
import { CHANNEL_ID_CHARS, KEY_SECRET_CHARS, KeyStore, KeyStoreError } from './key-store.js';

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer(); // persistence on: the at-rest check below reads its files
  redis = new Redis(server.url);
});

afterAll(async () => {
  await redis.quit();
  await server.stop();
});

/** A store with a prefix of its own, so tests do not see each other's channels. */
function store(opts: { pepper?: string; now?: () => number } = {}): KeyStore {
  return new KeyStore(redis, { prefix: `test:${randomUUID()}:`, ...opts });
}

/** Replaces one character of the secret part (keeping the format valid). */
function tamper(key: string): string {
  const last = key.at(-1) === 'a' ? 'b' : 'a';
  return key.slice(0, -1) + last;
}

describe('KeyStore', () => {
  test('createChannel returns a well-formed key that verifies', async () => {
    const s = store({ now: () => 1_700_000_000_000 });
    const { channel, streamKey } = await s.createChannel('Main stage');
    expect(channel).toEqual({
      id: expect.stringMatching(new RegExp(`^[0-9A-Za-z]{${CHANNEL_ID_CHARS}}$`)) as unknown,
      name: 'Main stage',
      createdAt: new Date(1_700_000_000_000),
      keyCreatedAt: new Date(1_700_000_000_000),
      revoked: false,
    });
    expect(streamKey).toMatch(new RegExp(`^hw_${channel.id}_[0-9A-Za-z]{${KEY_SECRET_CHARS}}$`));
    expect(await s.verify(streamKey)).toEqual({ ok: true, channelId: channel.id });
    expect(await s.getChannel(channel.id)).toEqual(channel);
  });

  test('keys and ids are distinct across many creations', async () => {
    const s = store();
    const made = await Promise.all(Array.from({ length: 50 }, () => s.createChannel()));
    expect(new Set(made.map((m) => m.streamKey)).size).toBe(50);
    expect(new Set(made.map((m) => m.channel.id)).size).toBe(50);
    // The name defaults to the id.
    for (const m of made) expect(m.channel.name).toBe(m.channel.id);
  });

  test('listChannels returns every channel, oldest first', async () => {
    let t = 1000;
    const s = store({ now: () => (t += 1000) });
    const a = await s.createChannel('a');
    const b = await s.createChannel('b');
    const c = await s.createChannel('c');
    expect((await s.listChannels()).map((ch) => ch.name)).toEqual(['a', 'b', 'c']);
    await s.deleteChannel(b.channel.id);
    expect((await s.listChannels()).map((ch) => ch.id)).toEqual([a.channel.id, c.channel.id]);
    expect(await store().listChannels()).toEqual([]);
  });

  test('rotateKey invalidates the old key', async () => {
    let t = 5000;
    const s = store({ now: () => t });
    const { channel, streamKey: first } = await s.createChannel();
    t = 9000;
    const second = await s.rotateKey(channel.id);
    expect(second).not.toBe(first);
    expect(await s.verify(first)).toEqual({ ok: false, reason: 'unknown-key' });
    expect(await s.verify(second)).toEqual({ ok: true, channelId: channel.id });
    expect((await s.getChannel(channel.id))?.keyCreatedAt).toEqual(new Date(9000));
  });

  test('revokeKey leaves the channel without a valid key until rotateKey', async () => {
    const s = store();
    const { channel, streamKey } = await s.createChannel();
    await s.revokeKey(channel.id);
    expect(await s.verify(streamKey)).toEqual({ ok: false, reason: 'revoked' });
    // A wrong secret for a revoked channel says nothing about the channel.
    expect(await s.verify(tamper(streamKey))).toEqual({ ok: false, reason: 'unknown-key' });
    expect(await s.getChannel(channel.id)).toMatchObject({ id: channel.id, revoked: true });
    await s.revokeKey(channel.id); // idempotent
    const fresh = await s.rotateKey(channel.id);
    expect(await s.verify(fresh)).toEqual({ ok: true, channelId: channel.id });
    expect(await s.verify(streamKey)).toEqual({ ok: false, reason: 'unknown-key' });
    expect(await s.getChannel(channel.id)).toMatchObject({ revoked: false });
  });

  test('deleteChannel removes the channel and its key', async () => {
    const s = store();
    const { channel, streamKey } = await s.createChannel();
    expect(await s.deleteChannel(channel.id)).toBe(true);
    expect(await s.deleteChannel(channel.id)).toBe(false);
    expect(await s.verify(streamKey)).toEqual({ ok: false, reason: 'unknown-key' });
    expect(await s.getChannel(channel.id)).toBeUndefined();
    // No resurrection through a late rotate or revoke.
    await expect(s.rotateKey(channel.id)).rejects.toMatchObject({ name: 'KeyStoreError', code: 'unknown-channel' });
    await expect(s.revokeKey(channel.id)).rejects.toBeInstanceOf(KeyStoreError);
    expect(await s.getChannel(channel.id)).toBeUndefined();
  });

  test('unknown and invalid channel ids', async () => {
    const s = store();
    expect(await s.getChannel('nope')).toBeUndefined();
    expect(await s.getChannel('A'.repeat(CHANNEL_ID_CHARS))).toBeUndefined();
    expect(await s.deleteChannel('../../x')).toBe(false);
    await expect(s.rotateKey('A'.repeat(CHANNEL_ID_CHARS))).rejects.toMatchObject({ code: 'unknown-channel' });
    await expect(s.revokeKey('*')).rejects.toMatchObject({ code: 'unknown-channel' });
  });

  test('channel names are validated', async () => {
    const s = store();
    for (const bad of ['', '   ', 'x'.repeat(201), 'line\nbreak', 'nul\u0000']) {
      await expect(s.createChannel(bad)).rejects.toMatchObject({ code: 'invalid-name' });
    }
    expect((await s.createChannel('Ünïcode ok 🎥')).channel.name).toBe('Ünïcode ok 🎥');
  });

  test('verify: malformed, tampered and cross-channel keys', async () => {
    const s = store();
    const a = await s.createChannel();
    const b = await s.createChannel();
    const secretA = a.streamKey.slice(-KEY_SECRET_CHARS);
    const malformed = ['', 'hw_', a.streamKey.slice(0, -1), `${a.streamKey}x`, ` ${a.streamKey}`, a.streamKey.replace('hw_', 'HW_'), 'x'.repeat(5000), `hw_${a.channel.id}_${secretA.slice(0, -1)}é`];
    for (const key of malformed) expect(await s.verify(key)).toEqual({ ok: false, reason: 'malformed' });
    expect(await s.verify(tamper(a.streamKey))).toEqual({ ok: false, reason: 'unknown-key' });
    // A's secret under B's id.
    expect(await s.verify(`hw_${b.channel.id}_${secretA}`)).toEqual({ ok: false, reason: 'unknown-key' });
    // A well-formed key for a channel that never existed.
    expect(await s.verify(`hw_${'Z'.repeat(CHANNEL_ID_CHARS)}_${secretA}`)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  test('a pepper changes the hashes: keys only verify with the same pepper', async () => {
    const prefix = `test:${randomUUID()}:`;
    const peppered = new KeyStore(redis, { prefix, pepper: 'installation-secret' });
    const { channel, streamKey } = await peppered.createChannel();
    expect(await peppered.verify(streamKey)).toEqual({ ok: true, channelId: channel.id });
    expect(await new KeyStore(redis, { prefix }).verify(streamKey)).toEqual({ ok: false, reason: 'unknown-key' });
    expect(await new KeyStore(redis, { prefix, pepper: 'other' }).verify(streamKey)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  test('raw keys are never at rest: not in any Redis key or value, nor in its files', async () => {
    const s = store();
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push((await s.createChannel(`ch${i}`)).streamKey);
    const rotated = await s.rotateKey(keys[1]?.split('_')[1] ?? '');
    keys.push(rotated);
    await s.revokeKey(keys[2]?.split('_')[1] ?? '');

    const dump: string[] = [];
    let cursor = '0';
    do {
      const [next, names] = await redis.scan(cursor, 'COUNT', 1000);
      cursor = next;
      for (const name of names) {
        dump.push(name);
        const type = await redis.type(name);
        if (type === 'hash') dump.push(...Object.entries(await redis.hgetall(name)).flat());
        else if (type === 'zset') dump.push(...(await redis.zrange(name, 0, '-1', 'WITHSCORES')));
        else if (type === 'string') dump.push((await redis.get(name)) ?? '');
        else if (type === 'set') dump.push(...(await redis.smembers(name)));
        else if (type === 'list') dump.push(...(await redis.lrange(name, 0, -1)));
        else throw new Error(`unexpected type ${type}`);
      }
    } while (cursor !== '0');
    const everything = dump.join('\n');
    expect(everything).toContain('keyHash'); // the scan did see our data
    for (const key of keys) {
      expect(everything).not.toContain(key);
      expect(everything).not.toContain(key.slice(-KEY_SECRET_CHARS));
    }

    // The append-only file and an RDB snapshot hold only what Redis was sent.
    await redis.save();
    const files = listFiles(server.dataDir);
    expect(files.some((f) => f.includes('appendonly'))).toBe(true);
    const onDisk = files.map((f) => readFileSync(f).toString('latin1')).join('\n');
    expect(onDisk).toContain('keyHash');
    for (const key of keys) expect(onDisk).not.toContain(key.slice(-KEY_SECRET_CHARS));
  });

  test('verify fails loudly (rejects) when Redis is unreachable', async () => {
    const down = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    down.on('error', () => {});
    try {
      await expect(new KeyStore(down).verify(`hw_${'A'.repeat(CHANNEL_ID_CHARS)}_${'B'.repeat(KEY_SECRET_CHARS)}`)).rejects.toThrow();
    } finally {
      down.disconnect();
    }
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}
