import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '@headwater/archive';
import { SEGMENT_QUEUE_NAME, getPackaging, parseSegmentJob } from '@headwater/jobs';
import { createLogger } from '@headwater/log';
import { fixturePath, startRedisServer, startS3Server } from '@headwater/testkit';
import type { RedisServer, S3Server } from '@headwater/testkit';
import { archiveObjectKey, parseArchiveObjectKey } from './archive-consumer.js';
import { ArchiveTranscodeError, VOD_JOB_PRIORITY, transcodeArchive } from './archive-transcode.js';

const BUCKET = 'media';
let redisServer: RedisServer;
let s3Server: S3Server;
let s3: S3Client;
let redis: Redis;
let queue: Queue;
const logger = createLogger({ level: 'info', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

beforeAll(async () => {
  [redisServer, s3Server] = await Promise.all([startRedisServer({ persistence: false }), startS3Server({ buckets: [BUCKET] })]);
  s3 = createS3Client({ endpoint: s3Server.endpoint, region: s3Server.region, accessKeyId: s3Server.accessKeyId, secretAccessKey: s3Server.secretAccessKey });
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  queue = new Queue(SEGMENT_QUEUE_NAME, { connection: redis });
});

afterAll(async () => {
  await queue?.close();
  redis?.disconnect();
  s3?.destroy();
  await Promise.all([redisServer?.stop(), s3Server?.stop()]);
});

const session = { channelId: 'chan-vod', sessionId: '7f1c2d1e-0b7a-4a59-9f3e-2f1a0c9d8e7b', startedAt: new Date('2026-11-23T18:03:12.345Z') };

describe('archive object keys', () => {
  it('parse back to what made them, and nothing else parses', () => {
    const key = archiveObjectKey(session);
    expect(key).toBe('archives/chan-vod/2026-11-23/2026-11-23T18-03-12-345Z_7f1c2d1e-0b7a-4a59-9f3e-2f1a0c9d8e7b.flv');
    expect(parseArchiveObjectKey(key)).toEqual(session);
    for (const bad of ['archives/x.flv', `${key}.part`, key.replace('archives/', 'sources/'), 'archives/c/2026-11-23/2026-13-45T99-99-99-999Z_s.flv']) {
      expect(parseArchiveObjectKey(bad)).toBeNull();
    }
  });
});

describe('transcodeArchive', () => {
  it('enqueues one low-priority segment job per segment of the archive and ends the playback session', async () => {
    const archiveKey = archiveObjectKey(session);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: archiveKey, Body: await readFile(fixturePath('hevc_aac.flv')) }));
    const result = await transcodeArchive({ s3, bucket: BUCKET, redis, queue, logger, archiveKey });

    expect(result.channelId).toBe('chan-vod');
    expect(result.sessionId).toMatch(/^vod-7f1c2d1e-0b7a-4a59-9f3e-2f1a0c9d8e7b-[0-9a-f]{6}$/);
    expect(result.outputPrefix).toBe(`streams/chan-vod/${result.sessionId}/`);
    expect(Math.abs(result.durationMs - 10_000)).toBeLessThan(200);
    const state = await getPackaging(redis, result.sessionId);
    expect(state?.endSegmentCount).toBe(result.segmentCount);
    expect(state?.startedAtMs).toBe(session.startedAt.getTime());
    expect(result.segmentCount).toBeGreaterThanOrEqual(5);

    const jobs = (await queue.getJobs(['prioritized', 'waiting'])).filter((j) => parseSegmentJob(j.data).sessionId === result.sessionId);
    expect(jobs.map((j) => parseSegmentJob(j.data).index).sort((a, b) => a - b)).toEqual(Array.from({ length: result.segmentCount }, (_, i) => i));
    for (const j of jobs) expect(j.opts.priority).toBe(VOD_JOB_PRIORITY);
  });

  it('refuses a key that is not an archive, and a missing object', async () => {
    await expect(transcodeArchive({ s3, bucket: BUCKET, redis, queue, logger, archiveKey: 'sources/x/y/src-0.mkv' })).rejects.toBeInstanceOf(ArchiveTranscodeError);
    await expect(transcodeArchive({ s3, bucket: BUCKET, redis, queue, logger, archiveKey: archiveObjectKey({ ...session, sessionId: 'gone' }) })).rejects.toThrow(/NoSuchKey|not exist/i);
  });
});
