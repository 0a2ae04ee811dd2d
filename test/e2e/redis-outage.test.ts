/**
 * A Redis outage of several seconds in the middle of a live publish (issue 3), with real
 * processes: redis-server (stopped, then started again on the same port with the same data),
 * s3rver, ffmpeg, and a segment worker in this process. The ingest cannot record or enqueue the
 * source segments cut during the outage: it must leave gaps for exactly those (retrying until
 * Redis is back), keep the archive whole, and end the playlists once every segment settled.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishTags, readFlvTags } from '@headwater/cli';
import { getPackaging, outputPrefix } from '@headwater/jobs';
import type { PackagingState } from '@headwater/packager';
import { fixturePath } from '@headwater/testkit';
import { startWorker, type SegmentWorker } from '@headwater/worker';
import { downloadPrefix, getObject, listArchives, logEntries, playlistSegments, range, readTags, startHarnessWith, tagMismatch, waitFor, type Harness } from './harness.js';

/** How long Redis stays down: longer than ioredis's per-command retries, shorter than a worker's lock (10 s). */
const OUTAGE_MS = 5000;

let h: Harness;
let channelId: string;
let streamKey: string;
let workerRedis: Redis;
let worker: SegmentWorker;
let workDir: string;
/** Connection errors during the outages (expected; kept off the console). */
const workerErrors: string[] = [];
const queueErrors: string[] = [];

beforeAll(async () => {
  // No reconnect grace: the publish's end ends the playback session at once.
  h = await startHarnessWith({ env: { HEADWATER_TRANSCODE_ENABLED: 'true', HEADWATER_TRANSCODE_RECONNECT_GRACE_MS: '0' } });
  const created = await h.pipeline.keyStore.createChannel('e2e-redis-outage');
  channelId = created.channel.id;
  streamKey = created.streamKey;
  workDir = await mkdtemp(path.join(tmpdir(), 'headwater-redis-outage-'));
  workerRedis = new Redis(h.redis.url, { maxRetriesPerRequest: null });
  workerRedis.on('error', () => undefined); // connection refused during the outage: expected
  worker = startWorker({ connection: workerRedis, concurrency: 1, threads: 1, s3: h.pipeline.infra.s3, bucket: h.config.s3.bucket, workDir, handleSignals: false });
  worker.worker.on('error', (err) => workerErrors.push(err.message));
  // The pipeline's queue has no 'error' listener: BullMQ would print each refused connection.
  h.pipeline.segmentQueue!.on('error', (err) => queueErrors.push(err.message));
});

afterAll(async () => {
  await worker?.close();
  workerRedis?.disconnect();
  await h?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  expect(h.logs.join('')).not.toContain(streamKey);
});


/**
 * Publishes h264_aac.flv (10 s, key frames every 2 s) at real-time pace with Redis down for
 * {@link OUTAGE_MS} from publish time `atMs`; checks that the outage really happened and that the
 * archive holds exactly what was sent. Resolves to the publish's session id.
 */
async function publishThroughOutage(atMs: number): Promise<string> {
  const tags = await readFlvTags(fixturePath('h264_aac.flv'));
  const runId = async (): Promise<string | undefined> => /run_id:(\w+)/.exec(await h.pipeline.infra.redis.info('server'))?.[1];
  const runIdBefore = await runId();
  const before = await listArchives(h.pipeline.infra.s3, h.config.s3.bucket, channelId);
  const done = h.stopped(channelId);

  const outageStart = tags.findIndex((t) => t.timestampMs >= atMs);
  let sent = 0;
  let outage: Promise<{ downMs: number }> | undefined;
  const publishing = publishTags({
    url: h.rtmpUrl(streamKey),
    tags,
    realtime: true,
    onProgress: () => {
      if (++sent !== outageStart) return;
      outage = (async () => {
        await h.redis.pause();
        const downAt = Date.now();
        await new Promise((r) => setTimeout(r, OUTAGE_MS));
        await h.redis.restart();
        return { downMs: Date.now() - downAt };
      })();
    },
  });
  // The publish itself never notices.
  expect((await publishing).tags).toBe(tags.length);
  const { downMs } = await waitFor('the outage to end', () => outage, { timeoutMs: 20_000 });
  expect(downMs).toBeGreaterThanOrEqual(OUTAGE_MS);
  // A new redis-server process: the outage really happened.
  expect(await runId()).not.toBe(runIdBefore);
  const { snapshot, reason } = await done;
  expect(reason).toBe('unpublished');

  // The archive: one new object, tag for tag what was sent.
  const keys = await waitFor('the new archive', async () => {
    const now = await listArchives(h.pipeline.infra.s3, h.config.s3.bucket, channelId);
    return now.length > before.length && now;
  });
  const newKey = keys.find((k) => !before.includes(k))!;
  expect(tagMismatch(readTags(await getObject(h.pipeline.infra.s3, h.config.s3.bucket, newKey)), tags)).toBeUndefined();
  return snapshot.info.sessionId;
}

/**
 * Waits until every segment of the ended session settled, then checks that the gaps are exactly
 * the segments the ingest logged as not enqueued (at least one: the outage hit a cut), that
 * nothing is pending in the state or the queue, and that the playlists are VOD with EXT-X-GAP
 * exactly there. Resolves to the gaps and the segment count.
 */
async function expectSettledWithGaps(sessionId: string, minGaps = 1): Promise<{ gaps: number[]; count: number }> {
  const redis = h.pipeline.infra.redis;
  const state: PackagingState = await waitFor(
    'every segment settled',
    async () => {
      const s = await getPackaging(redis, sessionId);
      return s !== null && s.endSegmentCount !== null && s.publishedCount === s.endSegmentCount && s;
    },
    { timeoutMs: 40_000, intervalMs: 200 },
  );
  const count = state.endSegmentCount!;
  expect(count).toBeGreaterThanOrEqual(5);
  expect(state.segments.length).toBe(count);

  const notEnqueued = [
    ...new Set(
      logEntries(h.logs, 'source segment not enqueued')
        .filter((e) => e.sessionId === sessionId)
        .map((e) => Number(e.index)),
    ),
  ].sort((a, b) => a - b);
  expect(notEnqueued.length).toBeGreaterThanOrEqual(minGaps);
  const failed = range(count).filter((i) => state.segments[i]?.outputs.some((o) => o?.status === 'failed'));
  expect(failed).toEqual(notEnqueued);
  // A gap is a gap in every rendition; everything else was transcoded.
  expect(state.segments.every((s, i) => s !== null && s.outputs.every((o) => o?.status === (failed.includes(i) ? 'failed' : 'done')))).toBe(true);
  expect(logEntries(h.logs, 'gap not recorded')).toEqual([]);
  expect(logEntries(h.logs, 'transcode feed step failed')).toEqual([]);

  // No job left behind in the queue either (the last one may still be moving to completed).
  const queue = h.pipeline.segmentQueue!;
  await waitFor('the queue to drain', async () => Object.values(await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized')).every((n) => n === 0), {
    timeoutMs: 10_000,
    intervalMs: 100,
  });
  expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });

  // The playlists as players see them: VOD, every index, EXT-X-GAP exactly at the gaps.
  const prefix = outputPrefix(channelId, sessionId);
  const dir = path.join(workDir, sessionId);
  await downloadPrefix(h.pipeline.infra.s3, h.config.s3.bucket, prefix, dir);
  for (const r of state.renditions) {
    const media = await readFile(path.join(dir, r.id, 'index.m3u8'), 'utf8');
    expect(media).toContain('#EXT-X-ENDLIST');
    expect(playlistSegments(media)).toEqual({ indices: range(count), gaps: failed });
  }
  return { gaps: failed, count };
}

describe('Redis outage during a publish', () => {
  it(`down for ${OUTAGE_MS / 1000} s mid-publish: archive intact, gaps exactly where segments were not enqueued, playlists reach ENDLIST`, async () => {
    // Down from 3 s: segment 0 is enqueued, segment 1 is cut (at the 4 s key frame) in the outage.
    const sessionId = await publishThroughOutage(3000);
    const { gaps, count } = await expectSettledWithGaps(sessionId);
    // Transcoding resumed after the outage: the last segments are in.
    expect(gaps.at(-1)).toBeLessThan(count - 2);
  });

  it(`down for ${OUTAGE_MS / 1000} s across the end of the publish: the last segment is a gap and the session still ends`, async () => {
    // Down from 9 s: the last segment (cut at the end, ~10 s) and the session end are recorded
    // only once Redis is back (the ingest retries them), and the end waits for them.
    const sessionId = await publishThroughOutage(9000);
    const { gaps, count } = await expectSettledWithGaps(sessionId);
    expect(gaps).toContain(count - 1);
  });

  it(`down for ${OUTAGE_MS / 1000} s from the first cut: the session is created once Redis is back, numbering intact, nothing lost`, async () => {
    // Down from 1 s: segment 0 is cut (at the 2 s key frame) while Redis is down. The feed retries
    // creating the packaging state rather than dropping the segment, and the segments queued
    // behind it wait, so the outage costs latency, not media.
    const sessionId = await publishThroughOutage(1000);
    const { gaps, count } = await expectSettledWithGaps(sessionId, 0);
    expect(gaps).toEqual([]);
    expect(count).toBeGreaterThanOrEqual(5);
  });
});
