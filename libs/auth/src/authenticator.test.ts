import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { loadConfig } from '@headwater/config';
import { createLogger } from '@headwater/log';
import { startRedisServer } from '@headwater/testkit';
import type { RedisServer } from '@headwater/testkit';
import type { AuthRequest } from './auth-types.js';
import { createAuthenticator } from './authenticator.js';
import type { AuthSettings } from './authenticator.js';
import { signStreamKey } from './hmac-keys.js';
import { KeyStore } from './key-store.js';

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer({ persistence: false });
  redis = new Redis(server.url);
});

afterAll(async () => {
  await redis.quit();
  await server.stop();
});

const settings: AuthSettings = {
  mode: 'keys',
  webhookTimeoutMs: 2000,
  failDelayMs: 1000,
  maxFailDelayMs: 4000,
  maxFailuresPerIpPerMinute: 3,
};

function request(streamKey: string, clientIp = '198.51.100.9'): AuthRequest {
  return { streamKey, app: 'live', clientIp, connectionId: randomUUID(), query: {} };
}

function clock(): { now: () => number; advance(ms: number): void } {
  let t = Date.UTC(2030, 0, 1);
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('createAuthenticator', () => {
  test('the auth section of HeadwaterConfig is accepted as settings', () => {
    const config = loadConfig({ HEADWATER_AUTH_MODE: 'hmac', HEADWATER_AUTH_HMAC_SECRET: 's'.repeat(40) }, { cwd: '/' });
    const auth = createAuthenticator(config.auth);
    expect(auth.mode).toBe('hmac');
  });

  test('refuses to start without what the mode needs', () => {
    expect(() => createAuthenticator(settings)).toThrow(/KeyStore/);
    expect(() => createAuthenticator({ ...settings, mode: 'hmac' })).toThrow(/hmacSecret/);
    expect(() => createAuthenticator({ ...settings, mode: 'hmac', hmacSecret: 'short' })).toThrow(RangeError);
    expect(() => createAuthenticator({ ...settings, mode: 'webhook' })).toThrow(/webhookUrl/);
  });

  describe('keys mode (real Redis)', () => {
    test('allows a valid key, refuses others with a reason and a growing delay', async () => {
      const store = new KeyStore(redis, { prefix: `test:${randomUUID()}:` });
      const { channel, streamKey } = await store.createChannel('main');
      const c = clock();
      const auth = createAuthenticator({ ...settings, maxFailuresPerIpPerMinute: 10 }, { keyStore: store, now: c.now });
      expect(await auth.authorize(request(streamKey))).toEqual({ allow: true, channelId: channel.id, mode: 'keys' });
      expect(await auth.authorize(request('garbage'))).toEqual({ allow: false, reason: 'malformed', delayMs: 1000 });
      expect(await auth.authorize(request(''))).toEqual({ allow: false, reason: 'malformed', delayMs: 2000 });
      const rotated = await store.rotateKey(channel.id);
      expect(await auth.authorize(request(streamKey))).toEqual({ allow: false, reason: 'unknown-key', delayMs: 4000 });
      await store.revokeKey(channel.id);
      expect(await auth.authorize(request(rotated))).toEqual({ allow: false, reason: 'revoked', delayMs: 4000 });
      // A different client is not slowed down by the first one's failures.
      expect(await auth.authorize(request('garbage', '203.0.113.1'))).toEqual({ allow: false, reason: 'malformed', delayMs: 1000 });
    });

    test('a rate-limited client is refused without its key being checked, until the window slides', async () => {
      const store = new KeyStore(redis, { prefix: `test:${randomUUID()}:` });
      const { channel, streamKey } = await store.createChannel();
      const c = clock();
      const auth = createAuthenticator(settings, { keyStore: store, now: c.now });
      for (let i = 0; i < 3; i++) {
        expect(await auth.authorize(request(`hw_${channel.id}_${'x'.repeat(33)}`))).toMatchObject({ allow: false, reason: 'unknown-key' });
        c.advance(1000);
      }
      // Even the right key is refused: the limiter answers before the store is asked.
      expect(await auth.authorize(request(streamKey))).toEqual({ allow: false, reason: 'rate-limited', delayMs: 0 });
      expect(auth.limiter.failureCount('198.51.100.9')).toBe(3);
      expect(await auth.authorize(request(streamKey, '198.51.100.10'))).toMatchObject({ allow: true });
      c.advance(57_001);
      expect(await auth.authorize(request(streamKey))).toEqual({ allow: true, channelId: channel.id, mode: 'keys' });
    });

    test('a Redis failure is "unavailable", logged without the key, and not held against the client', async () => {
      const down = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
      down.on('error', () => {});
      const logs: string[] = [];
      const logger = createLogger({ destination: { write: (s: string) => void logs.push(s) } });
      const key = `hw_${'A'.repeat(12)}_${'S3cret'.repeat(5)}abc`;
      try {
        const auth = createAuthenticator(settings, { keyStore: new KeyStore(down), logger });
        expect(await auth.authorize(request(key))).toEqual({ allow: false, reason: 'unavailable', delayMs: 0 });
        expect(auth.limiter.failureCount('198.51.100.9')).toBe(0);
      } finally {
        down.disconnect();
      }
      expect(logs.join('')).toContain('stream key check failed');
      expect(logs.join('')).not.toContain('S3cret');
    });
  });

  describe('hmac mode', () => {
    const secret = 'h'.repeat(32);

    test('allows signed keys until they expire, using the injected clock', async () => {
      const c = clock();
      const auth = createAuthenticator({ ...settings, mode: 'hmac', hmacSecret: secret, maxFailuresPerIpPerMinute: 0 }, { now: c.now });
      const key = signStreamKey({ channelId: 'studio', expiresAt: new Date(c.now() + 60_000), secret });
      expect(await auth.authorize(request(key))).toEqual({ allow: true, channelId: 'studio', mode: 'hmac' });
      c.advance(60_000);
      expect(await auth.authorize(request(key))).toEqual({ allow: false, reason: 'expired', delayMs: 1000 });
      const forged = signStreamKey({ channelId: 'studio', expiresAt: new Date(c.now() + 60_000), secret: 'f'.repeat(32) });
      expect(await auth.authorize(request(forged))).toEqual({ allow: false, reason: 'bad-signature', delayMs: 2000 });
      expect(await auth.authorize(request('x'.repeat(2000)))).toEqual({ allow: false, reason: 'malformed', delayMs: 4000 });
    });
  });

  describe('webhook mode', () => {
    let hook: http.Server;
    let url: string;
    let answer: (body: { streamKey: string }) => [number, unknown] | 'hang';

    beforeAll(async () => {
      hook = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const a = answer(JSON.parse(body) as { streamKey: string });
          if (a !== 'hang') res.writeHead(a[0], { 'content-type': 'application/json' }).end(JSON.stringify(a[1]));
        });
      });
      await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/publish`;
    });

    afterAll(async () => {
      hook.closeAllConnections();
      await new Promise((resolve) => hook.close(resolve));
    });

    test('allow, deny and outages; only client failures count against the client', async () => {
      answer = (b) => (b.streamKey === 'good' ? [200, { allow: true, channelId: 'cam-1' }] : [403, {}]);
      const auth = createAuthenticator({ ...settings, mode: 'webhook', webhookUrl: url, webhookTimeoutMs: 100 });
      expect(await auth.authorize(request('good'))).toEqual({ allow: true, channelId: 'cam-1', mode: 'webhook' });
      expect(await auth.authorize(request('bad'))).toEqual({ allow: false, reason: 'denied', delayMs: 1000 });
      answer = () => [503, {}];
      expect(await auth.authorize(request('good'))).toEqual({ allow: false, reason: 'webhook-error', delayMs: 0 });
      answer = () => 'hang';
      expect(await auth.authorize(request('good'))).toEqual({ allow: false, reason: 'timeout', delayMs: 0 });
      expect(auth.limiter.failureCount('198.51.100.9')).toBe(1);
    });
  });
});
