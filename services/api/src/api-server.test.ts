import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPackaging } from '@headwater/jobs';
import { subscribeKicks } from '@headwater/live';
import type { LiveSession } from '@headwater/live';
import { applySegmentDone, applySourceSegment, createPackagingState } from '@headwater/packager';
import { API_VERSION } from './api-server.js';
import { ADMIN_TOKEN, startApiHarness } from './testing/api-harness.js';
import type { Answer, ApiHarness } from './testing/api-harness.js';

let h: ApiHarness;

/** Every stream key the API handed out (create and rotate), and the answers that carried them. */
const issuedKeys: string[] = [];
const keyAnswers = new Set<Answer>();

beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.stop();
});

interface ChannelView {
  id: string;
  name: string;
  createdAt: string;
  keyCreatedAt?: string;
  revoked: boolean;
  live: boolean;
}

async function createChannel(name: string): Promise<{ channel: ChannelView; streamKey: string }> {
  const a = await h.call('POST', '/api/v1/channels', { body: { name } });
  expect(a.status, a.text).toBe(201);
  const body = a.json as { channel: ChannelView; streamKey: string };
  issuedKeys.push(body.streamKey);
  keyAnswers.add(a);
  return body;
}

function errorCode(a: Answer): string | undefined {
  return (a.json as { error?: { code?: string } } | undefined)?.error?.code;
}

function liveSession(over: Partial<LiveSession> & Pick<LiveSession, 'sessionId' | 'channelId'>): LiveSession {
  return {
    nodeId: 'ingest-1',
    app: 'live',
    startedAt: new Date(Date.now() - 65_000).toISOString(),
    secure: true,
    tracks: [
      { kind: 'video', trackId: 0, codec: 'avc1', codecString: 'avc1.64001f', width: 1280, height: 720, frameRate: 30 },
      { kind: 'audio', trackId: 0, codec: 'mp4a', codecString: 'mp4a.40.2', sampleRate: 48000, channels: 2 },
    ],
    bitrateBps: 3_100_000,
    fps: 30,
    bytesIn: 25_000_000,
    updatedAt: new Date().toISOString(),
    ...over,
  };
}

const AUTHENTICATED_ROUTES: [string, string, unknown?][] = [
  ['GET', '/api/v1/channels'],
  ['POST', '/api/v1/channels', { name: 'x' }],
  ['GET', '/api/v1/channels/AAAAAAAAAAAA'],
  ['DELETE', '/api/v1/channels/AAAAAAAAAAAA'],
  ['POST', '/api/v1/channels/AAAAAAAAAAAA/key:rotate'],
  ['POST', '/api/v1/channels/AAAAAAAAAAAA/key:revoke'],
  ['POST', '/api/v1/channels/AAAAAAAAAAAA/kick'],
  ['GET', '/api/v1/sessions'],
  ['GET', '/api/v1/channels/AAAAAAAAAAAA/recordings'],
  ['POST', '/api/v1/recordings/vod', { key: 'archives/a/2025-01-01/2025-01-01T00-00-00-000Z_s.flv' }],
  ['GET', '/api/v1/vod/some-session'],
];

describe('admin token', () => {
  test.each(AUTHENTICATED_ROUTES)('%s %s is 401 without the token, with a wrong one, or another scheme', async (method, target, body) => {
    for (const headers of [{} as Record<string, string>, { authorization: `Bearer ${ADMIN_TOKEN}x` }, { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }, { authorization: `Basic ${ADMIN_TOKEN}` }, { authorization: ADMIN_TOKEN }]) {
      const a = await h.call(method, target, { token: null, headers, ...(body === undefined ? {} : { body }) });
      expect(a.status, JSON.stringify(headers)).toBe(401);
      expect(a.json).toEqual({ error: { code: 'unauthorized', message: 'missing or wrong admin token' } });
      expect(a.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  test('refused requests change nothing', async () => {
    expect(await h.keyStore.listChannels()).toEqual([]);
  });

  test('the open routes need no token', async () => {
    for (const target of ['/healthz', '/readyz', '/api/openapi.json']) {
      expect((await h.call('GET', target, { token: null })).status, target).toBe(200);
    }
  });
});

describe('channels', () => {
  test('create, list, get, rotate, revoke, delete', async () => {
    const created = await createChannel('Studio A');
    expect(created.channel).toMatchObject({ name: 'Studio A', revoked: false, live: false });
    expect(created.channel.id).toMatch(/^[0-9A-Za-z]{12}$/);
    expect(Date.parse(created.channel.createdAt)).not.toBeNaN();
    expect(await h.keyStore.verify(created.streamKey)).toEqual({ ok: true, channelId: created.channel.id });

    const list = await h.call('GET', '/api/v1/channels');
    expect(list.status).toBe(200);
    expect(list.headers.get('cache-control')).toBe('no-store');
    expect((list.json as { channels: ChannelView[] }).channels).toEqual([created.channel]);

    const got = await h.call('GET', `/api/v1/channels/${created.channel.id}`);
    expect(got.json).toEqual({ channel: created.channel });

    const rotated = await h.call('POST', `/api/v1/channels/${created.channel.id}/key:rotate`);
    expect(rotated.status).toBe(200);
    const { streamKey } = rotated.json as { streamKey: string };
    issuedKeys.push(streamKey);
    keyAnswers.add(rotated);
    expect(streamKey).not.toBe(created.streamKey);
    expect((await h.keyStore.verify(created.streamKey)).ok).toBe(false);
    expect(await h.keyStore.verify(streamKey)).toEqual({ ok: true, channelId: created.channel.id });

    const revoked = await h.call('POST', `/api/v1/channels/${created.channel.id}/key:revoke`);
    expect(revoked.status).toBe(204);
    expect(revoked.text).toBe('');
    expect(await h.keyStore.verify(streamKey)).toEqual({ ok: false, reason: 'revoked' });
    expect(((await h.call('GET', `/api/v1/channels/${created.channel.id}`)).json as { channel: ChannelView }).channel.revoked).toBe(true);

    const deleted = await h.call('DELETE', `/api/v1/channels/${created.channel.id}`);
    expect(deleted.status).toBe(204);
    expect((await h.call('GET', `/api/v1/channels/${created.channel.id}`)).status).toBe(404);
    expect((await h.call('DELETE', `/api/v1/channels/${created.channel.id}`)).status).toBe(404);
  });

  test('live is true while a publish of the channel is reported', async () => {
    const { channel } = await createChannel('live one');
    await h.liveSessions.put(liveSession({ sessionId: 'live-flag-session', channelId: channel.id }));
    const list = (await h.call('GET', '/api/v1/channels')).json as { channels: ChannelView[] };
    expect(list.channels.find((c) => c.id === channel.id)?.live).toBe(true);
    expect(((await h.call('GET', `/api/v1/channels/${channel.id}`)).json as { channel: ChannelView }).channel.live).toBe(true);
    await h.liveSessions.remove('live-flag-session');
    expect(((await h.call('GET', `/api/v1/channels/${channel.id}`)).json as { channel: ChannelView }).channel.live).toBe(false);
  });

  test.each<[string, { body?: unknown; rawBody?: string; headers?: Record<string, string> }, number, string]>([
    ['no body', { headers: { 'content-type': 'application/json' } }, 400, 'invalid-request'],
    ['no name', { body: {} }, 400, 'invalid-request'],
    ['empty name', { body: { name: '' } }, 400, 'invalid-request'],
    ['blank name', { body: { name: '   ' } }, 400, 'invalid-request'],
    ['name too long', { body: { name: 'n'.repeat(201) } }, 400, 'invalid-request'],
    ['control character', { body: { name: 'a\u0001b' } }, 400, 'invalid-request'],
    ['name not a string', { body: { name: { first: 'a' } } }, 400, 'invalid-request'],
    ['unknown field', { body: { name: 'ok', streamKey: 'mine' } }, 400, 'invalid-request'],
    ['array body', { body: [{ name: 'x' }] }, 400, 'invalid-request'],
    ['not JSON', { rawBody: '{"name": hw_', headers: { 'content-type': 'application/json' } }, 400, 'invalid-request'],
    ['text body', { rawBody: 'name=x', headers: { 'content-type': 'text/plain' } }, 400, 'invalid-request'],
    ['form body', { rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'unsupported-media-type'],
    ['huge body', { body: { name: 'x'.repeat(70_000) } }, 413, 'payload-too-large'],
  ])('POST /channels with %s is %s %s', async (_name, req, status, code) => {
    const before = (await h.keyStore.listChannels()).length;
    const a = await h.call('POST', '/api/v1/channels', req);
    expect(a.status, a.text).toBe(status);
    expect(errorCode(a)).toBe(code);
    expect(typeof (a.json as { error: { message: unknown } }).error.message).toBe('string');
    expect((await h.keyStore.listChannels()).length).toBe(before);
  });

  test('a JSON error never quotes the body back', async () => {
    const a = await h.call('POST', '/api/v1/channels', { rawBody: '{"name": "hw_secretish', headers: { 'content-type': 'application/json' } });
    expect(a.text).not.toContain('secretish');
  });

  test.each([
    ['GET', ''],
    ['DELETE', ''],
    ['POST', '/key:rotate'],
    ['POST', '/key:revoke'],
  ])('%s /channels/:id%s: unknown id is 404, malformed id 400', async (method, suffix) => {
    const unknown = await h.call(method, `/api/v1/channels/ZZZZZZZZZZZZ${suffix}`);
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown)).toBe('channel-not-found');
    for (const bad of ['bad!id', '.hidden', 'x'.repeat(129)]) {
      const a = await h.call(method, `/api/v1/channels/${encodeURIComponent(bad)}${suffix}`);
      expect(a.status, bad).toBe(400);
      expect(errorCode(a)).toBe('invalid-request');
    }
  });

  test('an unknown action or route is a JSON 404', async () => {
    const a = await h.call('POST', '/api/v1/channels/ZZZZZZZZZZZZ/key:explode');
    expect(a.status).toBe(404);
    expect(errorCode(a)).toBe('not-found');
  });
});

describe('kick', () => {
  test('reaches every subscribed ingest node', async () => {
    const kicked: string[] = [];
    const got = new Promise<void>((resolve) => {
      void subscribeKicks(h.connection(), (id) => {
        kicked.push(id);
        resolve();
      }).then((stop) => stopFns.push(stop));
    });
    const stopFns: (() => Promise<void>)[] = [];
    // Wait for the subscription to be in place.
    for (let i = 0; i < 50 && stopFns.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const a = await h.call('POST', '/api/v1/channels/wh_someExternalId/kick');
    expect(a.status).toBe(202);
    expect(a.json).toEqual({ kicked: 1 });
    await got;
    expect(kicked).toEqual(['wh_someExternalId']);
    for (const stop of stopFns) await stop();
    expect((await h.call('POST', '/api/v1/channels/nobody/kick')).json).toEqual({ kicked: 0 });
    expect((await h.call('POST', '/api/v1/channels/a%2Fb/kick')).status).toBe(400);
  });

  test('revoking a key or deleting a channel drops its publish too (a leaked key stops at once)', async () => {
    const kicked: string[] = [];
    const stop = await subscribeKicks(h.connection(), (id) => kicked.push(id));
    const created = (await h.call('POST', '/api/v1/channels', { body: { name: 'Leaky' } })).json as { channel: { id: string } };
    const id = created.channel.id;
    expect((await h.call('POST', `/api/v1/channels/${id}/key:revoke`)).status).toBe(204);
    expect((await h.call('DELETE', `/api/v1/channels/${id}`)).status).toBe(204);
    for (let i = 0; i < 50 && kicked.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(kicked).toEqual([id, id]);
    await stop();
  });
});

describe('sessions', () => {
  test('joins live sessions with the packaging state of their playback session', async () => {
    const channelId = 'chSessions01';
    const startedAtMs = Date.now() - 60_000;
    let state = createPackagingState({
      sessionId: 'first-publish',
      channelId,
      startedAtMs,
      renditions: [
        { kind: 'video', id: 'v720', codecs: 'avc1.64001f', width: 1280, height: 720, frameRate: 30, nominalBitrate: 3_000_000 },
        { kind: 'audio', id: 'a0', codecs: 'mp4a.40.2', sampleRateHz: 48000, channels: 2, nominalBitrate: 128_000 },
      ],
    });
    state = applySourceSegment(state, { index: 0, durationMs: 2000 });
    state = applySegmentDone(state, { rendition: 'v720', index: 0, durationMs: 2000, bytes: 500_000 });
    state = applySegmentDone(state, { rendition: 'a0', index: 0, durationMs: 2000, bytes: 32_000 });
    await createPackaging(h.redis, state);
    // A reconnect continuing `first-publish`, and a publish whose transcode has not started.
    await h.liveSessions.put(liveSession({ sessionId: 'reconnected', channelId, playbackSessionId: 'first-publish' }));
    await h.liveSessions.put(liveSession({ sessionId: 'fresh-publish', channelId: 'otherChannel', fps: null }));

    const a = await h.call('GET', '/api/v1/sessions');
    expect(a.status).toBe(200);
    const sessions = (a.json as { sessions: Record<string, unknown>[] }).sessions;
    const byId = new Map(sessions.map((s) => [s.sessionId, s]));
    const reconnected = byId.get('reconnected');
    expect(reconnected).toMatchObject({
      channelId,
      playbackSessionId: 'first-publish',
      nodeId: 'ingest-1',
      secure: true,
      bitrateBps: 3_100_000,
      fps: 30,
      renditions: [
        { id: 'v720', kind: 'video', codecs: 'avc1.64001f', width: 1280, height: 720, frameRate: 30, bandwidth: 2_000_000, averageBandwidth: 2_000_000 },
        { id: 'a0', kind: 'audio', codecs: 'mp4a.40.2', sampleRateHz: 48000, channels: 2, bandwidth: 128_000, averageBandwidth: 128_000 },
      ],
      playback: { hls: `/streams/${channelId}/first-publish/master.m3u8`, dash: `/streams/${channelId}/first-publish/manifest.mpd` },
    });
    expect(reconnected?.tracks).toEqual(liveSession({ sessionId: 'x', channelId }).tracks);
    expect(reconnected?.uptimeS).toBeGreaterThanOrEqual(64);
    expect(byId.get('fresh-publish')).toMatchObject({ playbackSessionId: 'fresh-publish', fps: null, renditions: [], playback: null });
    await h.liveSessions.remove('reconnected');
    await h.liveSessions.remove('fresh-publish');
    expect((await h.call('GET', '/api/v1/sessions')).json).toEqual({ sessions: [] });
  });

  test('a field the ingest should not have stored never reaches the client', async () => {
    const smuggled = { ...liveSession({ sessionId: 'smuggle', channelId: 'chX' }), streamKey: 'hw_leak', clientIp: '203.0.113.9' };
    await h.liveSessions.put(smuggled as LiveSession);
    const a = await h.call('GET', '/api/v1/sessions');
    expect(a.text).not.toContain('hw_leak');
    expect(a.text).not.toContain('203.0.113.9');
    await h.liveSessions.remove('smuggle');
  });
});

describe('OpenAPI', () => {
  test('the document lists every route with its method, schemas and the bearer scheme', async () => {
    const a = await h.call('GET', '/api/openapi.json', { token: null });
    const doc = a.json as {
      openapi: string;
      info: { version: string };
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown>; operationId?: string }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.info.version).toBe(API_VERSION);
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    const expected: Record<string, string[]> = {
      '/api/v1/channels': ['get', 'post'],
      '/api/v1/channels/{id}': ['delete', 'get'],
      '/api/v1/channels/{id}/key:rotate': ['post'],
      '/api/v1/channels/{id}/key:revoke': ['post'],
      '/api/v1/channels/{id}/kick': ['post'],
      '/api/v1/channels/{id}/recordings': ['get'],
      '/api/v1/sessions': ['get'],
      '/api/v1/recordings/vod': ['post'],
      '/api/v1/vod/{sessionId}': ['get'],
      '/healthz': ['get'],
      '/readyz': ['get'],
      '/metrics': ['get'],
    };
    const listed = Object.fromEntries(Object.entries(doc.paths).map(([p, ops]) => [p, Object.keys(ops).filter((m) => m !== 'head').sort()]));
    expect(listed).toEqual(expected);
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (p.startsWith('/api/v1/')) {
          expect(op.security, `${method} ${p}`).toEqual([{ adminToken: [] }]);
          expect(Object.keys(op.responses), `${method} ${p}`).toContain('401');
        }
      }
    }
    expect(doc.paths['/api/v1/channels']?.post?.operationId).toBe('createChannel');
  });
});

describe('stream keys', () => {
  test('appear only in the create and rotate responses, never in any other response or log line', () => {
    expect(issuedKeys.length).toBeGreaterThanOrEqual(3);
    expect(keyAnswers.size).toBe(issuedKeys.length);
    expect(h.answers.length).toBeGreaterThan(50);
    for (const a of h.answers) {
      if (keyAnswers.has(a)) continue;
      for (const key of issuedKeys) expect(a.text, `${a.method} ${a.path}`).not.toContain(key);
    }
    expect(h.logLines.length).toBeGreaterThan(0);
    const logs = h.logLines.join('');
    for (const key of issuedKeys) expect(logs).not.toContain(key);
    // Nor the admin token.
    expect(logs).not.toContain(ADMIN_TOKEN);
  });
});
