import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client, type ArchiveManifest } from '@headwater/archive';
import { KeyStore } from '@headwater/auth';
import { publishTags, readFlvTags } from '@headwater/cli';
import { freePort } from '@headwater/config';
import type { FlvTag } from '@headwater/flv';
import { fixturePath, startRedisServer, startS3Server, type RedisServer, type S3Server } from '@headwater/testkit';
import { buildCli, spawnCli, stopAllCli } from './cli-process.js';
import { DrivenPublisher } from './driven-publisher.js';
import { getObject, listArchives, logEntries, readTags, startHarnessWith, tagMismatch, waitFor, type Harness } from './harness.js';

/**
 * The archive survives S3 outages and process death: sessions wait in the local spool and reach
 * S3, byte for byte, once S3 answers again or the next `headwater start` recovers them.
 */

/** The archive's retry backoff doubles from 1 s (up to 30 s): after a short outage the next attempt lands within seconds. */
const UPLOAD_AFTER_OUTAGE_MS = 40_000;

const hevcTags = readFlvTags(fixturePath('hevc_aac.flv'));

/** The session's spool and manifest file names in `spoolDir` (`<channelId>-<sessionId>.{spool,json}`). */
async function sessionFiles(spoolDir: string, channelId: string): Promise<string[]> {
  const names = await readdir(spoolDir).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(`${channelId}-`) && /\.(json|spool)$/.test(n)).sort();
}

async function readManifest(spoolDir: string, spoolName: string): Promise<ArchiveManifest> {
  return JSON.parse(await readFile(path.join(spoolDir, spoolName.replace(/\.spool$/, '.json')), 'utf8')) as ArchiveManifest;
}

/**
 * Objects s3rver holds under `archives/<channelId>/`, read from its data directory: answers while
 * the server is down. (s3rver keeps `<bucket>/<key>._S3rver_object` files.)
 */
async function objectsOnDisk(h: Harness, channelId: string): Promise<string[]> {
  const dir = path.join(h.s3server.dataDir, h.config.s3.bucket, 'archives', channelId);
  const files = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return files.filter((f) => f.endsWith('._S3rver_object'));
}

/** What publishTags sends for `loops` plays: timestamps continue, metadata only once. */
function looped(tags: readonly FlvTag[], loops: number): FlvTag[] {
  const first = tags[0]!.timestampMs;
  const loopMs = tags.at(-1)!.timestampMs - first + 33;
  const out: FlvTag[] = [];
  for (let loop = 0; loop < loops; loop++) {
    for (const t of tags) {
      if (t.type === 18 && loop > 0) continue;
      out.push({ ...t, timestampMs: (t.timestampMs - first + loop * loopMs) >>> 0 });
    }
  }
  return out;
}

/** Resolves with `p`'s value, or rejects once `timeoutMs` passes. */
async function within<T>(what: string, p: Promise<T>, timeoutMs: number): Promise<T> {
  let settled: { value: T } | undefined;
  void p.then((value) => (settled = { value }));
  return (await waitFor(what, () => settled, { timeoutMs })).value;
}

describe('S3 outage while a session is live', () => {
  let h: Harness;

  beforeAll(async () => {
    // 5 MiB parts (S3's minimum) so a looped fixture spans several parts.
    h = await startHarnessWith({ env: { HEADWATER_ARCHIVE_PART_BYTES: '5MiB' } });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('S3 down when the publish ends: the session waits in the spool, then lands byte for byte when S3 returns', async () => {
    const { channel, streamKey } = await h.pipeline.keyStore.createChannel('outage-mid-stream');
    const spoolDir = h.config.archive.spoolDir;
    const tags = (await hevcTags).filter((t) => t.timestampMs < 4000);
    let archived = false;
    const done = h.stopped(channel.id).then((v) => ((archived = true), v));

    const publishing = publishTags({ url: h.rtmpUrl(streamKey), tags, realtime: true });
    // Mid-stream: the session is spooling; S3 goes away.
    const [spoolName] = await waitFor('the live session spooling', async () => {
      const files = (await sessionFiles(spoolDir, channel.id)).filter((n) => n.endsWith('.spool'));
      return files.length === 1 && (await stat(path.join(spoolDir, files[0]!))).size > 50_000 ? files : undefined;
    });
    await h.s3server.pause();
    expect((await publishing).tags).toBe(tags.length);

    // The upload at the end of the session fails and is retried; nothing is lost meanwhile.
    await waitFor('a failed S3 attempt for this session', () =>
      logEntries(h.logs, 'archive: S3 call failed; retrying').some((e) => String(e.objectKey).startsWith(`archives/${channel.id}/`)),
    );
    expect(archived).toBe(false);
    expect(await objectsOnDisk(h, channel.id)).toEqual([]);
    const manifest = await readManifest(spoolDir, spoolName!);
    expect(manifest.state).toBe('finished');
    expect((await stat(path.join(spoolDir, spoolName!))).size).toBe(manifest.bytes);

    await h.s3server.restart();
    const { reason } = await within('the archive after S3 returned', done, UPLOAD_AFTER_OUTAGE_MS);
    expect(reason).toBe('unpublished');
    const keys = await listArchives(h.pipeline.infra.s3, h.config.s3.bucket, channel.id);
    expect(keys).toHaveLength(1);
    expect(await objectsOnDisk(h, channel.id)).toHaveLength(1);
    expect(tagMismatch(readTags(await getObject(h.pipeline.infra.s3, h.config.s3.bucket, keys[0]!)), tags)).toBeUndefined();
    expect(await sessionFiles(spoolDir, channel.id)).toEqual([]);
  });

  it('S3 down in the middle of a multipart upload: the upload resumes from the spool when S3 returns', async () => {
    const { channel, streamKey } = await h.pipeline.keyStore.createChannel('outage-multipart');
    const spoolDir = h.config.archive.spoolDir;
    const sent = looped(await hevcTags, 7); // ~8.5 MB: two parts of 5 MiB
    let archived = false;
    const done = h.stopped(channel.id).then((v) => ((archived = true), v));
    const publisher = await DrivenPublisher.open(h.rtmpUrl(streamKey));
    // The first ~6 MiB: the session uploads its first part while it is live.
    let bytes = 0;
    const cut = sent.findIndex((t) => (bytes += t.body.length) > 6 * 1024 * 1024);
    await publisher.send(sent.slice(0, cut));
    const [spoolName] = await waitFor('the live session spooling', async () => {
      const files = (await sessionFiles(spoolDir, channel.id)).filter((n) => n.endsWith('.spool'));
      return files.length === 1 ? files : undefined;
    });
    await waitFor('the first part stored', async () => (await readManifest(spoolDir, spoolName!)).parts.length === 1);

    // S3 goes away; the rest of the stream still arrives and the session ends.
    await h.s3server.pause();
    await publisher.send(sent.slice(cut));
    await publisher.close({ unpublish: true });
    expect(publisher.sent).toHaveLength(sent.length);
    const failed = await waitFor('a failed S3 attempt for this session', () => {
      const hits = logEntries(h.logs, 'archive: S3 call failed; retrying').filter((e) => String(e.objectKey).startsWith(`archives/${channel.id}/`));
      return hits.length > 0 ? hits : undefined;
    });
    // The outage hit the upload in progress: its second part or its completion.
    expect(['UploadPart', 'CompleteMultipartUpload']).toContain(failed[0]!.operation);
    expect(archived).toBe(false);
    expect(await objectsOnDisk(h, channel.id)).toEqual([]);
    const manifest = await readManifest(spoolDir, spoolName!);
    expect(manifest.parts).toHaveLength(1);
    expect(manifest.state).toBe('finished');

    await h.s3server.restart();
    expect((await within('the archive after S3 returned', done, UPLOAD_AFTER_OUTAGE_MS)).reason).toBe('unpublished');
    const keys = await listArchives(h.pipeline.infra.s3, h.config.s3.bucket, channel.id);
    expect(keys).toHaveLength(1);
    expect(tagMismatch(readTags(await getObject(h.pipeline.infra.s3, h.config.s3.bucket, keys[0]!)), sent)).toBeUndefined();
    const stored = logEntries(h.logs, 'archive: object stored').find((e) => e.objectKey === keys[0]);
    expect(stored?.parts).toBe(2);
    expect(await sessionFiles(spoolDir, channel.id)).toEqual([]);
  });
});

describe('S3 down when the pipeline starts', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarnessWith({ s3Down: true });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('ingest accepts publishes at once; the archive completes when S3 comes up', async () => {
    expect(logEntries(h.logs, 'S3 bucket check failed; archives will spool until S3 answers')).toHaveLength(1);
    const { channel, streamKey } = await h.pipeline.keyStore.createChannel('s3-down-at-start');
    const tags = (await hevcTags).slice(0, 120);
    let archived = false;
    const done = h.stopped(channel.id).then((v) => ((archived = true), v));
    expect((await publishTags({ url: h.rtmpUrl(streamKey), tags, realtime: false })).tags).toBe(tags.length);

    await waitFor('a failed S3 attempt for this session', () =>
      logEntries(h.logs, 'archive: S3 call failed; retrying').some((e) => String(e.objectKey).startsWith(`archives/${channel.id}/`)),
    );
    expect(archived).toBe(false);
    expect(await objectsOnDisk(h, channel.id)).toEqual([]);
    const spooled = await sessionFiles(h.config.archive.spoolDir, channel.id);
    expect(spooled.map((n) => path.extname(n))).toEqual(['.json', '.spool']);

    await h.s3server.restart();
    await within('the archive after S3 came up', done, UPLOAD_AFTER_OUTAGE_MS);
    const keys = await listArchives(h.pipeline.infra.s3, h.config.s3.bucket, channel.id);
    expect(keys).toHaveLength(1);
    expect(tagMismatch(readTags(await getObject(h.pipeline.infra.s3, h.config.s3.bucket, keys[0]!)), tags)).toBeUndefined();
    expect(await sessionFiles(h.config.archive.spoolDir, channel.id)).toEqual([]);
  });
});

describe('SIGKILL mid-stream, then the next start', () => {
  const bucket = 'headwater-kill';
  let redis: RedisServer;
  let s3server: S3Server;
  let s3: S3Client;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    await buildCli();
    redis = await startRedisServer();
    s3server = await startS3Server({ buckets: [bucket] });
    s3 = createS3Client(s3server);
    dataDir = await mkdtemp(path.join(tmpdir(), 'headwater-e2e-kill-'));
    env = {
      HEADWATER_DATA_DIR: dataDir,
      HEADWATER_HOST: '127.0.0.1',
      HEADWATER_PUBLIC_HOST: '127.0.0.1',
      HEADWATER_RTMP_PORT: String(await freePort()),
      HEADWATER_RTMPS_PORT: 'off',
      HEADWATER_REDIS_URL: redis.url,
      HEADWATER_S3_ENDPOINT: s3server.endpoint,
      HEADWATER_S3_BUCKET: bucket,
      HEADWATER_S3_ACCESS_KEY_ID: s3server.accessKeyId,
      HEADWATER_S3_SECRET_ACCESS_KEY: s3server.secretAccessKey,
      HEADWATER_LOG_LEVEL: 'info',
    };
  });

  afterAll(async () => {
    await stopAllCli();
    s3?.destroy();
    await s3server?.stop();
    await redis?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('the killed session is recovered: a valid FLV holding a byte-exact prefix of what was sent', async () => {
    const client = new Redis(redis.url);
    const { channel, streamKey } = await new KeyStore(client).createChannel('killed');
    await client.quit();
    const tags = await hevcTags;
    const spoolDir = path.join(dataDir, 'spool');

    const first = spawnCli(['start'], env);
    await first.waitForStdout(/Headwater is live/);
    const url = `rtmp://127.0.0.1:${env.HEADWATER_RTMP_PORT}/live/${streamKey}`;
    const publishing = publishTags({ url, tags, realtime: true }).catch((e: unknown) => e);
    await first.waitForLog('publish started', (e) => e.channelId === channel.id);
    // About 3 s of a real-time stream, then the process dies without any cleanup.
    await new Promise((r) => setTimeout(r, 3000));
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(await publishing).toBeInstanceOf(Error);

    const files = await sessionFiles(spoolDir, channel.id);
    expect(files.map((n) => path.extname(n))).toEqual(['.json', '.spool']);
    const spoolName = files.find((n) => n.endsWith('.spool'))!;
    expect((await readManifest(spoolDir, spoolName)).state).toBe('writing');
    expect((await stat(path.join(spoolDir, spoolName))).size).toBeGreaterThan(100_000);

    const second = spawnCli(['start'], env);
    const keys = await waitFor(
      'the recovered archive in S3',
      async () => {
        const found = await listArchives(s3, bucket, channel.id);
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: UPLOAD_AFTER_OUTAGE_MS, intervalMs: 200 },
    );
    expect(keys).toHaveLength(1);
    // readTags ends the reader: a torn last tag would throw, so this is a whole, valid FLV.
    const archived = readTags(await getObject(s3, bucket, keys[0]!));
    expect(tagMismatch(archived, tags, { prefix: true })).toBeUndefined();
    expect(archived.length).toBeGreaterThanOrEqual(tags.filter((t) => t.timestampMs < 2000).length);
    await second.waitForLog('recovered archive completed', (e) => e.objectKey === keys[0]);
    expect(await sessionFiles(spoolDir, channel.id)).toEqual([]);

    expect((await second.stop()).code).toBe(0);
  });
});
