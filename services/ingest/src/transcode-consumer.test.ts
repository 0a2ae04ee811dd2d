import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '@headwater/archive';
import { FlvReader } from '@headwater/flv';
import { SEGMENT_QUEUE_NAME, getPackaging, parseSegmentJob, sourceSegmentKey } from '@headwater/jobs';
import { createLogger } from '@headwater/log';
import { fixturePath, startRedisServer, startS3Server } from '@headwater/testkit';
import type { RedisServer, S3Server } from '@headwater/testkit';
import type { SessionInfo } from './tee.js';
import { transcodeConsumerFactory } from './transcode-consumer.js';

const BUCKET = 'media';
let redisServer: RedisServer;
let s3Server: S3Server;
let s3: S3Client;
let redis: Redis;
let queue: Queue;
const logs: string[] = [];
const logger = createLogger({
  level: 'info',
  destination: new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  }),
});

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

const info = (sessionId: string): SessionInfo => ({ sessionId, channelId: 'chan-1', connectionId: 'c1', app: 'live', startedAt: new Date(1_700_000_000_000) });

describe('transcode consumer', () => {
  it('uploads each source segment, enqueues one job per segment and ends the packaging', async () => {
    const consumer = transcodeConsumerFactory({ s3, bucket: BUCKET, redis, queue, logger })(info('sess-feed'));
    await consumer.start(info('sess-feed'));
    for (const tag of new FlvReader().push(await readFile(fixturePath('h264_aac.flv')))) consumer.tag(tag);
    await consumer.end('unpublished');

    const state = await getPackaging(redis, 'sess-feed');
    expect(state?.endSegmentCount).toBeGreaterThanOrEqual(5);
    const count = state?.endSegmentCount ?? 0;
    expect(state?.startedAtMs).toBe(1_700_000_000_000);
    expect(state?.renditions.map((r) => r.id).sort()).toEqual(['160p', '360p', 'audio', 'source']);
    expect(state?.segments.every((s) => s !== null && s.durationMs > 0)).toBe(true);

    const jobs = (await queue.getJobs(['waiting', 'prioritized', 'delayed'])).map((j) => parseSegmentJob(j.data)).sort((a, b) => a.index - b.index);
    expect(jobs.map((j) => j.index)).toEqual(Array.from({ length: count }, (_, i) => i));
    jobs.forEach((job, i) => {
      expect(job.isLast).toBe(i === count - 1);
      expect(job.sourceKey).toBe(sourceSegmentKey('chan-1', 'sess-feed', i));
      expect(job.previousSourceKey).toBe(i === 0 ? undefined : sourceSegmentKey('chan-1', 'sess-feed', i - 1));
      expect(job.outputPrefix).toBe('streams/chan-1/sess-feed/');
      expect(job.durationMs).toBe(state?.segments[i]?.durationMs);
    });
    // Contiguous on the session timeline.
    for (let i = 1; i < jobs.length; i++) expect(jobs[i]?.startMs).toBe((jobs[i - 1]?.startMs ?? 0) + (jobs[i - 1]?.durationMs ?? 0));

    const first = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: sourceSegmentKey('chan-1', 'sess-feed', 0) }));
    const bytes = await first.Body?.transformToByteArray();
    // An EBML header: a Matroska file.
    expect([...(bytes ?? new Uint8Array(0)).subarray(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
  });

  it('does nothing for a session without media', async () => {
    const consumer = transcodeConsumerFactory({ s3, bucket: BUCKET, redis, queue, logger })(info('sess-empty'));
    await consumer.end('unpublished');
    expect(await getPackaging(redis, 'sess-empty')).toBeNull();
  });
});
