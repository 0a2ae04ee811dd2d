import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '@headwater/archive';
import { FlvReader } from '@headwater/flv';
import { CONTINUATIONS_KEY, SEGMENT_QUEUE_NAME, getPackaging, parseSegmentJob, sourceSegmentKey } from '@headwater/jobs';
import type { SegmentJob } from '@headwater/jobs';
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

const info = (sessionId: string, channelId = 'chan-1', startedAtMs = 1_700_000_000_000): SessionInfo => ({ sessionId, channelId, connectionId: 'c1', app: 'live', startedAt: new Date(startedAtMs) });

/** Feeds a whole fixture to a consumer of `factory` and ends it with `reason`. */
async function publishFixture(factory: ReturnType<typeof transcodeConsumerFactory>, session: SessionInfo, fixture: string, reason: 'unpublished' | 'disconnected'): Promise<void> {
  const consumer = factory(session);
  await consumer.start(session);
  for (const tag of new FlvReader().push(await readFile(fixturePath(fixture)))) consumer.tag(tag);
  await consumer.end(reason);
}

async function jobsOf(sessionId: string): Promise<SegmentJob[]> {
  const all = (await queue.getJobs(['waiting', 'prioritized', 'delayed'])).map((j) => parseSegmentJob(j.data));
  return all.filter((j) => j.sessionId === sessionId).sort((a, b) => a.index - b.index);
}

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

  it('continues the playback session when the publisher reconnects within the grace period', async () => {
    const factory = transcodeConsumerFactory({ s3, bucket: BUCKET, redis, queue, logger, reconnectGraceMs: 60_000 });
    await publishFixture(factory, info('sess-a', 'chan-re'), 'h264_aac.flv', 'disconnected');
    const paused = await getPackaging(redis, 'sess-a');
    expect(paused?.endSegmentCount).toBeNull(); // still live: the publisher may come back
    const first = paused?.segments.length ?? 0;
    expect(first).toBeGreaterThanOrEqual(5);

    await publishFixture(factory, info('sess-b', 'chan-re', 1_700_000_020_000), 'h264_aac.flv', 'unpublished');
    expect(await getPackaging(redis, 'sess-b')).toBeNull(); // no new playback session
    const state = await getPackaging(redis, 'sess-a');
    expect(state?.endSegmentCount).toBe(2 * first);
    const jobs = await jobsOf('sess-a');
    const s0 = jobs[0]?.startMs ?? NaN; // both publishes of the fixture start their first segment here
    expect(state?.discontinuities).toEqual([{ atIndex: first, wallClockMs: 1_700_000_020_000 + s0, initVersion: 1 }]);

    expect(jobs.map((j) => j.index)).toEqual(Array.from({ length: 2 * first }, (_, i) => i));
    // One contiguous playback timeline: the second publish's clock restarted at 0 and is moved onto it.
    for (let i = 1; i < jobs.length; i++) expect(jobs[i]?.startMs).toBe((jobs[i - 1]?.startMs ?? 0) + (jobs[i - 1]?.durationMs ?? 0));
    const resumed = jobs[first];
    expect((resumed?.startMs ?? 0) - (resumed?.inputOffsetMs ?? 0)).toBe(s0);
    expect(resumed?.previousSourceKey).toBeUndefined(); // no audio preroll across the reconnect
    expect(jobs[first - 1]?.isLast).toBe(true);
    expect(jobs.at(-1)?.isLast).toBe(true);
    expect(jobs.at(-1)?.sourceKey).toBe(sourceSegmentKey('chan-re', 'sess-a', 2 * first - 1));
    expect(await redis.hexists(CONTINUATIONS_KEY, 'chan-re')).toBe(0);
  });

  it('ends the playback session when the grace period runs out', async () => {
    const factory = transcodeConsumerFactory({ s3, bucket: BUCKET, redis, queue, logger, reconnectGraceMs: 300 });
    await publishFixture(factory, info('sess-gone', 'chan-gone'), 'h264_aac.flv', 'disconnected');
    expect((await getPackaging(redis, 'sess-gone'))?.endSegmentCount).toBeNull();
    let ended: number | null | undefined = null;
    for (let i = 0; i < 50 && ended === null; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ended = (await getPackaging(redis, 'sess-gone'))?.endSegmentCount;
    }
    expect(ended).toBeGreaterThanOrEqual(5);
    // The playlists were written at the end even though no worker ran.
    const master = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'streams/chan-gone/sess-gone/manifest.mpd' }));
    expect(await master.Body?.transformToString()).toContain('type="dynamic"'); // nothing published yet: still waiting on segments
  });

  it('starts a new playback session when the reconnecting publisher brings another ladder', async () => {
    const factory = transcodeConsumerFactory({ s3, bucket: BUCKET, redis, queue, logger, reconnectGraceMs: 60_000 });
    await publishFixture(factory, info('sess-h264', 'chan-swap'), 'h264_aac.flv', 'disconnected');
    await publishFixture(factory, info('sess-hevc', 'chan-swap'), 'hevc_aac.flv', 'unpublished');
    const [before, after] = await Promise.all([getPackaging(redis, 'sess-h264'), getPackaging(redis, 'sess-hevc')]);
    expect(before?.endSegmentCount).toBe(before?.segments.length);
    expect(before?.discontinuities).toEqual([]);
    expect(after?.endSegmentCount).toBeGreaterThanOrEqual(5);
  });

  it('ends at once on unpublish, and with no grace period', async () => {
    const factory = transcodeConsumerFactory({ s3, bucket: BUCKET, redis, queue, logger, reconnectGraceMs: 0 });
    await publishFixture(factory, info('sess-x', 'chan-nograce'), 'h264_aac.flv', 'disconnected');
    await publishFixture(factory, info('sess-y', 'chan-nograce'), 'h264_aac.flv', 'disconnected');
    for (const id of ['sess-x', 'sess-y']) expect((await getPackaging(redis, id))?.endSegmentCount).toBeGreaterThanOrEqual(5);
  });
});
