/**
 * VOD from the archive: a session published with transcoding off is archived; `headwater vod
 * <key> --wait` (the built CLI, a separate process, no worker connected so it runs its own)
 * turns the archive into the HLS + DASH ladder through the segment queue, faster than real time.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishTags, readFlvTags } from '@headwater/cli';
import { getPackaging } from '@headwater/jobs';
import { fixturePath } from '@headwater/testkit';
import { buildCli, cliEnv, cliMain } from './cli-process.js';
import { downloadPrefix, listArchives, startHarness, type Harness } from './harness.js';

const run = promisify(execFile);

let h: Harness;
let workDir: string;

beforeAll(async () => {
  await buildCli();
  h = await startHarness();
  workDir = await mkdtemp(path.join(tmpdir(), 'headwater-vod-e2e-'));
});

afterAll(async () => {
  await h?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('headwater vod', () => {
  it('transcodes an archived session into a playable ladder, faster than real time', async () => {
    const { channel, streamKey } = await h.pipeline.keyStore.createChannel('e2e-vod');
    const done = h.stopped(channel.id);
    await publishTags({ url: h.rtmpUrl(streamKey), tags: await readFlvTags(fixturePath('hevc_aac.flv')), realtime: false });
    await done;
    let keys: string[] = [];
    for (let i = 0; i < 100 && keys.length === 0; i++) {
      keys = await listArchives(h.pipeline.infra.s3, h.config.s3.bucket, channel.id);
      if (keys.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(keys).toHaveLength(1);
    const archiveKey = keys[0] as string;

    const env = cliEnv({
      HEADWATER_DATA_DIR: path.join(workDir, 'data'),
      HEADWATER_REDIS_URL: h.redis.url,
      HEADWATER_S3_ENDPOINT: h.config.s3.endpoint ?? '',
      HEADWATER_S3_BUCKET: h.config.s3.bucket,
      HEADWATER_S3_ACCESS_KEY_ID: h.config.s3.accessKeyId ?? '',
      HEADWATER_S3_SECRET_ACCESS_KEY: h.config.s3.secretAccessKey ?? '',
      HEADWATER_TRANSCODE_WORKER_CONCURRENCY: '2',
      HEADWATER_LOG_LEVEL: 'warn',
    });
    const listed = await run(process.execPath, [cliMain, 'vod', '--list', channel.id], { env });
    expect(listed.stdout).toContain(archiveKey);

    const { stdout } = await run(process.execPath, [cliMain, 'vod', archiveKey, '--wait'], { env, timeout: 120_000 });
    const sessionId = /^session (\S+): (\d+) segments/m.exec(stdout)?.[1] ?? '';
    expect(stdout).toContain('no worker is connected: transcoding in this process');
    const speed = Number(/\(([\d.]+)× real time\)/.exec(stdout)?.[1]);
    expect(speed).toBeGreaterThan(1);

    const state = await getPackaging(h.pipeline.infra.redis, sessionId);
    expect(state?.endSegmentCount).toBe(state?.publishedCount);
    expect(state?.segments.every((s) => s?.outputs.every((o) => o?.status === 'done'))).toBe(true);
    const prefix = `streams/${channel.id}/${sessionId}/`;
    const dir = path.join(workDir, 'out');
    await downloadPrefix(h.pipeline.infra.s3, h.config.s3.bucket, prefix, dir);
    expect(await readFile(path.join(dir, 'manifest.mpd'), 'utf8')).toContain('type="static"');
    const { stderr } = await run('ffmpeg', ['-v', 'error', '-xerror', '-i', path.join(dir, 'master.m3u8'), '-map', '0', '-f', 'null', '-'], { maxBuffer: 1 << 24 });
    expect(stderr).toBe('');
    for (const r of state?.renditions ?? []) {
      const out = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path.join(dir, r.id, 'index.m3u8')]);
      expect(Math.abs(Number(out.stdout.trim().split('\n')[0]) - 10.07)).toBeLessThan(2);
    }
  });
});
