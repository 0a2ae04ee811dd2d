import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FlvReader } from '@headwater/flv';
import { archiveObjectKey } from '@headwater/ingest';
import { fixturePath } from '@headwater/testkit';
import { BUCKET, startApiHarness } from './testing/api-harness.js';
import type { ApiHarness } from './testing/api-harness.js';

let h: ApiHarness;

const CHANNEL = 'chRecordings';
const H264 = readFileSync(fixturePath('h264_aac.flv'));
const VP9 = readFileSync(fixturePath('vp9_opus.flv'));
const older = { channelId: CHANNEL, sessionId: '11111111-1111-4111-8111-111111111111', startedAt: new Date('2025-03-01T10:00:00.000Z') };
const newer = { channelId: CHANNEL, sessionId: '22222222-2222-4222-8222-222222222222', startedAt: new Date('2025-03-02T12:30:45.123Z') };
const torn = { channelId: CHANNEL, sessionId: '33333333-3333-4333-8333-333333333333', startedAt: new Date('2025-02-01T00:00:00.000Z') };

interface Recording {
  key: string;
  sessionId: string;
  startedAt: string;
  bytes: number;
  durationMs: number | null;
  downloadUrl: string;
  downloadExpiresAt: string;
}

function durationOf(bytes: Uint8Array): number {
  const r = new FlvReader();
  const tags = r.push(bytes);
  const first = tags.find((t) => t.type === 8 || t.type === 9);
  return (tags.at(-1)?.timestampMs ?? 0) - (first?.timestampMs ?? 0);
}

async function put(key: string, body: Uint8Array | string): Promise<void> {
  await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'video/x-flv' }));
}

beforeAll(async () => {
  h = await startApiHarness();
  await put(archiveObjectKey(older), H264);
  await put(archiveObjectKey(newer), VP9);
  await put(archiveObjectKey(torn), H264.subarray(0, H264.length - 1000));
  // Not archives: ignored.
  await put(`archives/${CHANNEL}/notes.txt`, 'hello');
  await put(`archives/${CHANNEL}X/2025-03-01/2025-03-01T10-00-00-000Z_x.flv`, 'other channel');
  await put('archives/chText/2025-03-01/2025-03-01T10-00-00-000Z_notflv.flv', 'this is not an FLV file');
});
afterAll(async () => {
  await h?.stop();
});

describe('recordings', () => {
  test('newest first, with sizes, durations from the FLV tail and presigned URLs that download the archive', async () => {
    const a = await h.call('GET', `/api/v1/channels/${CHANNEL}/recordings`);
    expect(a.status, a.text).toBe(200);
    const { recordings } = a.json as { recordings: Recording[] };
    expect(recordings.map((r) => r.sessionId)).toEqual([newer.sessionId, older.sessionId, torn.sessionId]);
    const [vp9, h264, cut] = recordings as [Recording, Recording, Recording];
    expect(vp9).toMatchObject({ key: archiveObjectKey(newer), startedAt: newer.startedAt.toISOString(), bytes: VP9.length, durationMs: durationOf(VP9) });
    expect(h264).toMatchObject({ key: archiveObjectKey(older), bytes: H264.length, durationMs: durationOf(H264) });
    expect(h264.durationMs).toBeGreaterThan(1000);
    expect(cut.durationMs).toBeNull();
    const expiresInMs = Date.parse(vp9.downloadExpiresAt) - Date.now();
    expect(expiresInMs).toBeGreaterThan(3500_000);
    expect(expiresInMs).toBeLessThanOrEqual(3600_000);

    const url = new URL(vp9.downloadUrl);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    const download = await fetch(vp9.downloadUrl);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${CHANNEL}_${newer.sessionId}.flv"`);
    expect(Buffer.from(await download.arrayBuffer()).equals(VP9)).toBe(true);
  });

  test('limit', async () => {
    const a = await h.call('GET', `/api/v1/channels/${CHANNEL}/recordings?limit=1`);
    expect((a.json as { recordings: Recording[] }).recordings.map((r) => r.sessionId)).toEqual([newer.sessionId]);
  });

  test('a channel without archives has none', async () => {
    expect((await h.call('GET', '/api/v1/channels/nobody/recordings')).json).toEqual({ recordings: [] });
  });

  test.each(['limit=0', 'limit=1001', 'limit=abc', 'limit=1.5', 'other=1'])('?%s is 400', async (query) => {
    const a = await h.call('GET', `/api/v1/channels/${CHANNEL}/recordings?${query}`);
    expect(a.status).toBe(400);
    expect((a.json as { error: { code: string } }).error.code).toBe('invalid-request');
  });
});

describe('VOD', () => {
  test('transcodes an archive through the segment queue', async () => {
    const a = await h.call('POST', '/api/v1/recordings/vod', { body: { key: archiveObjectKey(older) } });
    expect(a.status, a.text).toBe(202);
    const body = a.json as { sessionId: string; channelId: string; playback: { hls: string; dash: string } };
    expect(body.sessionId).toMatch(new RegExp(`^vod-${older.sessionId}-[0-9a-f]{6}$`));
    expect(body.channelId).toBe(CHANNEL);
    expect(body.playback).toEqual({ hls: `/streams/${CHANNEL}/${body.sessionId}/master.m3u8`, dash: `/streams/${CHANNEL}/${body.sessionId}/manifest.mpd` });

    // The archive is read in the background: wait for the session to be marked ended.
    let status: { phase: string; segments: number; published: number; channelId: string } | undefined;
    for (let i = 0; i < 200; i++) {
      const s = await h.call('GET', `/api/v1/vod/${body.sessionId}`);
      expect(s.status, s.text).toBe(200);
      status = s.json as typeof status;
      if (status?.phase === 'ending') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toMatchObject({ phase: 'ending', published: 0, channelId: CHANNEL });
    expect(status?.segments).toBeGreaterThanOrEqual(2);
    // No worker runs here: every job is still queued, at the VOD priority.
    const counts = await h.queue.getJobCounts('waiting', 'prioritized', 'active', 'completed', 'failed');
    expect(counts.prioritized).toBeGreaterThanOrEqual(status?.segments ?? Infinity);
    const [job] = await h.queue.getJobs(['prioritized'], 0, 0);
    expect(job?.opts.priority).toBeGreaterThan(0);
    expect(JSON.stringify(job?.data)).toContain(body.sessionId);
  });

  test('an archive that is not FLV is 422', async () => {
    const a = await h.call('POST', '/api/v1/recordings/vod', { body: { key: 'archives/chText/2025-03-01/2025-03-01T10-00-00-000Z_notflv.flv' } });
    expect(a.status, a.text).toBe(422);
    expect((a.json as { error: { code: string } }).error.code).toBe('archive-not-transcodable');
  });

  test.each<[string, unknown, number, string]>([
    ['not an archive key', { key: 'sources/a/b/src-0.mkv' }, 400, 'invalid-request'],
    ['traversal', { key: 'archives/../x' }, 400, 'invalid-request'],
    ['no key', {}, 400, 'invalid-request'],
    ['extra field', { key: archiveObjectKey(older), sessionId: 'mine' }, 400, 'invalid-request'],
    ['missing archive', { key: `archives/${CHANNEL}/2020-01-01/2020-01-01T00-00-00-000Z_gone.flv` }, 404, 'recording-not-found'],
  ])('%s is %s', async (_name, body, status, code) => {
    const a = await h.call('POST', '/api/v1/recordings/vod', { body });
    expect(a.status, a.text).toBe(status);
    expect((a.json as { error: { code: string } }).error.code).toBe(code);
  });

  test('status of an unknown session is 404, of a malformed id 400', async () => {
    expect((await h.call('GET', '/api/v1/vod/never-heard-of')).status).toBe(404);
    expect((await h.call('GET', '/api/v1/vod/bad%20id')).status).toBe(400);
  });
});

describe('readiness', () => {
  test('503 while S3 is down, 200 again once it is back', async () => {
    expect((await h.call('GET', '/readyz', { token: null })).status).toBe(200);
    await h.s3Server.pause();
    try {
      const down = await h.call('GET', '/readyz', { token: null });
      expect(down.status).toBe(503);
      expect(down.json).toEqual({ status: 'unavailable', checks: { redis: true, s3: false } });
      // Listing recordings needs S3: a clear 503, not a hang or a 500.
      const rec = await h.call('GET', `/api/v1/channels/${CHANNEL}/recordings`);
      expect(rec.status).toBe(503);
      expect((rec.json as { error: { code: string } }).error.code).toBe('object-store-unavailable');
    } finally {
      await h.s3Server.restart();
    }
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) status = (await h.call('GET', '/readyz', { token: null })).status;
    expect(status).toBe(200);
  });

  test('503 while Redis is down', async () => {
    await h.redisServer.pause();
    try {
      const down = await h.call('GET', '/readyz', { token: null });
      expect(down.status).toBe(503);
      expect(down.json).toEqual({ status: 'unavailable', checks: { redis: false, s3: true } });
    } finally {
      await h.redisServer.restart();
    }
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await h.call('GET', '/readyz', { token: null })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});
