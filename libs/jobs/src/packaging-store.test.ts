import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySegmentDone, createPackagingState } from '@headwater/packager';
import type { PackagingState } from '@headwater/packager';
import { startRedisServer } from '@headwater/testkit';
import type { RedisServer } from '@headwater/testkit';
import { PackagingStoreError, createPackaging, getPackaging, updatePackaging } from './packaging-store.js';

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
