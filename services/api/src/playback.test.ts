import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createS3Client } from '@headwater/archive';
import { createLogger } from '@headwater/log';
import { startS3Server } from '@headwater/testkit';
import type { S3Server } from '@headwater/testkit';
import { routeRequest, startOutputServer } from './playback.js';
import type { OutputServer } from './playback.js';

const run = promisify(execFile);
const BUCKET = 'playback';
const SEGMENT = randomBytes(5000);

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let s3server: S3Server;
let s3: S3Client;
let server: OutputServer;

/** A raw request: the target is sent exactly as given (fetch would normalize `..` away). */
function call(method: string, target: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function put(key: string, body: Uint8Array | string, contentType?: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ...(contentType !== undefined ? { ContentType: contentType } : {}) }));
}

beforeAll(async () => {
  s3server = await startS3Server({ buckets: [BUCKET] });
  s3 = createS3Client(s3server);
  server = await startOutputServer({ s3, bucket: BUCKET, host: '127.0.0.1', port: 0, logger: createLogger({ level: 'silent' }) });
  await put('streams/ch1/sess1/master.m3u8', '#EXTM3U\n', 'application/vnd.apple.mpegurl');
  await put('streams/ch1/sess1/manifest.mpd', '<MPD/>', 'application/dash+xml');
  await put('streams/ch1/sess1/v720/init.mp4', randomBytes(100), 'video/mp4');
  await put('streams/ch1/sess1/v720/seg-3.m4s', SEGMENT, 'video/iso.segment');
  await put('archives/ch1/sess1.flv', 'FLV secret archive', 'video/x-flv');
  await put('sources/ch1/sess1/src-0.mkv', 'source', 'video/x-matroska');
});

afterAll(async () => {
  await server?.close();
  s3?.destroy();
  await s3server?.stop();
});

describe('routeRequest', () => {
  const cases: { name: string; target: string; route: ReturnType<typeof routeRequest> }[] = [
    { name: 'rendition segment', target: '/streams/c/s/v0/seg-1.m4s', route: { kind: 'object', key: 'streams/c/s/v0/seg-1.m4s', extension: 'm4s' } },
    { name: 'query ignored', target: '/streams/c/s/master.m3u8?_HLS_msn=3', route: { kind: 'object', key: 'streams/c/s/master.m3u8', extension: 'm3u8' } },
    { name: 'dot-dot', target: '/streams/c/s/../x.m3u8', route: { kind: 'error', status: 400, message: 'bad path segment' } },
    { name: 'encoded dot-dot', target: '/streams/c/%2e%2E/archives/x', route: { kind: 'error', status: 400, message: 'bad path segment' } },
    { name: 'encoded slash', target: '/streams/c/s/..%2F..%2Fx', route: { kind: 'error', status: 400, message: 'bad path segment' } },
    { name: 'backslash', target: '/streams/c/s/..%5Cx', route: { kind: 'error', status: 400, message: 'bad path segment' } },
    { name: 'hidden file', target: '/streams/c/s/.env', route: { kind: 'error', status: 400, message: 'bad path segment' } },
    { name: 'empty segment', target: '/streams/c//x.m3u8', route: { kind: 'error', status: 400, message: 'bad path segment' } },
    { name: 'bad escape', target: '/streams/c/s/%zz', route: { kind: 'error', status: 400, message: 'bad percent-encoding' } },
    { name: 'outside streams', target: '/archives/c/s.flv', route: { kind: 'error', status: 404, message: 'not found' } },
    { name: 'too shallow', target: '/streams/c/s', route: { kind: 'error', status: 404, message: 'not found' } },
    { name: 'too deep', target: '/streams/a/b/c/d/e/f/g', route: { kind: 'error', status: 404, message: 'not found' } },
    { name: 'live HLS alias', target: '/streams/c/live.m3u8', route: { kind: 'live', channelId: 'c', file: 'master.m3u8' } },
    { name: 'live DASH alias', target: '/streams/c/live.mpd', route: { kind: 'live', channelId: 'c', file: 'manifest.mpd' } },
    { name: 'other file at channel level', target: '/streams/c/master.m3u8', route: { kind: 'error', status: 404, message: 'not found' } },
    { name: 'absolute form', target: 'http://evil/streams/c/s/x', route: { kind: 'error', status: 404, message: 'not found' } },
  ];
  test.each(cases)('$name', ({ target, route }) => {
    expect(routeRequest(target)).toEqual(route);
  });
});

describe('startOutputServer', () => {
  test.each([
    ['/streams/ch1/sess1/master.m3u8', 'application/vnd.apple.mpegurl', 'public, max-age=1'],
    ['/streams/ch1/sess1/manifest.mpd', 'application/dash+xml', 'public, max-age=1'],
    ['/streams/ch1/sess1/v720/init.mp4', 'video/mp4', 'public, max-age=31536000, immutable'],
    ['/streams/ch1/sess1/v720/seg-3.m4s', 'video/iso.segment', 'public, max-age=31536000, immutable'],
  ])('GET %s: content type %s, cache %s, CORS', async (target, type, cache) => {
    const a = await call('GET', target);
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe(type);
    expect(a.headers['cache-control']).toBe(cache);
    expect(a.headers['access-control-allow-origin']).toBe('*');
    expect(a.headers.etag).toMatch(/^"[0-9a-f]+"$/);
    expect(Number(a.headers['content-length'])).toBe(a.body.length);
  });

  test('GET returns the exact object bytes', async () => {
    const a = await call('GET', '/streams/ch1/sess1/v720/seg-3.m4s');
    expect(a.body.equals(SEGMENT)).toBe(true);
  });

  test('a missing object is 404, and so is a missing session', async () => {
    expect((await call('GET', '/streams/ch1/sess1/v720/seg-99.m4s')).status).toBe(404);
    expect((await call('GET', '/streams/nope/nope/master.m3u8')).status).toBe(404);
    expect((await call('HEAD', '/streams/ch1/sess1/v720/seg-99.m4s')).status).toBe(404);
  });

  test.each([
    '/streams/ch1/sess1/../../archives/ch1/sess1.flv',
    '/streams/ch1/%2e%2e/%2e%2e/archives/ch1/sess1.flv',
    '/streams/ch1/sess1/..%2f..%2f..%2farchives%2fch1%2fsess1.flv',
  ])('traversal %s is 400', async (target) => {
    const a = await call('GET', target);
    expect(a.status).toBe(400);
    expect(a.body.toString()).not.toContain('secret');
  });

  test('nothing outside streams/ is served', async () => {
    for (const target of ['/archives/ch1/sess1.flv', '/sources/ch1/sess1/src-0.mkv', '/playback/archives/ch1/sess1.flv', '/', '/streams']) {
      const a = await call('GET', target);
      expect(a.status, target).toBe(404);
      expect(a.body.toString()).not.toContain('secret');
    }
  });

  test('HEAD gives the headers without a body', async () => {
    const a = await call('HEAD', '/streams/ch1/sess1/v720/seg-3.m4s');
    expect(a.status).toBe(200);
    expect(a.headers['content-length']).toBe(String(SEGMENT.length));
    expect(a.headers['content-type']).toBe('video/iso.segment');
    expect(a.headers['accept-ranges']).toBe('bytes');
    expect(a.body.length).toBe(0);
  });

  test('OPTIONS preflight is answered with CORS headers', async () => {
    const a = await call('OPTIONS', '/streams/ch1/sess1/master.m3u8', { origin: 'https://player.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' });
    expect(a.status).toBe(204);
    expect(a.headers['access-control-allow-origin']).toBe('*');
    expect(a.headers['access-control-allow-methods']).toContain('GET');
    expect(a.headers['access-control-allow-headers']?.toLowerCase()).toContain('range');
    expect(a.headers['access-control-expose-headers']).toContain('Content-Range');
  });

  test('other methods are 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const a = await call(method, '/streams/ch1/sess1/master.m3u8');
      expect(a.status).toBe(405);
      expect(a.headers.allow).toBe('GET, HEAD, OPTIONS');
    }
  });

  test.each([
    ['bytes=100-1099', 100, 1099],
    ['bytes=4990-', 4990, 4999],
    ['bytes=-10', 4990, 4999],
  ])('Range %s is 206 with exactly those bytes', async (range, start, end) => {
    const a = await call('GET', '/streams/ch1/sess1/v720/seg-3.m4s', { range });
    expect(a.status).toBe(206);
    expect(a.headers['content-range']).toBe(`bytes ${start}-${end}/${SEGMENT.length}`);
    expect(a.headers['content-length']).toBe(String(end - start + 1));
    expect(a.body.equals(SEGMENT.subarray(start, end + 1))).toBe(true);
  });

  test('an unsatisfiable range is 416', async () => {
    expect((await call('GET', '/streams/ch1/sess1/v720/seg-3.m4s', { range: 'bytes=9000-9999' })).status).toBe(416);
    expect((await call('GET', '/streams/ch1/sess1/v720/seg-3.m4s', { range: 'bytes=-0' })).status).toBe(416);
  });

  test('If-None-Match with the current ETag is 304', async () => {
    const { headers } = await call('GET', '/streams/ch1/sess1/master.m3u8');
    const a = await call('GET', '/streams/ch1/sess1/master.m3u8', { 'if-none-match': String(headers.etag) });
    expect(a.status).toBe(304);
    expect(a.body.length).toBe(0);
  });
});

describe('live alias', () => {
  test('/streams/<channel>/live.m3u8 redirects to the session whose playlist was written last', async () => {
    await put('streams/chlive/old-session/master.m3u8', '#EXTM3U\n', 'application/vnd.apple.mpegurl');
    await put('streams/chlive/old-session/manifest.mpd', '<MPD/>', 'application/dash+xml');
    await put('streams/chlive/half-started/v0/init.mp4', 'x', 'video/mp4');
    // S3 Last-Modified has one-second resolution.
    await new Promise((r) => setTimeout(r, 1100));
    await put('streams/chlive/new-session/master.m3u8', '#EXTM3U\n', 'application/vnd.apple.mpegurl');
    const hls = await call('GET', '/streams/chlive/live.m3u8');
    expect(hls.status).toBe(302);
    expect(hls.headers.location).toBe('/streams/chlive/new-session/master.m3u8');
    expect(hls.headers['cache-control']).toBe('no-store');
    expect(hls.headers['access-control-allow-origin']).toBe('*');
    // Only the old session has an MPD.
    expect((await call('GET', '/streams/chlive/live.mpd')).headers.location).toBe('/streams/chlive/old-session/manifest.mpd');
  });

  test('a channel without sessions is 404; a bad channel id is 400', async () => {
    expect((await call('GET', '/streams/nobody/live.m3u8')).status).toBe(404);
    expect((await call('GET', '/streams/%2e%2e/live.m3u8')).status).toBe(400);
  });
});

describe('playback', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'headwater-hls-'));
    await run('ffmpeg', [
      '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30', '-t', '4', '-c:v', 'libx264', '-g', '60',
      '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
      '-hls_segment_filename', 'seg-%d.m4s', 'index.m3u8',
    ], { cwd: dir });
    for (const name of await readdir(dir)) {
      const type = name.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : name === 'init.mp4' ? 'video/mp4' : 'video/iso.segment';
      await put(`streams/ch/sess/v0/${name}`, await readFile(path.join(dir, name)), type);
    }
    const master = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=500000,CODECS="avc1.64000d",RESOLUTION=320x180\nv0/index.m3u8\n';
    await put('streams/ch/sess/master.m3u8', master, 'application/vnd.apple.mpegurl');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test.each(['sess/v0/index.m3u8', 'sess/master.m3u8', 'live.m3u8'])('ffmpeg plays /streams/ch/%s over HTTP without errors', async (file) => {
    const url = `http://127.0.0.1:${server.port}/streams/ch/${file}`;
    const { stderr } = await run('ffmpeg', ['-v', 'error', '-xerror', '-i', url, '-f', 'null', '-']);
    expect(stderr).toBe('');
    const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=width,height', '-of', 'json', url]);
    const info = JSON.parse(probe.stdout) as { format: { duration: string }; streams: { width: number; height: number }[] };
    expect(Number(info.format.duration)).toBeCloseTo(4, 0);
    expect(info.streams[0]).toMatchObject({ width: 320, height: 180 });
  });
});
