/**
 * Transcoding end to end: a fixture published over RTMP with `transcode.enabled`, the ingest's
 * transcoder feed cutting and enqueuing source segments, a real BullMQ worker (two jobs at once)
 * running ffmpeg, and the resulting HLS read back from S3 and decoded by ffmpeg.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishTags, readFlvTags } from '@headwater/cli';
import { encodeVideoTag, parseVideoTag } from '@headwater/flv';
import { getPackaging, outputPrefix } from '@headwater/jobs';
import { fixturePath } from '@headwater/testkit';
import { startWorker, type SegmentWorker } from '@headwater/worker';
import { DrivenPublisher } from './driven-publisher.js';
import { downloadPrefix, startHarness, waitFor, type Harness } from './harness.js';

const run = promisify(execFile);

let h: Harness;
let channelId: string;
let streamKey: string;
let workerRedis: Redis;
let worker: SegmentWorker;
let workDir: string;

beforeAll(async () => {
  h = await startHarness({ HEADWATER_TRANSCODE_ENABLED: 'true' });
  const created = await h.pipeline.keyStore.createChannel('e2e-transcode');
  channelId = created.channel.id;
  streamKey = created.streamKey;
  workDir = await mkdtemp(path.join(tmpdir(), 'headwater-transcode-e2e-'));
  workerRedis = new Redis(h.redis.url, { maxRetriesPerRequest: null });
  worker = startWorker({ connection: workerRedis, concurrency: 2, s3: h.pipeline.infra.s3, bucket: h.config.s3.bucket, workDir, handleSignals: false });
});

afterAll(async () => {
  await worker?.close();
  workerRedis?.disconnect();
  await h?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  expect(h.logs.join('')).not.toContain(streamKey);
});

describe('transcoding a published stream', () => {
  it('h264_aac.flv becomes an HLS ladder ffmpeg decodes without error', async () => {
    const tags = await readFlvTags(fixturePath('h264_aac.flv'));
    const done = h.stopped(channelId);
    await publishTags({ url: h.rtmpUrl(streamKey), tags, realtime: false });
    const { snapshot } = await done;
    const { sessionId } = snapshot.info;

    const state = await waitFor(
      'every segment transcoded',
      async () => {
        const s = await getPackaging(h.pipeline.infra.redis, sessionId);
        return s !== null && s.endSegmentCount !== null && s.publishedCount === s.endSegmentCount && s;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    expect(state.endSegmentCount).toBeGreaterThanOrEqual(5);
    expect(state.segments.every((s) => s?.outputs.every((o) => o?.status === 'done'))).toBe(true);

    const prefix = outputPrefix(channelId, sessionId);
    const dir = path.join(workDir, 'hls');
    const listed = await h.pipeline.infra.s3.send(new ListObjectsV2Command({ Bucket: h.config.s3.bucket, Prefix: prefix }));
    for (const o of listed.Contents ?? []) expect(o.Key).not.toContain(streamKey);
    await downloadPrefix(h.pipeline.infra.s3, h.config.s3.bucket, prefix, dir);
    const master = await readFile(path.join(dir, 'master.m3u8'), 'utf8');
    for (const r of state.renditions) {
      expect(master).toContain(`${r.id}/index.m3u8`);
      const media = await readFile(path.join(dir, r.id, 'index.m3u8'), 'utf8');
      expect(media).toContain('#EXT-X-ENDLIST');
      expect(media.match(/^seg-\d+\.m4s$/gm)).toHaveLength(state.endSegmentCount ?? -1);
    }
    const { stderr } = await run('ffmpeg', ['-v', 'error', '-xerror', '-i', path.join(dir, 'master.m3u8'), '-map', '0', '-f', 'null', '-'], { maxBuffer: 1 << 24 });
    expect(stderr).toBe('');

    const sourceS = Number((await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', fixturePath('h264_aac.flv')])).stdout.trim());
    for (const r of state.renditions) {
      const out = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path.join(dir, r.id, 'index.m3u8')]);
      // Within one segment of the input (issue 3).
      expect(Math.abs(Number(out.stdout.trim().split('\n')[0]) - sourceS)).toBeLessThan(2);
      if (r.kind === 'video') {
        const probe = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=height', '-of', 'csv=p=0', path.join(dir, r.id, 'index.m3u8')]);
        expect(new Set(probe.stdout.split('\n').filter((l) => l.trim() !== '').map(Number))).toEqual(new Set([r.height]));
      }
    }
  });

  it('a publisher that drops and comes back within the grace period continues the same playlists after a discontinuity', async () => {
    const tags = await readFlvTags(fixturePath('h264_aac.flv'));
    const half = tags.filter((t) => t.timestampMs < 5000);
    const url = h.rtmpUrl(streamKey);

    const firstStop = h.stopped(channelId);
    const first = await DrivenPublisher.open(url);
    await first.send(half);
    await first.close(); // the connection drops: no FCUnpublish/deleteStream
    const { snapshot, reason } = await firstStop;
    expect(reason).toBe('disconnected');
    const playbackId = snapshot.info.sessionId;

    const secondStop = h.stopped(channelId);
    const second = await DrivenPublisher.open(url);
    await second.send(tags); // its clock restarts at 0
    await second.close({ unpublish: true });
    const resumed = (await secondStop).snapshot.info.sessionId;
    expect(resumed).not.toBe(playbackId);

    const state = await waitFor(
      'the continued session transcoded and ended',
      async () => {
        const s = await getPackaging(h.pipeline.infra.redis, playbackId);
        return s !== null && s.endSegmentCount !== null && s.publishedCount === s.endSegmentCount && s;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    expect(await getPackaging(h.pipeline.infra.redis, resumed)).toBeNull();
    expect(state.discontinuities).toHaveLength(1);
    const atIndex = state.discontinuities[0]?.atIndex ?? -1;
    expect(atIndex).toBeGreaterThanOrEqual(2);
    expect(state.segments.every((s) => s?.outputs.every((o) => o?.status === 'done'))).toBe(true);

    const prefix = outputPrefix(channelId, playbackId);
    const dir = path.join(workDir, 'reconnect');
    await downloadPrefix(h.pipeline.infra.s3, h.config.s3.bucket, prefix, dir);
    for (const r of state.renditions) {
      const media = await readFile(path.join(dir, r.id, 'index.m3u8'), 'utf8');
      expect(media).toContain('#EXT-X-ENDLIST');
      // The discontinuity sits right before the first segment of the second publish, with its own init segment.
      expect(media).toContain(`#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-1.mp4"`);
      expect(media.indexOf('#EXT-X-DISCONTINUITY\n')).toBeGreaterThan(media.indexOf(`seg-${atIndex - 1}.m4s`));
      expect(media.indexOf('#EXT-X-DISCONTINUITY\n')).toBeLessThan(media.indexOf(`seg-${atIndex}.m4s`));
    }
    const mpd = await readFile(path.join(dir, 'manifest.mpd'), 'utf8');
    expect(mpd).toContain('type="static"');
    expect(mpd.match(/<Period /g)).toHaveLength(2);

    const { stderr } = await run('ffmpeg', ['-v', 'error', '-xerror', '-i', path.join(dir, 'master.m3u8'), '-map', '0', '-f', 'null', '-'], { maxBuffer: 1 << 24 });
    expect(stderr).toBe('');
    // Both publishes, back to back on one timeline: 5 s + 10 s, within a segment.
    const total = state.segments.reduce((sum, s) => sum + (s?.durationMs ?? 0), 0);
    expect(Math.abs(total - 15_000)).toBeLessThan(2000);
    const video = state.renditions.find((r) => r.kind === 'video');
    const out = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path.join(dir, video?.id ?? '', 'index.m3u8')]);
    expect(Math.abs(Number(out.stdout.trim().split('\n')[0]) - total / 1000)).toBeLessThan(2);
  });

  it('a multitrack publish (E-RTMP v2) offers its extra video track as a passthrough rendition', async () => {
    // An encoder-side ladder: the fixture's H.264 video again as track 1 (OBS Enhanced
    // Broadcasting sends each rung as its own track, key frames aligned).
    const tags = await readFlvTags(fixturePath('h264_aac.flv'));
    const multitrack = tags.flatMap((tag) => {
      if (tag.type !== 9) return [tag];
      const parsed = parseVideoTag(tag.body);
      const extra = encodeVideoTag({ frameType: parsed.frameType, enhanced: true, multitrack: 'one-track', tracks: parsed.tracks.map((t) => ({ ...t, trackId: 1 })) });
      return [tag, { ...tag, body: extra }];
    });
    const done = h.stopped(channelId);
    await publishTags({ url: h.rtmpUrl(streamKey), tags: multitrack, realtime: false });
    const { sessionId } = (await done).snapshot.info;
    const state = await waitFor(
      'every segment transcoded',
      async () => {
        const s = await getPackaging(h.pipeline.infra.redis, sessionId);
        return s !== null && s.endSegmentCount !== null && s.publishedCount === s.endSegmentCount && s;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    const extra = state.renditions.find((r) => r.id.endsWith('-t1'));
    expect(extra).toMatchObject({ kind: 'video', width: 640, height: 360 });
    expect(state.segments.every((s) => s?.outputs.every((o) => o?.status === 'done'))).toBe(true);
    const dir = path.join(workDir, 'multitrack');
    const prefix = outputPrefix(channelId, sessionId);
    await downloadPrefix(h.pipeline.infra.s3, h.config.s3.bucket, prefix, dir);
    expect(await readFile(path.join(dir, 'master.m3u8'), 'utf8')).toContain(`${extra?.id ?? ''}/index.m3u8`);
    // The copied track decodes on its own, frame for frame like the main track's passthrough.
    const frames = async (id: string) =>
      (await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'csv=p=0', path.join(dir, id, 'index.m3u8')])).stdout.trim().split('\n')[0];
    const main = await frames('source');
    expect(main).toMatch(/^h264,\d{3}$/);
    expect(await frames(extra?.id ?? '')).toBe(main);
  });
});
