/**
 * Fault tests of the transcode ladder (issue 3) with real processes: redis-server, s3rver, ffmpeg
 * and segment workers running the BUILT @headwater/worker in their own Node processes
 * (segment-worker-child.mjs). A fixture is published at real-time pace through an in-process
 * pipeline while a worker is SIGKILLed, or Redis restarted, mid-stream.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { publishTags, readFlvTags } from '@headwater/cli';
import { getPackaging, outputPrefix } from '@headwater/jobs';
import type { PackagingState } from '@headwater/packager';
import { fixturePath } from '@headwater/testkit';
import { downloadPrefix, getObject, listArchives, logEntries, playlistSegments, range, readTags, startHarnessWith, tagMismatch, waitFor, type Harness } from './harness.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const childScript = fileURLToPath(new URL('./segment-worker-child.mjs', import.meta.url));

let h: Harness;
let channelId: string;
let streamKey: string;
let workDir: string;

interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  logs(): Record<string, unknown>[];
  readonly exited: Promise<unknown>;
  /** SIGKILL to its process group: the worker and its ffmpeg die at once, like a lost machine. */
  kill(): Promise<void>;
}
const workers: WorkerProcess[] = [];

/** Starts a worker process against the harness's Redis and S3 and waits until it consumes. */
async function spawnWorker(): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [childScript], {
    cwd: repoRoot,
    // Its own process group, so kill() reaches its ffmpeg too.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      WORKER_REDIS_URL: h.redis.url,
      WORKER_S3_ENDPOINT: h.s3server.endpoint,
      WORKER_S3_ACCESS_KEY_ID: h.s3server.accessKeyId,
      WORKER_S3_SECRET_ACCESS_KEY: h.s3server.secretAccessKey,
      WORKER_S3_BUCKET: h.config.s3.bucket,
      WORKER_WORK_DIR: path.join(workDir, `worker-${workers.length}`),
    },
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  let done = false;
  const exited = once(child, 'close').then(() => (done = true));
  const w: WorkerProcess = {
    child,
    pid: child.pid!,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{') && l.endsWith('}'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    exited,
    async kill() {
      if (done) return;
      process.kill(-w.pid, 'SIGKILL');
      await exited;
    },
  };
  workers.push(w);
  await waitFor('worker ready', () => {
    if (done) throw new Error(`worker exited: ${err.slice(-2000)}`);
    return w.logs().some((e) => e.msg === 'worker ready');
  }, { timeoutMs: 20_000 });
  return w;
}

function jobIds(w: WorkerProcess, msg: 'job active' | 'job completed' | 'job failed'): string[] {
  return w.logs().filter((e) => e.msg === msg).map((e) => String(e.jobId));
}

const indexOf = (jobId: string): number => Number(/-(\d+)$/.exec(jobId)?.[1] ?? -1);

/** Polls the packaging state until every segment of the ended session is done or failed. */
function settled(sessionId: string, timeoutMs: number): Promise<PackagingState> {
  return waitFor(
    'every segment settled',
    async () => {
      const s = await getPackaging(h.pipeline.infra.redis, sessionId);
      return s !== null && s.endSegmentCount !== null && s.publishedCount === s.endSegmentCount && s;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** Copies the session's outputs from S3 to a local directory (for ffmpeg) and returns it. */
async function download(sessionId: string): Promise<string> {
  const prefix = outputPrefix(channelId, sessionId);
  const dir = path.join(workDir, `out-${sessionId}`);
  await downloadPrefix(h.pipeline.infra.s3, h.config.s3.bucket, prefix, dir);
  return dir;
}


beforeAll(async () => {
  // The workers run the built dist, as deployed: build it (incremental, quick when up to date).
  await run('npx', ['tsc', '-b', 'services/worker', 'libs/archive'], { cwd: repoRoot, timeout: 110_000 });
  h = await startHarnessWith({ env: { HEADWATER_TRANSCODE_ENABLED: 'true' } });
  const created = await h.pipeline.keyStore.createChannel('e2e-ladder-faults');
  channelId = created.channel.id;
  streamKey = created.streamKey;
  workDir = await mkdtemp(path.join(tmpdir(), 'headwater-ladder-faults-'));
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.kill()));
});

afterAll(async () => {
  await Promise.all(workers.splice(0).map((w) => w.kill()));
  await h?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  expect(h.logs.join('')).not.toContain(streamKey);
});

describe('ladder faults', () => {
  it('a worker SIGKILLed mid-job loses no segment: another worker redoes it, playlists stay contiguous', async () => {
    const pool = [await spawnWorker(), await spawnWorker()];
    const tags = await readFlvTags(fixturePath('h264_aac.flv'));
    const done = h.stopped(channelId);
    const publishing = publishTags({ url: h.rtmpUrl(streamKey), tags, realtime: true });

    // Mid-stream: the first job past segment 0 that a worker has taken and not finished.
    const { victim, jobId } = await waitFor(
      'a worker busy with a segment job',
      () => {
        for (const w of pool) {
          const finished = new Set([...jobIds(w, 'job completed'), ...jobIds(w, 'job failed')]);
          const busy = jobIds(w, 'job active').find((id) => indexOf(id) >= 1 && !finished.has(id));
          if (busy !== undefined) return { victim: w, jobId: busy };
        }
        return undefined;
      },
      { timeoutMs: 20_000, intervalMs: 10 },
    );
    await victim.kill();
    expect(jobIds(victim, 'job completed')).not.toContain(jobId);
    const survivor = pool.find((w) => w !== victim)!;

    expect((await publishing).tags).toBe(tags.length);
    const { snapshot } = await done;
    const { sessionId } = snapshot.info;
    // The killed job's lock expires (10 s) and the survivor's stalled check (every 5 s) retries it.
    const state = await settled(sessionId, 40_000);
    expect(jobIds(survivor, 'job completed')).toContain(jobId);

    const count = state.endSegmentCount!;
    expect(count).toBeGreaterThanOrEqual(5);
    expect(state.segments.every((s) => s !== null && s.outputs.every((o) => o?.status === 'done'))).toBe(true);

    const dir = await download(sessionId);
    for (const r of state.renditions) {
      const media = await readFile(path.join(dir, r.id, 'index.m3u8'), 'utf8');
      expect(media).toContain('#EXT-X-ENDLIST');
      expect(playlistSegments(media)).toEqual({ indices: range(count), gaps: [] });
    }
    const { stderr } = await run('ffmpeg', ['-v', 'error', '-xerror', '-i', path.join(dir, 'master.m3u8'), '-map', '0', '-f', 'null', '-'], { maxBuffer: 1 << 24 });
    expect(stderr).toBe('');
  });

  it('Redis restarted mid-stream: the archive equals the published tags and transcoding resumes', async () => {
    await spawnWorker();
    const tags = await readFlvTags(fixturePath('h264_aac.flv'));
    const runId = async (): Promise<string | undefined> => /run_id:(\w+)/.exec(await h.pipeline.infra.redis.info('server'))?.[1];
    const runIdBefore = await runId();
    const before = await listArchives(h.pipeline.infra.s3, h.config.s3.bucket, channelId);
    const done = h.stopped(channelId);
    // The restart starts as the publisher sends the last tag before the 4 s key frame, so the
    // outage (~100-150 ms here) overlaps the cut and enqueue of source segment 1 while a worker
    // is busy with segment 0 or 1.
    const keyFrame = tags.findIndex((t) => t.type === 9 && t.timestampMs >= 4000 && t.body[0]! >> 4 === 1);
    let sent = 0;
    let restarted: Promise<boolean> | undefined;
    const publishing = publishTags({
      url: h.rtmpUrl(streamKey),
      tags,
      realtime: true,
      onProgress: () => {
        if (++sent === keyFrame) restarted = h.redis.restart().then(() => true);
      },
    });
    await waitFor('redis restarted', () => restarted, { timeoutMs: 20_000 });
    // A new redis-server process: the outage really happened, mid-stream.
    expect(await runId()).not.toBe(runIdBefore);

    expect((await publishing).tags).toBe(tags.length);
    const { snapshot } = await done;
    const { sessionId } = snapshot.info;

    // The archive: one new object, tag for tag what was sent.
    const keys = await waitFor('the new archive', async () => {
      const now = await listArchives(h.pipeline.infra.s3, h.config.s3.bucket, channelId);
      return now.length > before.length && now;
    });
    const newKey = keys.find((k) => !before.includes(k))!;
    expect(tagMismatch(readTags(await getObject(h.pipeline.infra.s3, h.config.s3.bucket, newKey)), tags)).toBeUndefined();

    // The transcode output: every segment settled, gaps exactly where the enqueue failed
    // (none so far: ioredis's offline queue rides out an outage this short).
    const state = await settled(sessionId, 40_000);
    const count = state.endSegmentCount!;
    expect(count).toBeGreaterThanOrEqual(5);
    const notEnqueued = logEntries(h.logs, 'source segment not enqueued')
      .filter((e) => e.sessionId === sessionId)
      .map((e) => Number(e.index));
    const failed = range(count).filter((i) => state.segments[i]?.outputs.some((o) => o?.status === 'failed'));
    expect(failed).toEqual(notEnqueued);
    expect(state.segments.every((s, i) => s !== null && (failed.includes(i) || s.outputs.every((o) => o?.status === 'done')))).toBe(true);
    const dir = await download(sessionId);
    for (const r of state.renditions) {
      const media = await readFile(path.join(dir, r.id, 'index.m3u8'), 'utf8');
      expect(media).toContain('#EXT-X-ENDLIST');
      expect(playlistSegments(media)).toEqual({ indices: range(count), gaps: failed });
    }
    // A gap has no media to decode; without one the whole ladder must decode cleanly.
    if (failed.length === 0) {
      const { stderr } = await run('ffmpeg', ['-v', 'error', '-xerror', '-i', path.join(dir, 'master.m3u8'), '-map', '0', '-f', 'null', '-'], { maxBuffer: 1 << 24 });
      expect(stderr).toBe('');
    }
  });
});
