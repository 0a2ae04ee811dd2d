import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client, EMBEDDED_S3_ACCESS_KEY_ID, EMBEDDED_S3_REGION, EMBEDDED_S3_SECRET_ACCESS_KEY, type ArchiveManifest } from '@headwater/archive';
import { publishTags, readFlvTags, PublishRejectedError } from '@headwater/cli';
import { freePort } from '@headwater/config';
import type { FlvTag } from '@headwater/flv';
import { fixturePath } from '@headwater/testkit';
import { DrivenPublisher } from './driven-publisher.js';
import { buildCli, runCli, spawnCli, stopAllCli, type CliProcess } from './cli-process.js';
import { getObject, listArchives, readTags, tagMismatch, waitFor } from './harness.js';

/**
 * The README's first command: `headwater start` with nothing but a data directory and ports,
 * running its own redis-server and S3 server, printing where to publish and the key.
 */

const run = promisify(execFile);
const STREAM_KEY = /hw_[0-9A-Za-z]{12}_[0-9A-Za-z]{33}/;

let dataDir: string;
let env: Record<string, string>;
const tagsP = readFlvTags(fixturePath('hevc_aac.flv'));

beforeAll(async () => {
  await buildCli();
  dataDir = await mkdtemp(path.join(tmpdir(), 'headwater-e2e-cli-'));
  env = {
    HEADWATER_DATA_DIR: dataDir,
    HEADWATER_RTMP_PORT: String(await freePort()),
    HEADWATER_RTMPS_PORT: String(await freePort()),
    HEADWATER_PUBLIC_HOST: '127.0.0.1',
    HEADWATER_HTTP_PORT: String(await freePort()),
  };
});

afterAll(async () => {
  await stopAllCli();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Banner {
  rtmpUrl: string;
  rtmpsUrl: string;
  /** Only on the first start. */
  streamKey: string | undefined;
  channelId: string;
  text: string;
}

/** Waits for the banner `start` prints and reads the URLs, the key and the archive location off it. */
async function banner(proc: CliProcess): Promise<Banner> {
  await proc.waitForStdout(/Archives: +s3:\/\/[^\n]*\n/);
  const text = proc.stdout();
  const pick = (re: RegExp) => re.exec(text)?.[1];
  return {
    rtmpUrl: pick(/Server \(RTMP\): +(rtmp:\/\/\S+)/)!,
    rtmpsUrl: pick(/Server \(RTMPS\): +(rtmps:\/\/\S+)/)!,
    streamKey: pick(/Stream key: +(hw_\S+)/),
    channelId: pick(/Archives: +s3:\/\/headwater\/archives\/([0-9A-Za-z]+)\//)!,
    text,
  };
}

/** The embedded S3 server of a running `start`, from its log. */
async function embeddedS3(proc: CliProcess): Promise<S3Client> {
  const entry = await proc.waitForLog('embedded S3 server started');
  return createS3Client({
    endpoint: String(entry.endpoint),
    region: EMBEDDED_S3_REGION,
    accessKeyId: EMBEDDED_S3_ACCESS_KEY_ID,
    secretAccessKey: EMBEDDED_S3_SECRET_ACCESS_KEY,
    forcePathStyle: true,
  });
}

/** 'accepted', or the onStatus code the publish was refused with. */
async function publishOutcome(url: string, tags: readonly FlvTag[], insecure = false): Promise<string> {
  try {
    await publishTags({ url, tags, realtime: false, insecure });
    return 'accepted';
  } catch (err) {
    if (err instanceof PublishRejectedError) return err.info.code;
    throw err;
  }
}

/** Pids of the redis-server processes `pid` started. */
async function redisChildren(pid: number): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-P', String(pid), '-x', 'redis-server']).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** SIGTERM; the process must exit 0 within a few seconds and leave no redis-server behind. */
async function stopCleanly(proc: CliProcess): Promise<void> {
  const redisPids = await redisChildren(proc.pid);
  expect(redisPids).toHaveLength(1);
  const redisPort = Number((await proc.waitForLog('embedded redis-server started')).port);
  expect(await portOpen(redisPort)).toBe(true);
  const started = performance.now();
  const { code } = await proc.stop();
  expect(code).toBe(0);
  expect(performance.now() - started).toBeLessThan(6_000);
  expect(isAlive(redisPids[0]!)).toBe(false);
  expect(await portOpen(redisPort)).toBe(false);
}

/** The default channel's current key and id, as the tests below learn them. */
let key: string;
let channelId: string;

describe('headwater start, out of the box', () => {
  it('prints the RTMP and RTMPS URLs and a key that both accept; SIGTERM exits 0 and stops the embedded redis', async () => {
    const tags = (await tagsP).slice(0, 90);
    const proc = spawnCli(['start'], env);
    const b = await banner(proc);
    expect(b.rtmpUrl).toBe(`rtmp://127.0.0.1:${env.HEADWATER_RTMP_PORT}/live`);
    expect(b.rtmpsUrl).toBe(`rtmps://127.0.0.1:${env.HEADWATER_RTMPS_PORT}/live`);
    expect(b.streamKey).toMatch(STREAM_KEY);
    key = b.streamKey!;
    channelId = b.channelId;
    expect(key).toContain(channelId);

    expect(await publishOutcome(`${b.rtmpUrl}/${key}`, tags)).toBe('accepted');
    expect(await publishOutcome(`${b.rtmpsUrl}/${key}`, tags, true)).toBe('accepted');

    // Both sessions reach the embedded S3, byte for byte.
    const s3 = await embeddedS3(proc);
    const keys = await waitFor('two archives', async () => {
      const found = await listArchives(s3, 'headwater', channelId);
      return found.length === 2 ? found : undefined;
    });
    for (const k of keys) expect(tagMismatch(readTags(await getObject(s3, 'headwater', k)), tags)).toBeUndefined();
    s3.destroy();

    // `vod --list` as a separate process finds the running pipeline's embedded S3 the same way.
    const archives = await runCli(['vod', '--list', channelId], env);
    expect(archives.code).toBe(0);
    for (const k of keys) expect(archives.stdout).toContain(k);

    // Transcoding is on by default: the newest session plays over HTTP (live.m3u8 redirects to it).
    const master = await waitFor(
      'a playable multivariant playlist',
      async () => {
        const res = await fetch(`http://127.0.0.1:${env.HEADWATER_HTTP_PORT}/streams/${channelId}/live.m3u8`).catch(() => undefined);
        const text = res?.ok ? await res.text() : '';
        return text.includes('#EXT-X-STREAM-INF') ? text : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(master).toContain('CODECS=');

    // `keys list` as a separate process finds the running pipeline's redis through the data dir.
    const list = await runCli(['keys', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${channelId}  default +active `, 'm'));

    // The key goes to the terminal once, never into a log line.
    expect(proc.stdout().split(key).length - 1).toBe(1);
    await stopCleanly(proc);
  });

  it('a second start shows no key but accepts the same one; keys rotate replaces it', async () => {
    const tags = (await tagsP).slice(0, 60);
    const proc = spawnCli(['start'], env);
    const b = await banner(proc);
    expect(b.streamKey).toBeUndefined();
    expect(b.text).not.toMatch(STREAM_KEY);
    expect(b.text).toContain('keys rotate default');
    expect(b.channelId).toBe(channelId);
    expect(await publishOutcome(`${b.rtmpUrl}/${key}`, tags)).toBe('accepted');

    const rotated = await runCli(['keys', 'rotate', 'default'], env);
    expect(rotated.code).toBe(0);
    const fresh = STREAM_KEY.exec(rotated.stdout)?.[0];
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(key);
    expect(await publishOutcome(`${b.rtmpUrl}/${key}`, tags)).toBe('NetStream.Publish.Denied');
    expect(await publishOutcome(`${b.rtmpUrl}/${fresh}`, tags)).toBe('accepted');
    key = fresh!;

    expect(proc.stdout()).not.toContain(key);
    await stopCleanly(proc);
  });
});

describe('graceful drain on SIGTERM', () => {
  it('asks the E-RTMP v2 publisher to reconnect, closes the legacy one; the next start completes both archives', async () => {
    const tags = await tagsP;
    const v2 = await runCli(['keys', 'create', 'drain-v2'], env);
    expect(v2.code).toBe(0);
    const v2Key = STREAM_KEY.exec(v2.stdout)![0];
    const v2Channel = /^channel (\S+) /.exec(v2.stdout)![1]!;

    const proc = spawnCli(['start'], env);
    const b = await banner(proc);
    const [l, m] = await Promise.all([DrivenPublisher.open(`${b.rtmpUrl}/${key}`), DrivenPublisher.open(`${b.rtmpUrl}/${v2Key}`, { capsEx: 1 })]);
    const sending = Promise.all([l.send(tags, { realtime: true }), m.send(tags, { realtime: true })]);
    // A second of media on each, then the operator stops the server.
    await new Promise((r) => setTimeout(r, 1000));
    const stopping = proc.stop();
    await sending;
    // The v2 publisher stopped at the request and closes its connection itself.
    await Promise.all([l.close(), m.close()]);
    expect(m.reconnect).toBeDefined();
    expect(m.closedByServer).toBe(false);
    expect(m.sent.length).toBeGreaterThan(30);
    expect(l.reconnect).toBeUndefined();
    expect(l.closedByServer).toBe(true);
    expect((await stopping).code).toBe(0);

    // Both sessions ended as 'shutdown' and were left in the spool for the next start.
    const stoppedLogs = proc.logs().filter((e) => e.msg === 'publish stopped');
    const stoppedFor = (channel: string) => stoppedLogs.find((e) => e.channelId === channel);
    expect(stoppedFor(b.channelId)?.reason).toBe('shutdown');
    expect(stoppedFor(v2Channel)?.reason).toBe('shutdown');
    const spoolDir = path.join(dataDir, 'spool');
    const manifests = (await readdir(spoolDir)).filter((n) => n.endsWith('.json'));
    expect(manifests.map((n) => n.slice(0, n.indexOf('-'))).sort()).toEqual([b.channelId, v2Channel].sort());
    for (const n of manifests) expect((JSON.parse(await readFile(path.join(spoolDir, n), 'utf8')) as ArchiveManifest).state).toBe('finished');

    const next = spawnCli(['start'], env);
    await banner(next);
    const s3 = await embeddedS3(next);
    const newest = async (channel: string) => {
      const keys = await listArchives(s3, 'headwater', channel);
      return readTags(await getObject(s3, 'headwater', keys.at(-1)!));
    };
    await next.waitForLog('recovered archive completed', (e) => String(e.objectKey).includes(b.channelId));
    await next.waitForLog('recovered archive completed', (e) => String(e.objectKey).includes(v2Channel));
    // The v2 publisher stopped sending before it closed: the server archived every tag it sent.
    expect(tagMismatch(await newest(v2Channel), m.sent)).toBeUndefined();
    // The legacy one was cut off mid-send: the archive is a prefix, as long as the server counted.
    const legacyArchived = await newest(b.channelId);
    expect(tagMismatch(legacyArchived, l.sent, { prefix: true })).toBeUndefined();
    expect(legacyArchived.length).toBe(stoppedFor(b.channelId)?.tags);
    expect(legacyArchived.length).toBeGreaterThan(30);
    expect(await readdir(spoolDir)).toEqual([]);
    s3.destroy();
    await stopCleanly(next);
  });
});
