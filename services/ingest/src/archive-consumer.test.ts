import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { MIN_PART_BYTES, createS3Client, recoverArchives } from '@headwater/archive';
import type { ArchiveResult } from '@headwater/archive';
import { FlvReader, flvHeader } from '@headwater/flv';
import type { FlvTag } from '@headwater/flv';
import { createLogger } from '@headwater/log';
import { fixturePath, startS3Server } from '@headwater/testkit';
import type { S3Server } from '@headwater/testkit';
import { archiveConsumerFactory, archiveObjectKey, newSessionId } from './archive-consumer.js';
import { validFlvPrefixBytes } from './flv-spool-repair.js';
import type { MediaConsumer, SessionInfo } from './tee.js';

describe('archiveObjectKey', () => {
  test('channel, UTC date, start time and session id', () => {
    const key = archiveObjectKey({ channelId: 'studio-7', startedAt: new Date('2024-03-05T23:30:01.042Z'), sessionId: '0b8a6f1e-2d1c-4c55-9a0e-5e3f0c1d2b3a' });
    expect(key).toBe('archives/studio-7/2024-03-05/2024-03-05T23-30-01-042Z_0b8a6f1e-2d1c-4c55-9a0e-5e3f0c1d2b3a.flv');
  });

  test('nothing else of the session reaches the key', () => {
    // A full SessionInfo plus a stream key, as a careless caller might pass.
    const info = {
      sessionId: 'sess-1',
      channelId: 'chan-1',
      connectionId: 'c-0123456789ab',
      app: 'live',
      startedAt: new Date('2025-01-02T03:04:05.006Z'),
      streamKey: 'sk_live_SECRET',
    };
    const key = archiveObjectKey(info);
    expect(key).toBe('archives/chan-1/2025-01-02/2025-01-02T03-04-05-006Z_sess-1.flv');
    for (const other of [info.connectionId, info.app, info.streamKey, 'SECRET']) expect(key).not.toContain(other);
  });

  test('property: the key is the template filled with channel id, date and session id only', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/),
        fc.uuid(),
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2199-12-31T23:59:59Z'), noInvalidDate: true }),
        (channelId, sessionId, startedAt) => {
          const key = archiveObjectKey({ channelId, sessionId, startedAt });
          const iso = startedAt.toISOString();
          const parts = key.split('/');
          expect(parts).toHaveLength(4);
          expect(parts[0]).toBe('archives');
          expect(parts[1]).toBe(channelId);
          expect(parts[2]).toBe(iso.slice(0, 10));
          expect(parts[3]).toBe(`${iso.replace(/[:.]/g, '-')}_${sessionId}.flv`);
          // Safe in a URL path and on every file system: no colon, no dot but the extension's.
          expect(parts[3]!.indexOf('.')).toBe(parts[3]!.length - 4);
          expect(key).not.toContain(':');
        },
      ),
    );
  });
});

function readFlvTags(file: Uint8Array): FlvTag[] {
  const reader = new FlvReader();
  const tags = reader.push(file);
  reader.end();
  return tags;
}

function memoryLogger(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination: sink }), text: () => chunks.join('') };
}

describe('archive consumer against s3rver', () => {
  const fixture = readFileSync(fixturePath('h264_aac.flv'));
  const tags = readFlvTags(fixture);
  let server: S3Server;
  let s3: S3Client;
  let spoolDir: string;
  let bucket: string;
  let buckets = 0;

  beforeAll(async () => {
    server = await startS3Server();
    s3 = createS3Client(server);
  });
  afterAll(async () => {
    s3.destroy();
    await server.stop();
  });
  beforeEach(async () => {
    bucket = `ingest-archive-${process.pid}-${++buckets}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    spoolDir = await mkdtemp(path.join(tmpdir(), 'headwater-ingest-spool-'));
  });
  afterEach(async () => {
    await rm(spoolDir, { recursive: true, force: true });
  });

  function session(): SessionInfo {
    return { sessionId: newSessionId(), channelId: 'chan-test', connectionId: 'c-000000000001', app: 'live', startedAt: new Date() };
  }

  async function getObject(key: string): Promise<Buffer> {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (res.Body === undefined) throw new Error('no body');
    return Buffer.from(await res.Body.transformToByteArray());
  }

  async function objectKeys(): Promise<string[]> {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (res.Contents ?? []).map((o) => o.Key ?? '');
  }

  function pushAll(consumer: MediaConsumer, list: readonly FlvTag[]): void {
    for (const t of list) consumer.tag({ type: t.type, timestampMs: t.timestampMs, body: t.body });
  }

  test('a published session becomes one FLV object equal to the source, tag for tag and byte for byte', async () => {
    const { logger, text } = memoryLogger();
    const archived: { info: SessionInfo; result: ArchiveResult }[] = [];
    const factory = archiveConsumerFactory({ s3, bucket, spoolDir, partBytes: MIN_PART_BYTES, logger, onArchived: (info, result) => archived.push({ info, result }) });
    const info = session();
    const consumer = await factory(info);
    expect(consumer.name).toBe('archive');
    await consumer.start(info);
    pushAll(consumer, tags);
    await consumer.end('unpublished');

    const key = archiveObjectKey(info);
    expect(await objectKeys()).toEqual([key]);
    const object = await getObject(key);
    // Our header announces both media (written before any tag is seen) and PreviousTagSize0.
    expect(object.subarray(0, 13)).toEqual(Buffer.from(flvHeader({ audio: true, video: true })));
    expect(fixture.subarray(0, 3).toString('latin1')).toBe('FLV');
    // Everything after the header: identical to the file the tags came from.
    expect(object.length).toBe(fixture.length);
    expect(object.subarray(13).equals(fixture.subarray(13))).toBe(true);
    // And it reads back as the same tags.
    // This fixture announces both media too, so the whole file matches.
    expect(fixture[4]).toBe(0x05);
    expect(object.equals(fixture)).toBe(true);
    const back = readFlvTags(object);
    expect(back.map((t) => [t.type, t.timestampMs, t.body.length])).toEqual(tags.map((t) => [t.type, t.timestampMs, t.body.length]));

    expect(archived).toHaveLength(1);
    expect(archived[0]!.info).toBe(info);
    expect(archived[0]!.result).toMatchObject({ bucket, key, bytes: fixture.length });
    // The spool and manifest are gone once the object is complete.
    expect(await readdir(spoolDir)).toEqual([]);
    expect(text()).toContain('session archived');
    expect(text()).toContain(info.sessionId);
  });

  test('sessions without media still give a valid FLV (the header alone)', async () => {
    const { logger } = memoryLogger();
    const factory = archiveConsumerFactory({ s3, bucket, spoolDir, partBytes: MIN_PART_BYTES, logger });
    const info = session();
    const consumer = await factory(info);
    await consumer.end('disconnected');
    expect(await getObject(archiveObjectKey(info))).toEqual(Buffer.from(flvHeader({ audio: true, video: true })));
  });

  test("end('shutdown') leaves the spool for recovery instead of uploading", async () => {
    const { logger } = memoryLogger();
    const archived: ArchiveResult[] = [];
    const factory = archiveConsumerFactory({ s3, bucket, spoolDir, partBytes: MIN_PART_BYTES, logger, onArchived: (_info, result) => archived.push(result) });
    const info = session();
    const consumer = await factory(info);
    const some = tags.slice(0, 200);
    pushAll(consumer, some);
    await consumer.end('shutdown');

    expect(await objectKeys()).toEqual([]);
    expect(archived).toEqual([]);
    const id = `${info.channelId}-${info.sessionId}`;
    expect((await readdir(spoolDir)).sort()).toEqual([`${id}.json`, `${id}.spool`]);
    const expectedBytes = some.at(-1)!.offset + 11 + some.at(-1)!.body.length + 4;
    const spool = await readFile(path.join(spoolDir, `${id}.spool`));
    expect(spool.length).toBe(expectedBytes);
    expect(spool.subarray(13).equals(fixture.subarray(13, expectedBytes))).toBe(true);
    const manifest = JSON.parse(await readFile(path.join(spoolDir, `${id}.json`), 'utf8')) as { state: string; bytes: number; key: string; bucket: string };
    expect(manifest).toMatchObject({ state: 'finished', bytes: expectedBytes, key: archiveObjectKey(info), bucket });

    // The next start completes it, the FLV-aware repair included.
    const results = await recoverArchives({ spoolDir, s3, repair: validFlvPrefixBytes });
    expect(results).toEqual([expect.objectContaining({ bucket, key: archiveObjectKey(info), bytes: expectedBytes })]);
    const object = await getObject(archiveObjectKey(info));
    expect(object.equals(spool)).toBe(true);
    expect(await readdir(spoolDir)).toEqual([]);
  });
});
