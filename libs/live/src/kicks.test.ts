import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedisServer } from '@headwater/testkit';
import type { RedisServer } from '@headwater/testkit';
import { KICK_CHANNEL, requestKick, subscribeKicks } from './kicks.js';

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
  await server?.stop();
});

/** Resolves with the next `count` kicks the callback sees. */
function collect(count: number): { seen: string[]; done: Promise<string[]>; onKick: (id: string) => void } {
  const seen: string[] = [];
  let resolve!: (v: string[]) => void;
  const done = new Promise<string[]>((r) => (resolve = r));
  return {
    seen,
    done,
    onKick: (id) => {
      seen.push(id);
      if (seen.length === count) resolve(seen);
    },
  };
}

describe('kicks', () => {
  test('every subscribed node hears the kick; the count is the subscribers reached', async () => {
    const publisher = client();
    expect(await requestKick(publisher, 'nobody-listens')).toBe(0);
    const a = collect(2);
    const b = collect(2);
    const stopA = await subscribeKicks(client(), a.onKick);
    const stopB = await subscribeKicks(client(), b.onKick);
    expect(await requestKick(publisher, 'ch1')).toBe(2);
    expect(await requestKick(publisher, 'ch2')).toBe(2);
    expect(await a.done).toEqual(['ch1', 'ch2']);
    expect(await b.done).toEqual(['ch1', 'ch2']);
    await stopA();
    expect(await requestKick(publisher, 'ch3')).toBe(1);
    await stopB();
    expect(await requestKick(publisher, 'ch4')).toBe(0);
  });

  test('messages that are not channel ids are ignored; a throwing callback does not end the subscription', async () => {
    const publisher = client();
    const seen: string[] = [];
    let resolve!: () => void;
    const got = new Promise<void>((r) => (resolve = r));
    const stop = await subscribeKicks(client(), (id) => {
      seen.push(id);
      if (id === 'boom') throw new Error('kicker failed');
      if (id === 'last') resolve();
    });
    await publisher.publish(KICK_CHANNEL, '../etc');
    await publisher.publish(KICK_CHANNEL, '');
    await requestKick(publisher, 'boom');
    await requestKick(publisher, 'last');
    await got;
    expect(seen).toEqual(['boom', 'last']);
    await stop();
  });

  test('requestKick refuses an unsafe channel id', async () => {
    await expect(requestKick(client(), 'a/b')).rejects.toThrow(TypeError);
  });

  test('the subscription survives a Redis restart (ioredis resubscribes)', async () => {
    const sub = client();
    const k = collect(1);
    const stop = await subscribeKicks(sub, k.onKick);
    await server.restart();
    const publisher = client();
    // The subscriber reconnects on its own schedule: ask until a subscriber is reached.
    for (let i = 0; i < 100 && (await requestKick(publisher, 'after-restart')) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await k.done).toEqual(['after-restart']);
    await stop();
  });
});
