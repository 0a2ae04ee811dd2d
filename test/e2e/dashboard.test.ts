/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core (no browser
 * download) against the API server, a whole pipeline with transcoding and an in-process worker.
 * A channel is created in the page (its key shown once, then gone from the DOM), an ffmpeg test
 * source is published in real time with that key, and the page lists it, plays it with hls.js
 * and then dash.js and switches renditions from its quality menu; then the recording is listed,
 * downloaded and played as VOD, and a key rotated from the keyboard.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, createPlaybackHandler, type ApiServer } from '@headwater/api';
import { publishTags, readFlvTags } from '@headwater/cli';
import type { PublishSnapshot } from '@headwater/ingest';
import { LiveSessionStore, type LiveSession, type LiveTrack } from '@headwater/live';
import { createLogger } from '@headwater/log';
import { startWorker, type SegmentWorker } from '@headwater/worker';
import { listArchives, startHarness, waitFor, type Harness } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
/** The published source outlasts the live test, which ends the publish when it is done. */
const SOURCE_S = 40;

const run = promisify(execFile);

let h: Harness;
let workerRedis: Redis;
let worker: SegmentWorker;
let workDir: string;
/** H.264/AAC 640x360 30 fps, key frame every 2 s: three renditions (source, 360p, 160p). */
let sourceFlv: string;
let api: ApiServer;
let baseUrl: string;
let browser: Browser;
let page: Page;
let liveSessions: LiveSessionStore;
const adminToken = randomBytes(24).toString('base64url');
const pageErrors: string[] = [];
/** Every stream key the page showed; none may stay in the page nor reach a log. */
const shownKeys: string[] = [];

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'headwater-dashboard-e2e-'));
  sourceFlv = path.join(workDir, 'source.flv');
  // A source longer than the fixtures (10 s), rather than a looped fixture: a loop's restart
  // steps the audio clock back a few ms, which the archive's VOD transcode refuses.
  const encoding = run('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(SOURCE_S)],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-c:a', 'aac', '-b:a', '96k', '-ac', '2', '-f', 'flv', sourceFlv],
  ]);
  h = await startHarness({ HEADWATER_TRANSCODE_ENABLED: 'true' });
  await encoding;
  workerRedis = new Redis(h.redis.url, { maxRetriesPerRequest: null });
  worker = startWorker({ connection: workerRedis, concurrency: 2, s3: h.pipeline.infra.s3, bucket: h.config.s3.bucket, workDir, handleSignals: false });
  liveSessions = new LiveSessionStore(h.pipeline.infra.redis);
  // The API logs where the pipeline does: the log checks below cover it too.
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        h.logs.push(chunk.toString());
        cb();
      },
    }),
  });
  api = createApiServer({
    config: h.config,
    redis: h.pipeline.infra.redis,
    s3: h.pipeline.infra.s3,
    bucket: h.config.s3.bucket,
    keyStore: h.pipeline.keyStore,
    liveSessions,
    segmentQueue: h.pipeline.segmentQueue!,
    playback: createPlaybackHandler({ s3: h.pipeline.infra.s3, bucket: h.config.s3.bucket, logger }),
    logger,
    adminToken,
  });
  baseUrl = `http://127.0.0.1:${await api.listen('127.0.0.1', 0)}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--mute-audio'] });
  page = await browser.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await worker?.close();
  workerRedis?.disconnect();
  await h?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  const logs = h.logs.join('');
  for (const key of shownKeys) expect(logs).not.toContain(key);
  expect(logs).not.toContain(adminToken);
});

/**
 * The LiveSession the ingest's reporter would write for a publish, from its snapshot. Until the
 * reporter runs inside startPipeline, the test writes it (only when nothing else did).
 */
function liveSessionOf(s: PublishSnapshot, nodeId: string): LiveSession {
  const tracks: LiveTrack[] = [
    ...s.tracks.video.map((t) => ({ kind: 'video' as const, trackId: t.trackId, codec: t.codec, codecString: t.description?.codecString, width: t.description?.width, height: t.description?.height, frameRate: t.description?.frameRate })),
    ...s.tracks.audio.map((t) => ({ kind: 'audio' as const, trackId: t.trackId, codec: t.codec, codecString: t.description?.codecString, sampleRate: t.description?.sampleRate, channels: t.description?.channels })),
  ];
  const elapsedS = Math.max(1, (Date.now() - s.info.startedAt.getTime()) / 1000);
  const now = new Date().toISOString();
  return {
    sessionId: s.info.sessionId,
    channelId: s.info.channelId,
    nodeId,
    app: s.info.app,
    startedAt: s.info.startedAt.toISOString(),
    secure: s.secure,
    tracks,
    bitrateBps: Math.round((s.bytesIn * 8) / elapsedS),
    fps: null,
    bytesIn: s.bytesIn,
    updatedAt: now,
  };
}

/** `video.currentTime`, read in the page. */
function currentTime(): Promise<number> {
  return page.$eval('[data-testid=video]', (v) => (v as unknown as { currentTime: number }).currentTime);
}

/** The page's markup, form values and storage, where a stream key must not linger. */
function everythingInPage(): Promise<string> {
  // A string: the test's TypeScript has no DOM library.
  return page.evaluate<string>(
    `[document.documentElement.outerHTML, ...[...document.querySelectorAll('input, textarea')].map((el) => el.value),
      JSON.stringify({ ...sessionStorage }), JSON.stringify({ ...localStorage })].join('\\n')`,
  );
}

/** Waits until the player's position has moved on by at least `seconds` of media. */
async function expectPlaybackAdvances(seconds: number): Promise<void> {
  const start = await waitFor('playback to start', async () => {
    const t = await currentTime();
    return t > 0 && t;
  }, { timeoutMs: 30_000, intervalMs: 100 });
  await waitFor(`playback to advance ${seconds} s past ${start.toFixed(2)} s`, async () => (await currentTime()) >= start + seconds, { timeoutMs: 20_000, intervalMs: 100 });
}

/** Picks a rendition other than the one on screen from the quality menu; resolves when the page shows it. */
async function switchRendition(): Promise<void> {
  const quality = page.getByTestId('quality');
  const current = page.getByTestId('current-rendition');
  // The first rendition on screen, and a menu with Auto + at least two renditions.
  const shown = await waitFor('a current rendition', () => current.getAttribute('data-rendition-id').then((id) => id ?? false), { timeoutMs: 20_000, intervalMs: 100 });
  await waitFor('two renditions in the quality menu', async () => (await quality.locator('option[data-rendition-id]').count()) >= 2, { timeoutMs: 10_000 });
  const options = await quality.locator('option[data-rendition-id]').evaluateAll((els) =>
    els.map((o) => ({ value: o.getAttribute('value') ?? '', id: o.getAttribute('data-rendition-id') ?? '', label: o.textContent ?? '' })),
  );
  const target = options.find((o) => o.id !== shown);
  expect(target).toBeDefined();
  await quality.selectOption(target!.value);
  await expect.poll(() => current.getAttribute('data-rendition-id'), { timeout: 30_000, interval: 100 }).toBe(target!.id);
  expect(await current.textContent()).toBe(target!.label);
}

describe('the dashboard', () => {
  let channelId: string;
  let streamKey: string;

  it('signs in with the admin token and creates a channel whose key it shows once', async () => {
    await page.goto(baseUrl);
    await page.getByTestId('token-input').fill(adminToken);
    await page.getByTestId('token-submit').click();
    await expect.poll(() => page.getByTestId('sign-in').isHidden()).toBe(true);

    await page.getByLabel('New channel name').fill('e2e-dashboard');
    await page.getByTestId('channel-create').click();
    const dialog = page.getByTestId('key-dialog');
    await dialog.waitFor({ state: 'visible' });
    streamKey = await page.getByTestId('key-value').inputValue();
    expect(streamKey.length).toBeGreaterThan(10);
    shownKeys.push(streamKey);
    await page.getByTestId('key-done').click();
    await dialog.waitFor({ state: 'hidden' });

    const row = page.locator('[data-testid=channel-row]', { hasText: 'e2e-dashboard' });
    await row.waitFor();
    channelId = (await row.getAttribute('data-channel-id')) ?? '';
    expect((await h.pipeline.keyStore.listChannels()).map((c) => c.id)).toContain(channelId);
    // Dismissed, the key is nowhere in the page any more.
    expect(await everythingInPage()).not.toContain(streamKey);
  });

  it('lists the live channel with its codec, plays it with hls.js and dash.js and switches renditions', async () => {
    const tags = await readFlvTags(sourceFlv);
    const abort = new AbortController();
    const stopped = h.stopped(channelId);
    const publishing = publishTags({ url: h.rtmpUrl(streamKey), tags, realtime: true, signal: abort.signal }).catch((err: Error) => err);
    // Stands in for the ingest's live-session reporter (refreshes like it, every second here).
    const report = setInterval(() => {
      for (const s of h.pipeline.ingest.publishes()) {
        void liveSessions.get(s.info.sessionId).then((known) => (known === null || known.nodeId === 'e2e' ? liveSessions.put(liveSessionOf(s, 'e2e')) : undefined)).catch(() => undefined);
      }
    }, 1000);
    try {
      const row = page.locator(`[data-testid=session-row][data-channel-id="${channelId}"]`);
      await row.waitFor({ timeout: 20_000 });
      await expect.poll(() => row.getByTestId('session-video').textContent(), { timeout: 10_000 }).toContain('H.264');
      expect(await row.getByTestId('session-audio').textContent()).toContain('AAC');
      await expect.poll(() => row.getByTestId('session-resolution').textContent(), { timeout: 10_000 }).toBe('640×360');

      // Playable once the first segments are packaged.
      const play = row.getByTestId('session-play');
      await expect.poll(() => play.isEnabled(), { timeout: 30_000, interval: 200 }).toBe(true);
      await play.click();
      expect(await page.getByTestId('engine-hls').isChecked()).toBe(true);
      await expectPlaybackAdvances(2);
      await switchRendition();

      await page.getByTestId('engine-dash').check();
      await expect.poll(() => page.getByTestId('player').getAttribute('data-engine')).toBe('dash');
      await expectPlaybackAdvances(2);
      await switchRendition();
    } finally {
      clearInterval(report);
      abort.abort();
      await publishing;
    }
    const { snapshot } = await stopped;
    // What the reporter does when a publish ends.
    if ((await liveSessions.get(snapshot.info.sessionId))?.nodeId === 'e2e') await liveSessions.remove(snapshot.info.sessionId);
    await expect.poll(() => page.locator('[data-testid=session-row]').count(), { timeout: 10_000 }).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('lists the recording with a working download link and plays it as VOD once transcoded', async () => {
    await waitFor('the archive', async () => (await listArchives(h.pipeline.infra.s3, h.config.s3.bucket, channelId)).length === 1, { timeoutMs: 20_000, intervalMs: 200 });
    await page.getByTestId('engine-hls').check();
    const channelRow = page.locator(`[data-testid=channel-row][data-channel-id="${channelId}"]`);
    await channelRow.getByTestId('channel-recordings').click();
    const recording = page.locator('[data-testid=recording-row]');
    await expect.poll(() => recording.count(), { timeout: 10_000 }).toBe(1);
    expect(await recording.getAttribute('data-key')).toMatch(new RegExp(`^archives/${channelId}/`));
    expect(await recording.getByTestId('recording-duration').textContent()).toMatch(/^0:\d\d$/);
    expect(await recording.getByTestId('recording-size').textContent()).toMatch(/MiB|KiB/);
    const href = await recording.getByRole('link').getAttribute('href');
    const download = await fetch(href ?? '');
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).subarray(0, 3).toString('latin1')).toBe('FLV');

    await recording.getByTestId('recording-vod').click();
    await recording.getByTestId('vod-play').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId('player-name').textContent()).toContain('VOD');
    await expectPlaybackAdvances(2);
    expect(pageErrors).toEqual([]);
  });

  it('rotates a key from the keyboard, shows the new key once and forgets it on Escape', async () => {
    const rotate = page.locator(`[data-testid=channel-row][data-channel-id="${channelId}"]`).getByTestId('channel-rotate');
    await rotate.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('confirm-dialog').waitFor({ state: 'visible' });
    await page.getByTestId('confirm-ok').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('key-dialog').waitFor({ state: 'visible' });
    const rotated = await page.getByTestId('key-value').inputValue();
    shownKeys.push(rotated);
    expect(rotated).not.toBe(streamKey);
    expect((await h.pipeline.keyStore.verify(rotated)).ok).toBe(true);
    await page.keyboard.press('Escape');
    await page.getByTestId('key-dialog').waitFor({ state: 'hidden' });
    const everything = await everythingInPage();
    for (const key of shownKeys) expect(everything).not.toContain(key);
  });
});
