import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedisServer } from '@headwater/testkit';
import type { RedisServer } from '@headwater/testkit';
import type { LiveSession } from './live-session.js';
import { decodeLiveSession, isLiveSession } from './live-session.js';
import { LiveSessionError, LiveSessionStore } from './live-session-store.js';

let server: RedisServer;
let redis: Redis;
let n = 0;

beforeAll(async () => {
  server = await startRedisServer({ persistence: false });
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

/** A fresh prefix per test: tests share one Redis. */
const store = (ttlMs?: number): LiveSessionStore => new LiveSessionStore(redis, { prefix: `t${++n}:`, ...(ttlMs === undefined ? {} : { ttlMs }) });

function session(sessionId: string, over: Partial<LiveSession> = {}): LiveSession {
  return {
    sessionId,
    channelId: 'ch1',
    nodeId: 'node-a',
    app: 'live',
    startedAt: '2025-01-01T00:00:00.000Z',
    secure: false,
    tracks: [
      { kind: 'video', trackId: 0, codec: 'hvc1', codecString: 'hvc1.1.6.L93.B0', width: 1280, height: 720, frameRate: 30 },
      { kind: 'audio', trackId: 0, codec: 'Opus', sampleRate: 48000, channels: 2 },
    ],
    bitrateBps: 2_500_000,
    fps: 29.97,
    bytesIn: 123_456,
    updatedAt: '2025-01-01T00:00:05.000Z',
    ...over,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('LiveSessionStore', () => {
  test('put, get and list round trip the session', async () => {
    const s = store();
    const a = session('a', { playbackSessionId: 'earlier' });
    await s.put(a);
    expect(await s.get('a')).toEqual(a);
    expect(await s.list()).toEqual([a]);
    expect(await s.get('nope')).toBeNull();
  });

  test('put refreshes: the newest snapshot wins and the session stays listed once', async () => {
    const s = store();
    await s.put(session('a'));
    await s.put(session('a', { bytesIn: 999, fps: null }));
    expect(await s.list()).toEqual([session('a', { bytesIn: 999, fps: null })]);
  });

  test('list orders by start time', async () => {
    const s = store();
    await s.put(session('late', { startedAt: '2025-01-01T00:00:02.000Z' }));
    await s.put(session('early', { startedAt: '2025-01-01T00:00:01.000Z' }));
    expect((await s.list()).map((x) => x.sessionId)).toEqual(['early', 'late']);
  });

  test('remove forgets the session; removing twice is fine', async () => {
    const s = store();
    await s.put(session('a'));
    await s.put(session('b'));
    await s.remove('a');
    await s.remove('a');
    expect((await s.list()).map((x) => x.sessionId)).toEqual(['b']);
    expect(await s.get('a')).toBeNull();
  });

  test('an entry expires unless refreshed, and leaves the index', async () => {
    const prefix = `exp${++n}:`;
    const s = new LiveSessionStore(redis, { prefix, ttlMs: 600 });
    await s.put(session('stale'));
    await s.put(session('fresh'));
    for (let i = 0; i < 5; i++) {
      await sleep(150);
      await s.put(session('fresh'));
    }
    expect((await s.list()).map((x) => x.sessionId)).toEqual(['fresh']);
    expect(await s.get('stale')).toBeNull();
    expect(await redis.zrange(`${prefix}sessions`, 0, '-1')).toEqual(['fresh']);
    await sleep(700);
    expect(await s.list()).toEqual([]);
    expect(await redis.exists(`${prefix}sessions`)).toBe(0);
  });

  test('a stored entry that is not ours is skipped, not trusted', async () => {
    const prefix = `bad${++n}:`;
    const s = new LiveSessionStore(redis, { prefix });
    await s.put(session('ok'));
    await redis.set(`${prefix}session:evil`, JSON.stringify({ sessionId: 'evil', streamKey: 'hw_x' }), 'PX', 10_000);
    await redis.zadd(`${prefix}sessions`, 0, 'evil');
    expect((await s.list()).map((x) => x.sessionId)).toEqual(['ok']);
    expect(await s.get('evil')).toBeNull();
  });

  test.each<[string, Partial<LiveSession> | Record<string, unknown>]>([
    ['unsafe session id', { sessionId: '../x' }],
    ['unsafe channel id', { channelId: 'a/b' }],
    ['bad playback id', { playbackSessionId: '' }],
    ['bad start time', { startedAt: 'yesterday' }],
    ['negative bitrate', { bitrateBps: -1 }],
    ['NaN fps', { fps: Number.NaN }],
    ['bad track', { tracks: [{ kind: 'data', trackId: 0, codec: 'x' }] }],
  ])('put refuses a malformed session: %s', async (_name, over) => {
    const bad = { ...session('x'), ...over } as LiveSession;
    await expect(store().put(bad)).rejects.toBeInstanceOf(LiveSessionError);
    expect(isLiveSession(bad)).toBe(false);
  });

  test('a bad TTL is refused', () => {
    expect(() => new LiveSessionStore(redis, { ttlMs: 0 })).toThrow(LiveSessionError);
    expect(() => new LiveSessionStore(redis, { ttlMs: 1.5 })).toThrow(LiveSessionError);
  });
});

describe('decodeLiveSession', () => {
  test.each(['', 'null', '[]', '{', '{"sessionId":"a"}', 'x'.repeat(70_000)])('%j is null', (raw) => {
    expect(decodeLiveSession(raw)).toBeNull();
  });
});
