/**
 * Transcoding end to end: a fixture published over RTMP with `transcode.enabled`, the ingest's
 * transcoder feed cutting and enqueuing source segments, a real BullMQ worker (two jobs at once)
 * running ffmpeg, and the resulting HLS read back from S3 and decoded by ffmpeg.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishTags, readFlvTags } from '@headwater/cli';
import { getPackaging, outputPrefix } from '@headwater/jobs';
import { fixturePath } from '@headwater/testkit';
import { startWorker, type SegmentWorker } from '@headwater/worker';
import { getObject, startHarness, waitFor, type Harness } from './harness.js';

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
    for (const o of listed.Contents ?? []) {
      expect(o.Key).not.toContain(streamKey);
      const file = path.join(dir, (o.Key as string).slice(prefix.length));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, await getObject(h.pipeline.infra.s3, h.config.s3.bucket, o.Key as string));
    }
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
});
