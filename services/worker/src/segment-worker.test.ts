/**
 * Segment jobs end to end inside the worker: real redis-server, real s3rver, real ffmpeg.
 * The fixture is cut into Matroska source segments by the SourceSegmenter (as the ingest will),
 * uploaded, enqueued, transcoded by a BullMQ worker running two jobs at once, and the HLS
 * output read back from S3 and decoded by ffmpeg.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '@headwater/archive';
import { FlvReader } from '@headwater/flv';
import { SEGMENT_QUEUE_NAME, getPackaging, outputPrefix, segmentJobId } from '@headwater/jobs';

import { planLadder } from '@headwater/ladder';
import type { LadderPlan, LadderSource } from '@headwater/ladder';
import { SourceSegmenter } from '@headwater/mkv';
import { fragmentFrameRate, readFragmentTiming, readInitSegment } from '@headwater/mp4';
import type { SourceSegment } from '@headwater/mkv';

import type { PackagingState } from '@headwater/packager';
import { fixturePath, startRedisServer, startS3Server } from '@headwater/testkit';
import type { RedisServer, S3Server } from '@headwater/testkit';
import { startWorker } from './start-worker.js';
import { stageSession } from './testing/staged-session.js';
import type { SegmentWorker } from './start-worker.js';

const exec = promisify(execFile);
const BUCKET = 'media';
const CHANNEL = 'chan-1';

let redisServer: RedisServer;
let s3Server: S3Server;
let s3: S3Client;
let redis: Redis;
let queue: Queue;
let worker: SegmentWorker;
let workDir: string;
let segments: SourceSegment[];
let plan: LadderPlan;

/** What the ingest knows at the first segment, in the planner's terms. */
function ladderSource(first: SourceSegment): LadderSource {
  const video = first.video.find((t) => t.flvTrackId === 0);
  const audio = first.audio.find((t) => t.flvTrackId === 0);
  return {
    ...(video ? { video: { ...video.description, bitrateBps: video.bitrateBps, ...(video.frameRate === undefined ? {} : { frameRate: video.frameRate }) } } : {}),
    ...(audio ? { audio: { ...audio.description, bitrateBps: audio.bitrateBps } } : {}),
  };
}

/**
 * Uploads the source segments (but not the `missing` ones), stores the packaging state (ended:
 * all segments known) and enqueues one job per segment.
 */
async function publish(sessionId: string, corrupt: ReadonlySet<number> = new Set(), missing: ReadonlySet<number> = new Set()): Promise<void> {
  const jobs = await stageSession({ s3, bucket: BUCKET, redis, channelId: CHANNEL, sessionId, segments, plan, corrupt, missing });
  await queue.addBulk(jobs.map((data) => ({ name: 'segment', data, opts: { jobId: segmentJobId(sessionId, data.index), attempts: 3 } })));
}

async function waitComplete(sessionId: string, timeoutMs = 90_000): Promise<PackagingState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await getPackaging(redis, sessionId);
    if (state && state.endSegmentCount !== null && state.publishedCount === state.endSegmentCount) return state;
    if (Date.now() > deadline) throw new Error(`session not complete: published ${state?.publishedCount ?? 'none'}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Copies every object under `prefix` to `dir`, keeping the relative paths; resolves to the content types by relative path. */
async function downloadPrefix(prefix: string, dir: string): Promise<Map<string, string | undefined>> {
  const types = new Map<string, string | undefined>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const key = o.Key as string;
      const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const file = path.join(dir, key.slice(prefix.length));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
      types.set(key.slice(prefix.length), res.ContentType);
    }
    token = page.NextContinuationToken;
  } while (token);
  return types;
}

beforeAll(async () => {
  [redisServer, s3Server] = await Promise.all([startRedisServer({ persistence: false }), startS3Server({ buckets: [BUCKET] })]);
  s3 = createS3Client({ endpoint: s3Server.endpoint, region: s3Server.region, accessKeyId: s3Server.accessKeyId, secretAccessKey: s3Server.secretAccessKey });
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  queue = new Queue(SEGMENT_QUEUE_NAME, { connection: redis });
  workDir = await mkdtemp(path.join(tmpdir(), 'headwater-worker-test-'));
  const segmenter = new SourceSegmenter();
  segments = [...new FlvReader().push(await readFile(fixturePath('h264_aac.flv'))).flatMap((t) => segmenter.push(t)), ...segmenter.flush()];
  const first = segments[0];
  if (!first) throw new Error('no segment');
  plan = planLadder(ladderSource(first));
  worker = startWorker({ connection: redis, concurrency: 2, s3, bucket: BUCKET, workDir: path.join(workDir, 'jobs'), handleSignals: false });
});

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  redis?.disconnect();
  s3?.destroy();
  await Promise.all([redisServer?.stop(), s3Server?.stop()]);
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('segment worker', () => {
  it('plans a ladder below the 640x360 source', () => {
    expect(segments.length).toBeGreaterThanOrEqual(5);
    expect(plan.video.map((r) => [r.id, r.kind, r.height]).sort()).toEqual([
      ['160p', 'transcode', 160],
      ['360p', 'transcode', 360],
      ['source', 'passthrough', 360],
    ]);
    expect(plan.audio?.kind).toBe('passthrough');
  });

  it('turns every source segment into an HLS ladder ffmpeg decodes without error', async () => {
    const sessionId = 'sess-ok';
    await publish(sessionId);
    const state = await waitComplete(sessionId);
    expect(state.segments.every((s) => s?.outputs.every((o) => o?.status === 'done'))).toBe(true);

    const dir = await mkdtemp(path.join(workDir, 'hls-'));
    const types = await downloadPrefix(outputPrefix(CHANNEL, sessionId), dir);
    expect(types.get('master.m3u8')).toBe('application/vnd.apple.mpegurl');
    expect(types.get('manifest.mpd')).toBe('application/dash+xml');
    expect(types.get('360p/init.mp4')).toBe('video/mp4');
    expect(types.get('360p/seg-0.m4s')).toBe('video/iso.segment');
    // Temp files are gone: each job deletes its directory.
    expect(await readdirSafe(path.join(workDir, 'jobs'))).toEqual([]);

    const master = await readFile(path.join(dir, 'master.m3u8'), 'utf8');
    for (const id of ['source', '360p', '160p', 'audio']) {
      expect(master).toContain(`${id}/index.m3u8`);
      const media = await readFile(path.join(dir, id, 'index.m3u8'), 'utf8');
      expect(media).toContain('#EXT-X-ENDLIST');
      expect(media.match(/^seg-\d+\.m4s$/gm)).toHaveLength(segments.length);
    }
    const { stderr } = await exec('ffmpeg', ['-v', 'error', '-xerror', '-i', path.join(dir, 'master.m3u8'), '-map', '0', '-f', 'null', '-'], { maxBuffer: 1 << 24 });
    expect(stderr).toBe('');

    for (const r of plan.video) {
      const probe = await exec('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=height', '-of', 'csv=p=0', path.join(dir, r.id, 'index.m3u8')]);
      // The HLS demuxer lists the stream once per program: every line must say the planned height.
      const heights = probe.stdout.split('\n').filter((l) => l.trim() !== '').map(Number);
      expect(heights.length).toBeGreaterThan(0);
      expect(new Set(heights)).toEqual(new Set([r.height]));
    }
    await expectMeasuredAttributes(dir, master, state);

    const audioDuration = await exec('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path.join(dir, 'audio', 'index.m3u8')]);
    const totalS = segments.reduce((a, s) => a + s.durationMs, 0) / 1000;
    expect(Math.abs(Number(audioDuration.stdout.trim()) - totalS)).toBeLessThan(plan.segmentDurationMs / 1000);
  });

  it('turns a corrupt source segment into a gap and finishes the others', async () => {
    const sessionId = 'sess-gap';
    await publish(sessionId, new Set([2]));
    const state = await waitComplete(sessionId);
    state.segments.forEach((s, i) => {
      for (const o of s?.outputs ?? []) expect(o?.status).toBe(i === 2 ? 'failed' : 'done');
    });
    const failed = await queue.getJob(segmentJobId(sessionId, 2));
    expect(failed?.attemptsMade).toBe(1); // unrecoverable: not retried
    expect(await failed?.isFailed()).toBe(true);

    const dir = await mkdtemp(path.join(workDir, 'gap-'));
    await downloadPrefix(outputPrefix(CHANNEL, sessionId), dir);
    for (const id of ['source', '360p', '160p', 'audio']) {
      const media = await readFile(path.join(dir, id, 'index.m3u8'), 'utf8');
      expect(media).toContain('#EXT-X-GAP');
      expect(media).toContain('#EXT-X-ENDLIST');
      for (const s of segments) {
        const present = await readFile(path.join(dir, id, `seg-${s.index}.m4s`)).then(() => true, () => false);
        expect(present).toBe(s.index !== 2);
      }
    }
  });

  it('turns a segment whose every attempt fails (source missing from S3) into a gap', async () => {
    const sessionId = 'sess-missing';
    const last = segments.length - 1; // no later job reads it as its previous segment
    await publish(sessionId, new Set(), new Set([last]));
    const state = await waitComplete(sessionId, 30_000);
    state.segments.forEach((s, i) => {
      for (const o of s?.outputs ?? []) expect(o?.status).toBe(i === last ? 'failed' : 'done');
    });
    // The gap is recorded inside the last attempt, just before BullMQ marks the job failed.
    const failed = await waitForFailed(segmentJobId(sessionId, last));
    expect(failed?.attemptsMade).toBe(3); // retried (S3 could come back), then a gap
    expect(await failed?.isFailed()).toBe(true);
    const dir = await mkdtemp(path.join(workDir, 'missing-'));
    await downloadPrefix(outputPrefix(CHANNEL, sessionId), dir);
    const media = await readFile(path.join(dir, '360p', 'index.m3u8'), 'utf8');
    expect(media).toContain(`#EXT-X-GAP\nseg-${last}.m4s\n`);
    expect(media).toContain('#EXT-X-ENDLIST');
  });
});

/**
 * The published multivariant playlist and MPD advertise what the real init segments hold (read
 * by @headwater/mp4, cross-checked with ffprobe), not the ladder plan's prediction.
 */
async function expectMeasuredAttributes(dir: string, master: string, state: PackagingState): Promise<void> {
  const audioInit = readInitSegment(await readFile(path.join(dir, 'audio', 'init.mp4')));
  const audioTrack = audioInit.tracks[0];
  expect(audioTrack?.kind).toBe('audio');
  if (audioTrack?.kind !== 'audio') return;
  const audioProbe = await probeStream(path.join(dir, 'audio'));
  expect(audioTrack.codecString).toBe(audioProbe.profile === 'LC' ? 'mp4a.40.2' : audioProbe.profile === 'HE-AAC' ? 'mp4a.40.5' : 'unexpected');
  expect([audioTrack.sampleRate, audioTrack.channels]).toEqual([Number(audioProbe.sample_rate), audioProbe.channels]);
  expect(master).toContain(`CHANNELS="${audioProbe.channels}",URI="audio/index.m3u8"`);

  const manifest = await readFile(path.join(dir, 'manifest.mpd'), 'utf8');
  expect(manifest).toContain(`codecs="${audioTrack.codecString}" audioSamplingRate="${audioTrack.sampleRate}"`);
  const streamInf = new Map(
    [...master.matchAll(/^#EXT-X-STREAM-INF:(.*)\n(.*)\/index\.m3u8$/gm)].map((m) => [m[2], m[1] ?? '']),
  );
  expect([...streamInf.keys()].sort()).toEqual(plan.video.map((r) => r.id).sort());
  for (const r of plan.video) {
    const track = readInitSegment(await readFile(path.join(dir, r.id, 'init.mp4'))).tracks[0];
    expect(track?.kind).toBe('video');
    if (track?.kind !== 'video') continue;
    // ffprobe agrees with the reader: sample entry, size, H.264 profile and level.
    const probe = await probeStream(path.join(dir, r.id));
    expect([track.fourcc, track.width, track.height]).toEqual([probe.codec_tag_string, probe.width, probe.height]);
    expect(track.codecString).toMatch(/^avc1\.[0-9a-f]{6}$/);
    expect(parseInt(track.codecString.slice(-2), 16)).toBe(probe.level);
    expect({ '42': ['Baseline', 'Constrained Baseline'], '4d': ['Main'], '64': ['High'] }[track.codecString.slice(5, 7)]).toContain(probe.profile);

    const attrs = streamInf.get(r.id) ?? '';
    expect(attrs).toContain(`CODECS="${track.codecString},${audioTrack.codecString}"`);
    expect(attrs).toContain(`RESOLUTION=${track.width}x${track.height}`);
    // FRAME-RATE is what the encoder produced: the fragments' frame count over their duration.
    const fragmentRate = fragmentFrameRate(readFragmentTiming(await readFile(path.join(dir, r.id, 'seg-0.m4s'))), track.timescale);
    expect(fragmentRate).toBe(30);
    expect(attrs).toContain(`FRAME-RATE=${(fragmentRate ?? 0).toFixed(3)}`);
    const representations = manifest.split('\n').filter((l) => l.includes(`<Representation id="${r.id}"`));
    expect(representations.length).toBeGreaterThan(0);
    for (const l of representations) expect(l).toContain(`codecs="${track.codecString}" width="${track.width}" height="${track.height}"`);
    // The state keeps the measurement (plain JSON, init version 0).
    const media = state.media?.[state.renditions.findIndex((x) => x.id === r.id)];
    expect(media).toMatchObject({ initVersion: 0, codecs: track.codecString, width: track.width, height: track.height });
  }
}

interface ProbedStream {
  codec_tag_string: string;
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
}

/** ffprobe of a rendition's init segment followed by its first fragment (the init alone leaves the level unknown). */
async function probeStream(renditionDir: string): Promise<ProbedStream> {
  const whole = path.join(renditionDir, 'probe.mp4');
  await writeFile(whole, Buffer.concat([await readFile(path.join(renditionDir, 'init.mp4')), await readFile(path.join(renditionDir, 'seg-0.m4s'))]));
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-show_entries', 'stream', '-of', 'json', whole], { maxBuffer: 1 << 22 });
  const stream = (JSON.parse(stdout) as { streams: ProbedStream[] }).streams[0];
  if (!stream) throw new Error('ffprobe found no stream');
  return stream;
}

async function waitForFailed(jobId: string) {
  for (let i = 0; i < 100; i++) {
    const job = await queue.getJob(jobId);
    if (job && (await job.isFailed())) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
  return queue.getJob(jobId);
}

async function readdirSafe(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  return readdir(dir).catch(() => []);
}
