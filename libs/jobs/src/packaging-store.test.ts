import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEnd, applySegmentDone, applySegmentFailed, applySourceSegment, createPackagingState, sessionPhase } from '@headwater/packager';
import type { PackagingState } from '@headwater/packager';
import { startRedisServer } from '@headwater/testkit';
import type { RedisServer } from '@headwater/testkit';
import {
  DEFAULT_LIVE_TTL_MS,
  DEFAULT_VOD_TTL_MS,
  PackagingStoreError,
  createPackaging,
  getPackaging,
  packagingKey,
  packagingTtlMs,
  updatePackaging,
} from './packaging-store.js';

let server: RedisServer;
const clients: Redis[] = [];
const client = (): Redis => {
  const c = new Redis(server.url, { maxRetriesPerRequest: null });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  server = await startRedisServer({ persistence: false });
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server.stop();
});

const RENDITIONS = ['720p', '360p', 'audio'] as const;
function initial(sessionId: string): PackagingState {
  return createPackagingState({
    sessionId,
    channelId: 'ch1',
    startedAtMs: 1_700_000_000_000,
    renditions: [
      { kind: 'video', id: '720p', codecs: 'avc1.64001f', width: 1280, height: 720, frameRate: 30, nominalBitrate: 3_000_000 },
      { kind: 'video', id: '360p', codecs: 'avc1.64001e', width: 640, height: 360, frameRate: 30, nominalBitrate: 800_000 },
      { kind: 'audio', id: 'audio', codecs: 'mp4a.40.2', sampleRateHz: 48000, channels: 2, nominalBitrate: 128_000 },
    ],
  });
}

describe('packaging store', () => {
  it('creates once and reads back the same state', async () => {
    const redis = client();
    const state = initial('s-create');
    expect(await createPackaging(redis, state)).toBe(true);
    expect(await createPackaging(redis, { ...state, startedAtMs: 1 })).toBe(false);
    expect(await getPackaging(redis, 's-create')).toEqual(state);
    expect(await getPackaging(redis, 's-none')).toBeNull();
  });

  it('loses no update when many clients race', async () => {
    const sessionId = 's-race';
    await createPackaging(client(), initial(sessionId));
    const racers = [client(), client(), client(), client()];
    const SEGMENTS = 10;
    const events = Array.from({ length: SEGMENTS }, (_, index) => RENDITIONS.map((rendition) => ({ rendition, index, durationMs: 2000, bytes: 1000 + index }))).flat();
    await Promise.all(
      events.map((event, i) => updatePackaging(racers[i % racers.length] as Redis, sessionId, (s) => applySegmentDone(s, event))),
    );
    const final = await getPackaging(client(), sessionId);
    expect(final?.publishedCount).toBe(SEGMENTS);
    expect(final?.segments.every((seg) => seg?.outputs.every((o) => o?.status === 'done'))).toBe(true);
  });

  it('writes nothing when the reducer returns its input, and refuses a missing session', async () => {
    const redis = client();
    await createPackaging(redis, initial('s-same'));
    const before = await redis.hget('headwater:packaging:s-same', 'rev');
    await updatePackaging(redis, 's-same', (s) => s);
    expect(await redis.hget('headwater:packaging:s-same', 'rev')).toBe(before);
    await expect(updatePackaging(redis, 's-missing', (s) => s)).rejects.toMatchObject({ code: 'missing' });
    await expect(updatePackaging(redis, 'bad id!', (s) => s)).rejects.toBeInstanceOf(PackagingStoreError);
  });
});

describe('packaging state expiry', () => {
  /** PTTL within `slackMs` below `ttlMs` (time passes between the write and the read). */
  const near = (ttlMs: number, slackMs = 5000) => expect.toSatisfy((pttl: number) => pttl <= ttlMs && pttl > ttlMs - slackMs);

  it('a new state expires after the live TTL, renewed by each write; a VOD keeps the retention TTL', async () => {
    const redis = client();
    const sessionId = 's-ttl';
    const key = packagingKey(sessionId);
    await createPackaging(redis, initial(sessionId));
    expect(await redis.pttl(key)).toEqual(near(DEFAULT_LIVE_TTL_MS));

    // Each write renews the live TTL (an old expiry shortened by hand is pushed back up).
    await redis.pexpire(key, 60_000);
    await updatePackaging(redis, sessionId, (s) => applySourceSegment(s, { index: 0, durationMs: 2000 }));
    expect(await redis.pttl(key)).toEqual(near(DEFAULT_LIVE_TTL_MS));

    // Ended but a segment still pending: 'ending', still the live TTL.
    await redis.pexpire(key, 60_000);
    const ending = await updatePackaging(redis, sessionId, (s) => applyEnd(s, { segmentCount: 1 }));
    expect(sessionPhase(ending)).toBe('ending');
    expect(await redis.pttl(key)).toEqual(near(DEFAULT_LIVE_TTL_MS));

    // The last segment settles (here as a gap): a VOD, kept for the retention period.
    const vod = await updatePackaging(redis, sessionId, (s) => applySegmentFailed(s, { index: 0, durationMs: 2000 }));
    expect(sessionPhase(vod)).toBe('vod');
    expect(await redis.pttl(key)).toEqual(near(DEFAULT_VOD_TTL_MS));

    // A reducer that changes nothing writes nothing, the expiry included.
    await redis.pexpire(key, 60_000);
    await updatePackaging(redis, sessionId, (s) => applySegmentFailed(s, { index: 0, durationMs: 2000 }));
    expect(await redis.pttl(key)).toEqual(near(60_000));
  });

  it('TTLs are overridable per call, and a refused create leaves the existing expiry alone', async () => {
    const redis = client();
    const sessionId = 's-ttl-opts';
    const key = packagingKey(sessionId);
    const ttls = { liveTtlMs: 90_000, vodTtlMs: 30_000 };
    expect(await createPackaging(redis, initial(sessionId), ttls)).toBe(true);
    expect(await redis.pttl(key)).toEqual(near(90_000));
    expect(await createPackaging(redis, initial(sessionId), { liveTtlMs: 1000 })).toBe(false);
    expect(await redis.pttl(key)).toEqual(near(90_000));

    await updatePackaging(redis, sessionId, (s) => applyEnd(s, { segmentCount: 0 }), ttls);
    expect(await redis.pttl(key)).toEqual(near(30_000));
    expect(packagingTtlMs(initial(sessionId), ttls)).toBe(90_000);
    expect(packagingTtlMs(initial(sessionId))).toBe(DEFAULT_LIVE_TTL_MS);
  });

  it('a created state that is already a VOD gets the retention TTL; the key really expires', async () => {
    const redis = client();
    const vod = applyEnd(initial('s-ttl-vod'), { segmentCount: 0 });
    expect(sessionPhase(vod)).toBe('vod');
    await createPackaging(redis, vod, { vodTtlMs: 200 });
    expect(await redis.pttl(packagingKey('s-ttl-vod'))).toEqual(near(200, 200));
    await new Promise((r) => setTimeout(r, 400));
    expect(await getPackaging(redis, 's-ttl-vod')).toBeNull();
  });

  it('refuses TTLs that are not positive integer milliseconds, before touching Redis', async () => {
    const redis = client();
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(createPackaging(redis, initial('s-ttl-bad'), { liveTtlMs: bad })).rejects.toMatchObject({ code: 'invalid-ttl' });
      await expect(updatePackaging(redis, 's-ttl-bad', (s) => s, { vodTtlMs: bad })).rejects.toMatchObject({ code: 'invalid-ttl' });
    }
    expect(await redis.exists(packagingKey('s-ttl-bad'))).toBe(0);
  });
});
