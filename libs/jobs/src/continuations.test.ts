import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '@headwater/testkit';
import type { RedisServer } from '@headwater/testkit';
import { CONTINUATIONS_KEY, claimContinuation, decodeContinuation, offerContinuation, takeExpiredContinuations } from './continuations.js';
import type { Continuation } from './continuations.js';

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer({ persistence: false });
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const continuation = (channelId: string, deadlineMs: number): Continuation => ({
  channelId,
  sessionId: `sess-${channelId}`,
  outputPrefix: `streams/${channelId}/sess-${channelId}/`,
  segmentCount: 7,
  nextStartMs: 14_020,
  renditionsKey: 'source:avc1|audio:mp4a.40.2',
  deadlineMs,
});

describe('continuations', () => {
  it('hands a continuation to exactly one of several concurrent claimers', async () => {
    await offerContinuation(redis, continuation('race', 2_000));
    const claims = await Promise.all(Array.from({ length: 8 }, () => claimContinuation(redis, 'race', 1_000)));
    const won = claims.filter((c) => c !== null);
    expect(won).toEqual([{ continuation: continuation('race', 2_000), expired: false }]);
    expect(await claimContinuation(redis, 'race', 1_000)).toBeNull();
  });

  it('reports a claimed continuation past its deadline as expired', async () => {
    await offerContinuation(redis, continuation('late', 1_000));
    expect(await claimContinuation(redis, 'late', 1_000)).toEqual({ continuation: continuation('late', 1_000), expired: true });
  });

  it('takes only expired entries, once, and drops unreadable ones', async () => {
    await offerContinuation(redis, continuation('old', 500));
    await offerContinuation(redis, continuation('fresh', 5_000));
    await redis.hset(CONTINUATIONS_KEY, 'junk', '{not json');
    const taken = await takeExpiredContinuations(redis, 1_000);
    expect(taken).toEqual([continuation('old', 500)]);
    expect(await takeExpiredContinuations(redis, 1_000)).toEqual([]);
    expect(await redis.hkeys(CONTINUATIONS_KEY)).toEqual(['fresh']);
    expect(await claimContinuation(redis, 'fresh', 1_000)).toEqual({ continuation: continuation('fresh', 5_000), expired: false });
  });

  it('refuses entries that are not ours', () => {
    const good = continuation('x', 1);
    expect(decodeContinuation(JSON.stringify(good))).toEqual(good);
    for (const bad of [{ ...good, sessionId: '../x' }, { ...good, segmentCount: -1 }, { ...good, nextStartMs: 'x' }, null, 3]) {
      expect(decodeContinuation(JSON.stringify(bad))).toBeNull();
    }
  });
});
