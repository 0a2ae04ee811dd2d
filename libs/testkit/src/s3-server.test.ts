import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createS3Client } from '@headwater/archive';
import { startS3Server } from './s3-server.js';
import type { S3Server } from './s3-server.js';

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function getBytes(s3: S3Client, Bucket: string, Key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket, Key }));
  if (res.Body === undefined) throw new Error('no body');
  return Buffer.from(await res.Body.transformToByteArray());
}

function clientFor(server: S3Server): S3Client {
  return createS3Client(server);
}

/** The S3 error name and HTTP status of a rejected call. */
async function failure(p: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('startS3Server', () => {
  let server: S3Server;
  let s3: S3Client;
  let work: string;

  beforeAll(async () => {
    server = await startS3Server({ buckets: ['preset'] });
    s3 = clientFor(server);
    work = await mkdtemp(path.join(tmpdir(), 'headwater-s3-test-'));
  });
  afterAll(async () => {
    s3.destroy();
    await server.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('listens on loopback with a real port and the S3RVER account', () => {
    expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    expect(server.accessKeyId).toBe('S3RVER');
  });

  test('creates buckets; PutObject/GetObject round-trip a Buffer and a stream', async () => {
    const data = randomBytes(3 * MiB + 7);
    await s3.send(new PutObjectCommand({ Bucket: 'preset', Key: 'buf/a.bin', Body: data }));
    expect(sha256(await getBytes(s3, 'preset', 'buf/a.bin'))).toBe(sha256(data));

    const file = path.join(work, 'stream.bin');
    await writeFile(file, data);
    await s3.send(new CreateBucketCommand({ Bucket: 'made-by-api' }));
    await s3.send(new PutObjectCommand({ Bucket: 'made-by-api', Key: 's.bin', Body: createReadStream(file), ContentLength: data.length }));
    expect(sha256(await getBytes(s3, 'made-by-api', 's.bin'))).toBe(sha256(data));
  });

  test('why createS3Client asks for checksums only WHEN_REQUIRED: the SDK default corrupts streamed bodies on s3rver', async () => {
    const data = randomBytes(MiB);
    const file = path.join(work, 'default.bin');
    await writeFile(file, data);
    const sdkDefault = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    try {
      await sdkDefault.send(new PutObjectCommand({ Bucket: 'preset', Key: 'default.bin', Body: createReadStream(file), ContentLength: data.length }));
      const stored = await getBytes(s3, 'preset', 'default.bin');
      // aws-chunked framing and the CRC32 trailer end up inside the object.
      expect(stored.length).toBeGreaterThan(data.length);
      expect(stored.includes(Buffer.from('x-amz-checksum-crc32'))).toBe(true);
    } finally {
      sdkDefault.destroy();
    }
  });

  test('multipart: Create/UploadPart/Complete work; Abort and ListParts answer 405', async () => {
    const Bucket = 'multipart';
    const Key = 'session/one.flv';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const data = randomBytes(11 * MiB + 5);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    expect(UploadId).toBeTruthy();
    const bounds = [0, 5 * MiB, 10 * MiB, data.length];
    const parts = [];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const body = data.subarray(bounds[i], bounds[i + 1]);
      const res = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body: body }));
      parts.push({ PartNumber: i + 1, ETag: res.ETag });
    }
    expect(await failure(s3.send(new ListPartsCommand({ Bucket, Key, UploadId })))).toEqual({ name: 'MethodNotAllowed', status: 405 });
    await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
    expect(sha256(await getBytes(s3, Bucket, Key))).toBe(sha256(data));

    const other = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'aborted' }));
    expect(await failure(s3.send(new AbortMultipartUploadCommand({ Bucket, Key: 'aborted', UploadId: other.UploadId })))).toEqual({
      name: 'MethodNotAllowed',
      status: 405,
    });
  });

  test('unknown upload ids: UploadPart is accepted, Complete answers 500 InternalError (real S3: NoSuchUpload)', async () => {
    const Bucket = 'preset';
    await s3.send(new UploadPartCommand({ Bucket, Key: 'ghost', UploadId: 'no-such-upload', PartNumber: 1, Body: Buffer.from('x') }));
    const err = await failure(
      s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'ghost', UploadId: 'never-created', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"x"' }] } })),
    );
    expect(err).toEqual({ name: 'InternalError', status: 500 });
  });

  test('pause() refuses connections; restart() comes back on the same port with the same data', async () => {
    const data = randomBytes(1000);
    await s3.send(new PutObjectCommand({ Bucket: 'preset', Key: 'kept', Body: data }));
    await server.pause();
    const down = await failure(s3.send(new GetObjectCommand({ Bucket: 'preset', Key: 'kept' })));
    expect(down.status).toBeUndefined();
    await server.restart();
    expect(sha256(await getBytes(s3, 'preset', 'kept'))).toBe(sha256(data));
  });
});

test('stop() deletes the data directory it made, and keeps one it was given', async () => {
  const own = await startS3Server();
  expect(existsSync(own.dataDir)).toBe(true);
  await own.stop();
  expect(existsSync(own.dataDir)).toBe(false);

  const given = await mkdtemp(path.join(tmpdir(), 'headwater-s3-given-'));
  const kept = await startS3Server({ dataDir: given, buckets: ['b'] });
  await kept.stop();
  expect(existsSync(path.join(given, 'b'))).toBe(true);
  await rm(given, { recursive: true, force: true });
});
