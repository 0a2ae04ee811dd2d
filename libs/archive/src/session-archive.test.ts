import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startS3Server } from '@headwater/testkit';
import type { S3Server } from '@headwater/testkit';
import type { ArchiveLogger } from './archive-logger.js';
import { ArchiveError } from './archive-error.js';
import { readManifest, writeManifest } from './archive-manifest.js';
import { MIN_PART_BYTES } from './part-plan.js';
import { recoverArchives } from './recover-archives.js';
import { createS3Client } from './s3-client.js';
import { DEFAULT_BUFFER_BYTES, MAX_PARTS_IN_FLIGHT, SessionArchive } from './session-archive.js';
import { SPOOL_FLUSH_BYTES } from './spool-writer.js';
import type { SessionArchiveOptions } from './session-archive.js';

const MiB = 1024 * 1024;
const FAST_RETRY = { initialDelayMs: 20, maxDelayMs: 200 };
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Collects log lines so tests can assert on them (and that no secret is in them). */
function recordingLogger(): ArchiveLogger & { lines: { level: string; fields: object; message: string }[] } {
  const lines: { level: string; fields: object; message: string }[] = [];
  const at = (level: string) => (fields: object, message: string) => void lines.push({ level, fields, message });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** Splits `data` into random chunk sizes in [1, maxChunk]. */
function* randomChunks(data: Uint8Array, maxChunk: number): Generator<Uint8Array> {
  for (let offset = 0; offset < data.length; ) {
    const n = Math.min(data.length - offset, 1 + Math.floor(Math.random() * maxChunk));
    yield data.subarray(offset, offset + n);
    offset += n;
  }
}

async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('SessionArchive against s3rver', () => {
  let server: S3Server;
  let s3: S3Client;
  let spoolDir: string;
  let bucket: string;
  let bucketCount = 0;

  beforeAll(async () => {
    server = await startS3Server();
    s3 = createS3Client(server);
  });
  afterAll(async () => {
    s3.destroy();
    await server.stop();
  });
  beforeEach(async () => {
    bucket = `archive-${process.pid}-${++bucketCount}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    spoolDir = await mkdtemp(path.join(tmpdir(), 'headwater-spool-'));
  });
  afterEach(async () => {
    await rm(spoolDir, { recursive: true, force: true });
  });

  async function getObject(key: string): Promise<Buffer> {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (res.Body === undefined) throw new Error('no body');
    return Buffer.from(await res.Body.transformToByteArray());
  }

  function create(extra: Partial<SessionArchiveOptions> = {}): Promise<SessionArchive> {
    return SessionArchive.create({ spoolDir, s3, bucket, key: 'live/session.flv', partBytes: MIN_PART_BYTES, retry: FAST_RETRY, ...extra });
  }

  test('~30 MiB in random chunks arrives byte for byte, in several parts, and the spool is removed', async () => {
    const data = randomBytes(30 * MiB + 12_345);
    const archive = await create();
    let batches = 0;
    for (const chunk of randomChunks(data, 200_000)) {
      // Sometimes hand over several chunks at once (the ingest writes a tag header + body pair).
      archive.write(Math.random() < 0.2 ? [chunk.subarray(0, 1), chunk.subarray(1)] : chunk);
      if (++batches % 16 === 0) await sleep(0);
    }
    const before = archive.stats();
    expect(before.writtenBytes).toBe(data.length);
    const result = await archive.finish();
    expect(result).toEqual({ bucket, key: 'live/session.flv', bytes: data.length, parts: 7 });
    expect(sha256(await getObject('live/session.flv'))).toBe(sha256(data));
    expect(archive.stats()).toMatchObject({ state: 'completed', uploadedBytes: data.length, lagBytes: 0, partsUploaded: 7 });
    expect(await readdir(spoolDir)).toEqual([]);
  });

  test('a session smaller than one part is a single PutObject; an empty one is an empty object', async () => {
    const small = randomBytes(100_000);
    const a = await create({ key: 'small.flv' });
    a.write(small);
    expect(await a.finish()).toEqual({ bucket, key: 'small.flv', bytes: small.length, parts: 0 });
    expect(sha256(await getObject('small.flv'))).toBe(sha256(small));

    const b = await create({ key: 'empty.flv' });
    expect(await b.finish()).toEqual({ bucket, key: 'empty.flv', bytes: 0, parts: 0 });
    expect((await getObject('empty.flv')).length).toBe(0);
    expect(await readdir(spoolDir)).toEqual([]);
  });

  test('copies what it is given: the caller may reuse its buffer at once', async () => {
    const data = randomBytes(2 * MiB);
    const scratch = new Uint8Array(4096);
    const archive = await create({ key: 'reuse.flv' });
    for (let offset = 0; offset < data.length; offset += scratch.length) {
      scratch.set(data.subarray(offset, offset + scratch.length));
      archive.write(scratch);
      scratch.fill(0xee);
    }
    await archive.finish();
    expect(sha256(await getObject('reuse.flv'))).toBe(sha256(data));
  });

  test('S3 down from the start: the spool grows, calls are retried, and finish() completes once S3 is back', async () => {
    const logger = recordingLogger();
    await server.pause();
    try {
      const data = randomBytes(17 * MiB);
      const archive = await create({ key: 'outage/start.flv', logger });
      for (const chunk of randomChunks(data, 100_000)) archive.write(chunk);
      await until(() => archive.stats().spooledBytes === data.length, 'the spool to hold everything');
      await until(() => archive.stats().retrying, 'a retry');
      const during = archive.stats();
      expect(during).toMatchObject({ uploadedBytes: 0, partsUploaded: 0, lagBytes: data.length });
      const finishing = archive.finish();
      await sleep(100);
      expect(archive.stats().state).toBe('finishing');
      await server.restart();
      expect(await finishing).toEqual({ bucket, key: 'outage/start.flv', bytes: data.length, parts: 4 });
      expect(sha256(await getObject('outage/start.flv'))).toBe(sha256(data));
      const retries = logger.lines.filter((l) => l.message.includes('retrying'));
      expect(retries.length).toBeGreaterThan(0);
      expect(retries[0]?.fields).toMatchObject({ operation: 'CreateMultipartUpload', err: { name: expect.any(String) } });
      const logged = JSON.stringify(logger.lines);
      expect(logged).not.toContain(server.secretAccessKey);
      expect(logged).not.toMatch(/Signature|Credential=|authorization/i);
    } finally {
      await server.restart();
    }
  });

  test('S3 goes down mid-stream and comes back on the same port and data: nothing is lost', async () => {
    const data = randomBytes(24 * MiB);
    const archive = await create({ key: 'outage/mid.flv' });
    const chunks = [...randomChunks(data, 150_000)];
    const third = Math.floor(chunks.length / 3);
    for (const chunk of chunks.slice(0, third)) archive.write(chunk);
    await until(() => archive.stats().partsUploaded >= 1, 'a first part');

    await server.pause();
    for (const chunk of chunks.slice(third)) archive.write(chunk);
    await until(() => archive.stats().spooledBytes === data.length, 'the spool to hold everything');
    await until(() => archive.stats().retrying, 'a retry');
    const stalled = archive.stats();
    expect(stalled.uploadedBytes).toBeLessThan(data.length - MIN_PART_BYTES);

    await server.restart();
    await until(() => archive.stats().partsUploaded === 4, 'the upload to catch up');
    const result = await archive.finish();
    expect(result.bytes).toBe(data.length);
    expect(result.parts).toBe(5);
    expect(sha256(await getObject('outage/mid.flv'))).toBe(sha256(data));
  });

  test('memory stays within bufferBytes while 50 MiB are written as fast as possible', async () => {
    const bufferBytes = 64 * 1024;
    const archive = await create({ key: 'fast.flv', bufferBytes });
    const block = randomBytes(8 * MiB);
    const hash = createHash('sha256');
    let maxBuffered = 0;
    let maxInFlight = 0;
    let written = 0;
    let sinceYield = 0;
    while (written < 50 * MiB) {
      const n = Math.min(1 + Math.floor(Math.random() * 96 * 1024), 50 * MiB - written);
      const start = Math.floor(Math.random() * (block.length - n));
      const chunk = block.subarray(start, start + n);
      archive.write(chunk);
      hash.update(chunk);
      written += n;
      const s = archive.stats();
      maxBuffered = Math.max(maxBuffered, s.bufferedBytes);
      maxInFlight = Math.max(maxInFlight, s.partsInFlight);
      // Yield only now and then, so the writer often finds its async write still in flight.
      if ((sinceYield += n) > 4 * MiB) {
        sinceYield = 0;
        await sleep(0);
      }
    }
    const result = await archive.finish();
    expect(result.bytes).toBe(50 * MiB);
    expect(maxBuffered).toBeLessThanOrEqual(bufferBytes);
    expect(maxBuffered).toBeGreaterThan(bufferBytes / 2); // the second half was needed, and used
    expect(maxInFlight).toBeLessThanOrEqual(MAX_PARTS_IN_FLIGHT);
    expect(sha256(await getObject('fast.flv'))).toBe(hash.digest('hex'));
  });

  test('FLV tags written one per event-loop turn reach the spool in a few dozen writes, not one per tag', async () => {
    const archive = await create({ key: 'coalesced.flv' });
    const hash = createHash('sha256');
    let bytes = 0;
    for (let i = 0; i < 10_000; i++) {
      // As the ingest hands them over: tag header, body view, PreviousTagSize.
      const body = randomBytes(70 + (i % 31));
      const tag = [new Uint8Array(11).fill(i & 0xff), body, new Uint8Array(4).fill(0x0b)];
      archive.write(tag);
      for (const piece of tag) hash.update(piece);
      bytes += 15 + body.length;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const open = archive.stats();
    expect(open.writtenBytes).toBe(bytes);
    // What a SIGKILL now would cost: only what is staged, never more than the buffer.
    expect(open.writtenBytes - open.spooledBytes).toBeLessThanOrEqual(DEFAULT_BUFFER_BYTES);
    expect(await archive.finish()).toMatchObject({ bytes, parts: 0 });
    const { spoolWrites } = archive.stats();
    expect(spoolWrites).toBeGreaterThanOrEqual(Math.floor(bytes / SPOOL_FLUSH_BYTES));
    expect(spoolWrites).toBeLessThanOrEqual(40); // ~1 MB: a write every turn made 10,000
    expect(sha256(await getObject('coalesced.flv'))).toBe(hash.digest('hex'));
  });

  test('abort() discards the spool, stops uploading, and fails a pending finish()', async () => {
    await server.pause();
    try {
      const archive = await create({ key: 'aborted.flv' });
      archive.write(randomBytes(6 * MiB));
      const finishing = archive.finish();
      await sleep(50);
      await archive.abort();
      await expect(finishing).rejects.toMatchObject({ name: 'ArchiveError', code: 'archive-aborted' });
      expect(await readdir(spoolDir)).toEqual([]);
      expect(() => archive.write(new Uint8Array(1))).toThrow(ArchiveError);
    } finally {
      await server.restart();
    }
  });

  test('close() leaves a finished spool that recoverArchives completes later', async () => {
    const logger = recordingLogger();
    await server.pause();
    const data = randomBytes(7 * MiB + 3);
    const archive = await create({ key: 'closed.flv', contentType: 'video/x-flv', logger });
    archive.write(data);
    await until(() => archive.stats().retrying, 'a retry');
    await archive.close();
    const manifest = await readManifest(path.join(spoolDir, `${archive.id}.json`));
    expect(manifest).toMatchObject({ state: 'finished', bytes: data.length, key: 'closed.flv', contentType: 'video/x-flv' });

    await server.restart();
    let repaired = 0;
    const results = await recoverArchives({ spoolDir, s3, logger, retry: FAST_RETRY, repair: async () => ++repaired });
    expect(repaired).toBe(0); // a finished spool has no torn tail
    expect(results).toEqual([{ bucket, key: 'closed.flv', bytes: data.length, parts: 2 }]);
    expect(sha256(await getObject('closed.flv'))).toBe(sha256(data));
    expect(await readdir(spoolDir)).toEqual([]);
  });

  test('recovery cuts a torn tail (repair) and drops parts that reach past it', async () => {
    const data = randomBytes(11 * MiB);
    const archive = await create({ key: 'torn.flv' });
    archive.write(data);
    await until(() => archive.stats().partsUploaded === 2, 'two parts');
    await archive.close();
    // Pretend the process died mid-write: state back to `writing`.
    const manifestFile = path.join(spoolDir, `${archive.id}.json`);
    const manifest = await readManifest(manifestFile);
    await writeManifest(spoolDir, { ...manifest, state: 'writing', bytes: null });

    const validBytes = 7 * MiB + 17; // inside part 2: part 2 must be uploaded again, shorter
    const seen: string[] = [];
    const results = await recoverArchives({
      spoolDir,
      s3,
      retry: FAST_RETRY,
      repair: async (file) => {
        seen.push(file);
        return validBytes;
      },
    });
    expect(seen).toEqual([path.join(spoolDir, `${archive.id}.spool`)]);
    expect(results).toEqual([{ bucket, key: 'torn.flv', bytes: validBytes, parts: 2 }]);
    expect(sha256(await getObject('torn.flv'))).toBe(sha256(data.subarray(0, validBytes)));
  });

  test('recovery restarts from byte 0 when S3 no longer knows the upload id', async () => {
    const logger = recordingLogger();
    const data = randomBytes(12 * MiB);
    const archive = await create({ key: 'forgotten.flv' });
    archive.write(data);
    await until(() => archive.stats().partsUploaded === 2, 'two parts');
    await archive.close();
    const manifest = await readManifest(path.join(spoolDir, `${archive.id}.json`));
    await writeManifest(spoolDir, { ...manifest, uploadId: 'expired-upload-id' });

    const results = await recoverArchives({ spoolDir, s3, logger, retry: FAST_RETRY });
    expect(results).toEqual([{ bucket, key: 'forgotten.flv', bytes: data.length, parts: 3 }]);
    expect(sha256(await getObject('forgotten.flv'))).toBe(sha256(data));
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes('restarting the upload from byte 0'))).toBe(true);
  });

  test('recoverArchives skips live sessions, leaves unreadable manifests, and handles a missing directory', async () => {
    const logger = recordingLogger();
    const live = await create({ key: 'live.flv' });
    live.write(randomBytes(1000));
    await writeFile(path.join(spoolDir, 'garbage.json'), '{ not json');
    expect(await recoverArchives({ spoolDir, s3, logger, retry: FAST_RETRY })).toEqual([]);
    expect(existsSync(live.spoolPath)).toBe(true);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    await live.finish();
    expect(await recoverArchives({ spoolDir: path.join(spoolDir, 'nope'), s3 })).toEqual([]);
  });

  test('a completed-but-not-cleaned manifest only has its files removed', async () => {
    const archive = await create({ key: 'done.flv' });
    archive.write(randomBytes(10));
    await archive.close();
    const file = path.join(spoolDir, `${archive.id}.json`);
    await writeManifest(spoolDir, { ...(await readManifest(file)), state: 'completed' });
    expect(await recoverArchives({ spoolDir, s3 })).toEqual([{ bucket, key: 'done.flv', bytes: 10, parts: 0 }]);
    expect(await readdir(spoolDir)).toEqual([]);
  });

  test('rejects bad options before touching the disk', async () => {
    await expect(create({ partBytes: MIN_PART_BYTES - 1 })).rejects.toMatchObject({ code: 'bad-option' });
    await expect(create({ bufferBytes: 10 })).rejects.toMatchObject({ code: 'bad-option' });
    await expect(create({ id: '../escape' })).rejects.toMatchObject({ code: 'bad-option' });
    expect(await readdir(spoolDir)).toEqual([]);
  });
});
