#!/usr/bin/env node
// Ladder benchmark (issue #3): a synthetic 720p30 H.264+AAC FLV through the transcoding
// pipeline (ingest + transcoder feed + segment workers, each its own process, Redis and S3 run by
// the bench), with a 3-rung ladder (720p/480p/360p H.264 + the source AAC copied), measuring
//   (a) live latency: publish start (first tag written, real-time pace) → the first segment
//       listed in each rendition's media playlist in S3; goal ≤ segment duration + 2 s;
//   (b) the pipeline's total CPU (ingest, workers, every ffmpeg they ran) for the whole file vs
//       ONE plain ffmpeg command making the same ladder from the same file, same run; goal ≤ 1.10×;
//   (c) VOD throughput, ffmpeg threads 1, worker concurrency 1: every segment job of the file
//       queued first, then processed by two workers vs one (wall time); goal ≥ 1.8×.
// Benchmarks report, they don't fail: the exit code is 1 only if the run broke (a publisher or
// job failed, a segment is missing), else 0 whether goals are met or not.
//
//   node bench/ladder.mjs [--duration 60] [--live-workers 2] [--parts live,peer,vod] [--repeat 1]
//   node bench/ladder.mjs --quick         (or BENCH_QUICK=1) 8 s source: a ~1 min smoke run
//
// Needs the build (`npx tsc -b`), ffmpeg with libx264 and redis-server.
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { createS3Client, startEmbeddedS3 } from '@headwater/archive';
import { KeyStore } from '@headwater/auth';
import { readFlvTags } from '@headwater/cli';
import { freePort, startEmbeddedRedis } from '@headwater/config';
import { getPackaging, outputPrefix, segmentJobId } from '@headwater/jobs';
import { planRenditionIds } from '@headwater/ladder';
import { installCleanupHooks, runBench, removeDir, spawnGroup, stopGroup, trackDir, waitForPort } from './lib/children.mjs';
import { CLK_TCK } from './lib/proc-stats.mjs';
import { childPidsNamed, processTable, treeCpu } from './lib/proc-tree.mjs';
import { JsonLines, countSegments, peerLadderArgs, planFile, runFfmpegMeasured, runQuiet, sourceFlvArgs } from './lib/ladder-run.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const INGEST_SCRIPT = path.join(ROOT, 'bench/lib/ladder-ingest.mjs');
const WORKER_SCRIPT = path.join(ROOT, 'bench/lib/ladder-worker.mjs');
const PUBLISHER_SCRIPT = path.join(ROOT, 'bench/lib/ladder-publisher.mjs');
const BUCKET = 'headwater';

/** The ladder under test: three transcoded rungs, the source's AAC copied (see bench/README.md). */
const LADDER = {
  rungs: [
    { height: 720, bitrateBps: 3_000_000 },
    { height: 480, bitrateBps: 1_200_000 },
    { height: 360, bitrateBps: 800_000 },
  ],
  passthrough: false,
  segmentDurationMs: 2000,
};

/** Goals from issue #3. */
const GOAL_LATENCY_SLACK_MS = 2000;
const GOAL_CPU_RATIO = 1.1;
const GOAL_VOD_SPEEDUP = 1.8;

/** S3 playlist polling period: the resolution of the latency figures. */
const POLL_MS = 100;
/** Packaging state polling period for the VOD runs. */
const STATE_POLL_MS = 50;
const READY_TIMEOUT_MS = 30_000;
/** How long the pipeline may take beyond the media duration (live) or in all (VOD) before the run is declared broken. */
const SLACK_MS = 300_000;

const HELP = `Usage: node bench/ladder.mjs [options]

  --duration <s>       source length in seconds (default 60; --quick: 8)
  --live-workers <n>   worker processes for the live run (default 2), concurrency 1, ffmpeg threads default
  --parts <list>       comma-separated from live,peer,vod (default: all)
  --repeat <n>         VOD runs per worker count, alternating 1 and 2 workers (default 1)
  --quick              a short smoke run (also BENCH_QUICK=1)`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      'live-workers': { type: 'string', default: '2' },
      parts: { type: 'string', default: 'live,peer,vod' },
      repeat: { type: 'string', default: '1' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const quick = values.quick || (process.env.BENCH_QUICK !== undefined && process.env.BENCH_QUICK !== '0' && process.env.BENCH_QUICK !== '');
  const duration = Number(values.duration ?? (quick ? 8 : 60));
  const liveWorkers = Number(values['live-workers']);
  const repeat = Number(values.repeat);
  const parts = values.parts.split(',').map((s) => s.trim()).filter(Boolean);
  const problems = [];
  if (!Number.isInteger(duration) || duration < 4 || duration > 3600) problems.push('--duration must be an integer 4-3600');
  if (!Number.isInteger(liveWorkers) || liveWorkers < 1 || liveWorkers > 16) problems.push('--live-workers must be an integer 1-16');
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 10) problems.push('--repeat must be an integer 1-10');
  for (const p of parts) if (!['live', 'peer', 'vod'].includes(p)) problems.push(`unknown part "${p}" (known: live, peer, vod)`);
  if (parts.length === 0) problems.push('--parts is empty');
  for (const f of ['services/cli/dist/index.js', 'services/worker/dist/index.js', 'services/ingest/dist/index.js']) {
    if (!existsSync(path.join(ROOT, f))) problems.push(`${f} missing: build first (npx tsc -b)`);
  }
  if (problems.length > 0) {
    console.error(`bench: ${problems.join('\nbench: ')}\n\n${HELP}`);
    process.exit(2);
  }
  return { quick, duration, liveWorkers, repeat, parts: new Set(parts) };
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const seconds = (ticks) => ticks / CLK_TCK;

/** The embedded Redis' pid (a redis-server child of this process), for its CPU figure. */
function redisPids() {
  return childPidsNamed(process.pid, 'redis-server');
}

/** CPU in seconds of each named group of process trees, from one /proc read. */
function cpuOf(groups) {
  const table = processTable();
  const out = {};
  for (const [k, roots] of Object.entries(groups)) {
    const t = treeCpu(roots, table);
    out[k] = seconds(t.ticks);
    // The worker processes' own share (Node: BullMQ, S3 transfers, playlists), the rest is ffmpeg.
    if (k === 'workers') out.workersNode = seconds(t.rootTicks);
  }
  return out;
}

function diff(after, before) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));
}

async function startIngest(ctx) {
  const port = await freePort('127.0.0.1');
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HEADWATER_'))),
    HEADWATER_DATA_DIR: path.join(ctx.tmp, 'ingest'),
    HEADWATER_HOST: '127.0.0.1',
    HEADWATER_RTMP_PORT: String(port),
    HEADWATER_RTMPS_PORT: 'off',
    HEADWATER_LOG_LEVEL: 'warn',
    HEADWATER_REDIS_URL: ctx.redis.url,
    HEADWATER_S3_ENDPOINT: ctx.s3.endpoint,
    HEADWATER_S3_BUCKET: BUCKET,
    HEADWATER_S3_REGION: ctx.s3.region,
    HEADWATER_S3_ACCESS_KEY_ID: ctx.s3.accessKeyId,
    HEADWATER_S3_SECRET_ACCESS_KEY: ctx.s3.secretAccessKey,
    // The archive is not part of the ladder (the plain ffmpeg peer writes none either).
    HEADWATER_ARCHIVE_ENABLED: 'false',
    HEADWATER_TRANSCODE_ENABLED: 'false',
    // The VOD runs publish as fast as the server reads: let the feed queue every segment of the
    // file instead of detaching at 16 behind (a live publish never gets near either bound).
    BENCH_LADDER_INGEST: JSON.stringify({ ladder: LADDER, maxPendingSegments: ctx.segments.length + 16 }),
  };
  // The same V8 flag as `headwater start` (services/cli/bin/headwater.js).
  const state = spawnGroup(process.execPath, ['--max-semi-space-size=1', INGEST_SCRIPT], { env, cwd: ROOT });
  const lines = new JsonLines(state);
  await lines.wait((l) => l.bench === 'ready', READY_TIMEOUT_MS, 'ingest ready');
  await waitForPort(port, state);
  return { state, lines, port };
}

/** Starts `n` worker processes (ready, not yet taking jobs). */
async function startWorkers(ctx, n, { threads, name }) {
  const workers = [];
  for (let i = 0; i < n; i++) {
    const env = {
      ...process.env,
      BENCH_LADDER_WORKER: JSON.stringify({
        redisUrl: ctx.redis.url,
        s3: { endpoint: ctx.s3.endpoint, region: ctx.s3.region, accessKeyId: ctx.s3.accessKeyId, secretAccessKey: ctx.s3.secretAccessKey },
        bucket: BUCKET,
        workDir: path.join(ctx.tmp, `${name}-worker-${i}`),
        concurrency: 1,
        threads: threads ?? null,
      }),
    };
    const state = spawnGroup(process.execPath, [WORKER_SCRIPT], { env, cwd: ROOT, stdin: 'pipe' });
    state.child.stdin.on('error', () => {});
    workers.push({ state, lines: new JsonLines(state) });
  }
  await Promise.all(workers.map((w) => w.lines.wait((l) => l.bench === 'ready', READY_TIMEOUT_MS, 'worker ready')));
  return workers;
}

async function goWorkers(workers) {
  for (const w of workers) w.state.child.stdin.write('go\n');
  await Promise.all(workers.map((w) => w.lines.wait((l) => l.bench === 'started', READY_TIMEOUT_MS, 'worker started')));
}

/** Per segment index of the session: when its (last) job attempt started and completed, epoch ms. */
function jobTimes(workers, sessionId, segmentCount) {
  const indexOf = new Map(Array.from({ length: segmentCount }, (_, i) => [segmentJobId(sessionId, i), i]));
  const times = new Map();
  for (const w of workers) {
    for (const { value: l } of w.lines.lines) {
      const index = indexOf.get(l.jobId);
      if ((l.bench !== 'active' && l.bench !== 'completed') || index === undefined) continue;
      times.set(index, { ...times.get(index), [l.bench]: l.at });
    }
  }
  return times;
}

function failedJobs(workers) {
  return workers.flatMap((w) => w.lines.lines.filter((l) => l.value.bench === 'failed').map((l) => l.value.err));
}

async function startPublisher(ctx, url, realtime) {
  const state = spawnGroup(process.execPath, [PUBLISHER_SCRIPT], { cwd: ROOT, stdin: 'pipe' });
  state.child.stdin.on('error', () => {});
  const lines = new JsonLines(state);
  state.child.stdin.write(`${JSON.stringify({ fixture: ctx.source, url, realtime })}\n`);
  const ready = await lines.wait((l) => l.ready === true, READY_TIMEOUT_MS, 'publisher ready');
  return { state, lines, ready };
}

/** A fresh channel and its publish URL (one channel per run: sessions never mix). */
async function newChannel(ctx, name) {
  const { channel, streamKey } = await new KeyStore(ctx.redisClient).createChannel(name);
  return { channelId: channel.id, url: `rtmp://127.0.0.1:${ctx.ingest.port}/live/${streamKey}` };
}

/**
 * A playlist's text, or undefined if it is not there yet. A read racing the worker's overwrite
 * of the same key can fail ("aborted": the embedded S3 server replaces the file under the
 * response): that poll just misses it and the next one reads it.
 */
async function getText(ctx, key) {
  try {
    const res = await ctx.s3Client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return await res.Body.transformToString();
  } catch (err) {
    if (err?.name !== 'NoSuchKey' && err?.$metadata?.httpStatusCode !== 404) ctx.pollErrors = (ctx.pollErrors ?? 0) + 1;
    return undefined;
  }
}

/**
 * Reads every rendition's media playlist once; records when each segment index first appears
 * (and whether as a gap). Returns true when every playlist is final (#EXT-X-ENDLIST).
 */
async function pollPlaylists(ctx, prefix, ids, seen) {
  const texts = await Promise.all(ids.map((id) => getText(ctx, `${prefix}${id}/index.m3u8`)));
  const now = Date.now();
  let final = true;
  texts.forEach((text, i) => {
    const id = ids[i];
    if (text === undefined || !text.includes('#EXT-X-ENDLIST')) final = false;
    if (text === undefined) return;
    let gap = false;
    for (const line of text.split('\n')) {
      if (line === '#EXT-X-GAP') gap = true;
      const m = /^seg-(\d+)\.m4s$/.exec(line);
      if (!m) continue;
      const index = Number(m[1]);
      if (!seen[id].has(index)) seen[id].set(index, { at: now, gap });
      gap = false;
    }
  });
  return final;
}

/** Whether the packaging state says every segment is in (done or failed) and the session ended. */
async function packagingComplete(ctx, sessionId) {
  const s = await getPackaging(ctx.redisClient, sessionId);
  return s !== null && s.endSegmentCount !== null && s.publishedCount === s.endSegmentCount ? s : null;
}

/** (a) + (b): a real-time publish through the live pipeline. */
async function runLive(ctx, opts) {
  const { channelId, url } = await newChannel(ctx, 'bench-live');
  const workers = await startWorkers(ctx, opts.liveWorkers, { threads: undefined, name: 'live' });
  let publisher;
  try {
    await goWorkers(workers);
    publisher = await startPublisher(ctx, url, true);
    const groups = { ingest: [ctx.ingest.state.child.pid], workers: workers.map((w) => w.state.child.pid), redis: redisPids() };
    await sleep(500);
    const before = cpuOf(groups);
    const loadBefore = load();
    const t0 = performance.now();
    publisher.state.child.stdin.write('go\n');
    const { firstTagAt } = await publisher.lines.wait((l) => typeof l.firstTagAt === 'number', READY_TIMEOUT_MS, 'publisher first tag');
    const { sessionId } = await ctx.ingest.lines.wait((l) => l.bench === 'session' && l.channelId === channelId, READY_TIMEOUT_MS, 'live session');
    const prefix = outputPrefix(channelId, sessionId);
    const ids = planRenditionIds(ctx.plan);
    const seen = Object.fromEntries(ids.map((id) => [id, new Map()]));
    const deadline = Date.now() + ctx.mediaMs + SLACK_MS;
    let publishResult;
    void publisher.lines.wait((l) => l.result, ctx.mediaMs + SLACK_MS, 'publisher result').then(
      (l) => (publishResult = l.result),
      (err) => (publishResult = { ok: false, error: err.message }),
    );
    for (;;) {
      const final = await pollPlaylists(ctx, prefix, ids, seen);
      if (final && (await packagingComplete(ctx, sessionId))) break;
      if (publishResult && !publishResult.ok) throw new Error(`publisher failed: ${publishResult.error}`);
      if (Date.now() > deadline) throw new Error('live: the session did not complete in time');
      await sleep(POLL_MS);
    }
    const completeMs = performance.now() - t0;
    await sleep(500); // the last job's temp files, BullMQ's completion bookkeeping
    const cpu = diff(cpuOf(groups), before);
    while (!publishResult) await sleep(50);

    const state = await getPackaging(ctx.redisClient, sessionId);
    const problems = [...failedJobs(workers).map((e) => `job attempt failed: ${e}`)];
    if (!publishResult.ok) problems.push(`publisher failed: ${publishResult.error}`);
    if (state?.endSegmentCount !== ctx.segments.length) problems.push(`${state?.endSegmentCount} segments in the session, ${ctx.segments.length} expected`);
    const renditions = ids.map((id) => {
      const first = seen[id].get(0);
      const lags = [...seen[id]].map(([index, s]) => s.at - (firstTagAt + (ctx.segments[index]?.endMs ?? NaN))).filter(Number.isFinite);
      const gaps = [...seen[id].values()].filter((s) => s.gap).length;
      if (gaps > 0) problems.push(`${id}: ${gaps} gap(s)`);
      if (first === undefined) problems.push(`${id}: segment 0 never listed`);
      lags.sort((a, b) => a - b);
      return {
        id,
        firstSegmentMs: first === undefined ? null : first.at - firstTagAt,
        segmentsSeen: seen[id].size,
        gaps,
        // How long after its media ended each segment was listed: the steady-state live delay.
        lagMedianMs: lags.length > 0 ? lags[Math.floor(lags.length / 2)] : null,
        lagMaxMs: lags.length > 0 ? lags.at(-1) : null,
      };
    });
    // Where segment 0's time went, and how long jobs take against the media they cover.
    const times = jobTimes(workers, sessionId, ctx.segments.length);
    const job0 = times.get(0);
    const seg0End = firstTagAt + ctx.segments[0].endMs;
    const jobMs = [...times.values()].filter((t) => t.active && t.completed).map((t) => t.completed - t.active).sort((a, b) => a - b);
    const pickupMs = [...times].filter(([i, t]) => t.active && ctx.segments[i]).map(([i, t]) => t.active - (firstTagAt + ctx.segments[i].endMs)).sort((a, b) => a - b);
    return {
      workers: opts.liveWorkers,
      firstSegment: {
        mediaEndMs: ctx.segments[0].endMs,
        pickedUpAfterMs: job0?.active ? job0.active - seg0End : null,
        jobMs: job0?.active && job0?.completed ? job0.completed - job0.active : null,
      },
      jobMsMedian: median(jobMs),
      jobMsMax: jobMs.at(-1) ?? null,
      pickupMsMedian: median(pickupMs),
      pickupMsMax: pickupMs.at(-1) ?? null,
      sessionSegments: state?.endSegmentCount ?? null,
      wallSeconds: completeMs / 1000,
      renditions,
      cpu,
      pipelineCpu: cpu.ingest + cpu.workers,
      loadBefore,
      loadAfter: load(),
      problems,
    };
  } finally {
    if (publisher) await stopGroup(publisher.state, 2000);
    await Promise.all(workers.map((w) => stopGroup(w.state)));
  }
}

/** The plain ffmpeg peer: the whole ladder from the whole file in one command. */
async function runPeer(ctx, threads) {
  const outDir = path.join(ctx.tmp, `peer-${threads ?? 'auto'}`);
  const loadBefore = load();
  const r = await runFfmpegMeasured(peerLadderArgs(ctx.plan, ctx.source, outDir, threads));
  const counts = countSegments(outDir);
  const problems = [];
  for (const r2 of ctx.plan.video) if (counts[r2.id] !== ctx.segments.length) problems.push(`${r2.id}: ${counts[r2.id]} segments, ${ctx.segments.length} expected`);
  return { threads: threads ?? 'default', wallSeconds: r.wallMs / 1000, cpu: r.cpu, user: r.user, sys: r.sys, segments: counts, loadBefore, loadAfter: load(), problems };
}

/**
 * (c) One VOD run: publish the file unpaced with no worker running (the live path's transcoder
 * feed cuts and enqueues every segment job), then start `n` workers (concurrency 1, ffmpeg
 * threads 1) and time from "go" until the session is complete (every playlist final).
 */
async function runVod(ctx, n) {
  const { channelId, url } = await newChannel(ctx, `bench-vod-${n}-${Date.now()}`);
  const publisher = await startPublisher(ctx, url, false);
  let workers = [];
  try {
    const ingestBefore = cpuOf({ ingest: [ctx.ingest.state.child.pid] });
    publisher.state.child.stdin.write('go\n');
    const { sessionId } = await ctx.ingest.lines.wait((l) => l.bench === 'session' && l.channelId === channelId, READY_TIMEOUT_MS, 'vod session');
    const { result } = await publisher.lines.wait((l) => l.result, SLACK_MS, 'publisher result');
    if (!result.ok) throw new Error(`publisher failed: ${result.error}`);
    // Every job is enqueued once the feed has recorded the end.
    const enqueueDeadline = Date.now() + SLACK_MS;
    for (;;) {
      const s = await getPackaging(ctx.redisClient, sessionId);
      if (s?.endSegmentCount != null) break;
      if (Date.now() > enqueueDeadline) throw new Error('vod: the feed never ended the session');
      await sleep(STATE_POLL_MS);
    }
    await sleep(300);
    const ingestCpu = diff(cpuOf({ ingest: [ctx.ingest.state.child.pid] }), ingestBefore).ingest;

    workers = await startWorkers(ctx, n, { threads: 1, name: `vod${n}` });
    const groups = { workers: workers.map((w) => w.state.child.pid), redis: redisPids() };
    const before = cpuOf(groups);
    const loadBefore = load();
    const t0 = performance.now();
    await goWorkers(workers);
    const prefix = outputPrefix(channelId, sessionId);
    const ids = planRenditionIds(ctx.plan);
    const seen = Object.fromEntries(ids.map((id) => [id, new Map()]));
    const deadline = Date.now() + SLACK_MS;
    let state;
    for (;;) {
      state = await packagingComplete(ctx, sessionId);
      if (state && (await pollPlaylists(ctx, prefix, ids, seen))) break;
      if (Date.now() > deadline) throw new Error(`vod with ${n} worker(s): the session did not complete in time`);
      await sleep(STATE_POLL_MS);
    }
    const wallSeconds = (performance.now() - t0) / 1000;
    await sleep(300);
    const cpu = diff(cpuOf(groups), before);
    const problems = failedJobs(workers).map((e) => `job attempt failed: ${e}`);
    const failed = state.segments.filter((s) => s?.outputs.some((o) => o?.status !== 'done')).length;
    if (failed > 0) problems.push(`${failed} segment(s) not done`);
    if (state.endSegmentCount !== ctx.segments.length) problems.push(`${state.endSegmentCount} segments in the session, ${ctx.segments.length} expected`);
    return {
      workers: n,
      segments: state.endSegmentCount,
      wallSeconds,
      mediaPerWall: ctx.mediaMs / 1000 / wallSeconds,
      cpu: { ingest: ingestCpu, ...cpu },
      pipelineCpu: ingestCpu + cpu.workers,
      loadBefore,
      loadAfter: load(),
      problems,
    };
  } finally {
    await stopGroup(publisher.state, 2000);
    await Promise.all(workers.map((w) => stopGroup(w.state)));
  }
}

function fmt(n, digits = 2) {
  return n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

const verdict = (met) => (met === null ? 'n/a' : met ? 'met' : 'NOT met');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  installCleanupHooks();
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const opts = parseOptions(process.argv.slice(2));
  const tmp = trackDir(mkdtempSync(path.join(os.tmpdir(), 'headwater-bench-ladder-')));
  const ctx = { tmp, source: path.join(tmp, 'source-720p30.flv') };
  console.log(`ladder bench ${new Date().toISOString()}  node ${process.version}  ${os.cpus().length} CPU(s)  load average ${load()}`);

  let t = performance.now();
  await runQuiet('ffmpeg', sourceFlvArgs(ctx.source, opts.duration));
  const tags = await readFlvTags(ctx.source);
  Object.assign(ctx, planFile(tags, LADDER));
  ctx.mediaMs = ctx.segments.at(-1).endMs;
  const plan = ctx.plan;
  console.log(
    `source: ${opts.duration} s 720p30 H.264 High 4 Mb/s + AAC stereo, keyframe every 2 s (testsrc2 + sine, made in ${((performance.now() - t) / 1000).toFixed(1)} s), ${ctx.segments.length} segments of ${plan.segmentDurationMs} ms`,
  );
  console.log(
    `ladder: ${plan.video.map((r) => `${r.id} ${r.width}x${r.height} ${(r.bitrateBps / 1e6).toFixed(1)} Mb/s`).join(', ')} (libx264 ${plan.presets.h264}), audio ${plan.audio?.kind ?? 'none'}`,
  );

  const redis = await startEmbeddedRedis({ dataDir: path.join(tmp, 'redis'), persistence: false });
  const s3 = await startEmbeddedS3({ dataDir: path.join(tmp, 's3'), buckets: [BUCKET] });
  Object.assign(ctx, {
    redis,
    s3,
    redisClient: new Redis(redis.url, { maxRetriesPerRequest: 2 }),
    s3Client: createS3Client({ endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true }),
  });

  const results = { live: undefined, peer: undefined, peer1: undefined, vod: [] };
  const errors = [];
  const attempt = async (what, fn) => {
    process.stderr.write(`bench: ${what} …\n`);
    try {
      return await fn();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (process.env.BENCH_DEBUG) console.error(err);
      console.error(`bench: ${what}: ${message}`);
      errors.push(`${what}: ${message}`);
      return undefined;
    }
  };
  try {
    ctx.ingest = await startIngest(ctx);
    if (opts.parts.has('live')) results.live = await attempt(`(a)+(b) live, ${opts.liveWorkers} worker(s), ${opts.duration} s real time`, () => runLive(ctx, opts));
    if (opts.parts.has('peer')) results.peer = await attempt('(b) plain ffmpeg, threads default', () => runPeer(ctx, undefined));
    if (opts.parts.has('vod')) {
      for (let i = 0; i < opts.repeat; i++) {
        for (const n of i % 2 === 0 ? [1, 2] : [2, 1]) {
          const r = await attempt(`(c) VOD, ${n} worker(s), threads 1`, () => runVod(ctx, n));
          if (r) results.vod.push(r);
        }
      }
      if (opts.parts.has('peer')) results.peer1 = await attempt('(b) plain ffmpeg, threads 1', () => runPeer(ctx, 1));
    }
  } finally {
    if (ctx.ingest) await stopGroup(ctx.ingest.state);
    ctx.redisClient.disconnect();
    ctx.s3Client.destroy();
    await s3.stop();
    await redis.stop();
    removeDir(tmp);
  }

  // ----- report -----
  const latencyGoalMs = plan.segmentDurationMs + GOAL_LATENCY_SLACK_MS;
  const goals = [];
  const live = results.live;
  if (live) {
    console.log(`\n(a) live: publish start → first segment in the media playlist (S3, polled every ${POLL_MS} ms), ${live.workers} worker(s), load ${live.loadBefore} → ${live.loadAfter}`);
    console.log(
      table([
        ['rendition', 'first seg s', 'goal s', 'goal', 'segments', 'lag p50 s', 'lag max s'],
        ...live.renditions.map((r) => [
          r.id,
          fmt(r.firstSegmentMs / 1000),
          fmt(latencyGoalMs / 1000, 1),
          verdict(r.firstSegmentMs === null ? null : r.firstSegmentMs <= latencyGoalMs),
          r.segmentsSeen,
          fmt(r.lagMedianMs / 1000),
          fmt(r.lagMaxMs / 1000),
        ]),
      ]),
    );
    console.log('lag = time a segment was listed − time its media ended at the publisher (the live delay once running)');
    const f = live.firstSegment;
    console.log(
      `segment 0: media ends at ${fmt(f.mediaEndMs / 1000)} s; job picked up ${fmt(f.pickedUpAfterMs / 1000)} s later (cut, S3 upload, enqueue, pick-up); ` +
        `job ${fmt(f.jobMs / 1000)} s (download, ffmpeg, uploads, playlists)`,
    );
    console.log(
      `all segments: pick-up after media end p50 ${fmt(live.pickupMsMedian / 1000)} s, max ${fmt(live.pickupMsMax / 1000)} s; ` +
        `job p50 ${fmt(live.jobMsMedian / 1000)} s, max ${fmt(live.jobMsMax / 1000)} s per ${fmt(plan.segmentDurationMs / 1000, 1)} s segment`,
    );
    const worst = Math.max(...live.renditions.map((r) => r.firstSegmentMs ?? Infinity));
    goals.push(['(a) latency, first segment, slowest rendition', `${fmt(worst / 1000)} s`, `≤ ${fmt(latencyGoalMs / 1000, 1)} s`, verdict(Number.isFinite(worst) ? worst <= latencyGoalMs : null)]);
  }
  const cpuRows = [['what', 'ffmpeg threads', 'wall s', 'CPU s', 'ingest s', 'worker node s', 'ffmpeg s', 'redis s (not counted)']];
  const pipelineRow = (what, threads, r) => [what, threads, fmt(r.wallSeconds, 1), fmt(r.pipelineCpu), fmt(r.cpu.ingest), fmt(r.cpu.workersNode), fmt(r.cpu.workers - r.cpu.workersNode), fmt(r.cpu.redis)];
  const peerRow = (r) => ['one plain ffmpeg', String(r.threads), fmt(r.wallSeconds, 1), fmt(r.cpu), '', '', fmt(r.cpu), ''];
  if (live) cpuRows.push(pipelineRow(`pipeline live, ${live.workers} worker(s)`, 'default', live));
  if (results.peer) cpuRows.push(peerRow(results.peer));
  for (const v of results.vod) cpuRows.push(pipelineRow(`pipeline VOD, ${v.workers} worker(s)`, '1', v));
  if (results.peer1) cpuRows.push(peerRow(results.peer1));
  if (cpuRows.length > 1) {
    console.log(`\n(b) CPU (user+sys of the process trees, ${CLK_TCK} ticks/s) for the whole ${(ctx.mediaMs / 1000).toFixed(1)} s file`);
    console.log(table(cpuRows));
  }
  if (live && results.peer) {
    const ratio = live.pipelineCpu / results.peer.cpu;
    goals.push(['(b) CPU, pipeline live / plain ffmpeg (threads default)', `${fmt(ratio, 3)}×`, `≤ ${fmt(GOAL_CPU_RATIO)}×`, verdict(ratio <= GOAL_CPU_RATIO)]);
  }
  const vod1 = results.vod.filter((v) => v.workers === 1);
  const vod2 = results.vod.filter((v) => v.workers === 2);
  if (vod1.length > 0 && results.peer1) {
    const ratio = median(vod1.map((v) => v.pipelineCpu)) / results.peer1.cpu;
    goals.push(['(b) CPU, pipeline VOD 1 worker / plain ffmpeg (threads 1)', `${fmt(ratio, 3)}×`, `≤ ${fmt(GOAL_CPU_RATIO)}×`, verdict(ratio <= GOAL_CPU_RATIO)]);
  }
  if (results.vod.length > 0) {
    console.log(`\n(c) VOD: ${ctx.segments.length} segment jobs queued by an unpaced publish, then n workers (concurrency 1, ffmpeg threads 1) started`);
    console.log(
      table([
        ['workers', 'wall s', 'media s / wall s', 'worker CPU s', 'load before → after'],
        ...results.vod.map((v) => [v.workers, fmt(v.wallSeconds), fmt(v.mediaPerWall), fmt(v.cpu.workers), `${v.loadBefore} → ${v.loadAfter}`]),
      ]),
    );
  }
  if (vod1.length > 0 && vod2.length > 0) {
    const speedup = median(vod1.map((v) => v.wallSeconds)) / median(vod2.map((v) => v.wallSeconds));
    goals.push(['(c) VOD throughput, 2 workers / 1 worker', `${fmt(speedup, 3)}×`, `≥ ${fmt(GOAL_VOD_SPEEDUP, 1)}×`, verdict(speedup >= GOAL_VOD_SPEEDUP)]);
  }

  const problems = [...errors, ...(live?.problems ?? []), ...(results.peer?.problems ?? []), ...(results.peer1?.problems ?? []), ...results.vod.flatMap((v) => v.problems)];
  if (goals.length > 0) {
    console.log('');
    console.log(table([['goal', 'measured', 'target', 'verdict'], ...goals]));
  }
  for (const p of problems) console.log(`INVALID: ${p}`);
  if (ctx.pollErrors) console.log(`(${ctx.pollErrors} playlist read(s) failed while a worker rewrote the object; retried at the next poll)`);
  console.log(
    [
      '',
      'Notes: CPU = utime+stime of the ingest and worker processes and every child they ran (ffmpeg included, via',
      'cutime/cstime), over the whole file; Redis and the S3 server (run by the bench) and the publisher are not',
      `counted. The machine's other load shares the ${os.cpus().length} cores: compare figures of the same run only.`,
    ].join('\n'),
  );
  const json = {
    bench: 'ladder',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadAverage: os.loadavg(),
    clkTck: CLK_TCK,
    durationSeconds: opts.duration,
    segments: ctx.segments.length,
    ladder: planRenditionIds(plan),
    results,
    goals: goals.map(([what, value, goal, v]) => ({ what, value, goal, verdict: v })),
    valid: problems.length === 0,
  };
  console.log(`\n${JSON.stringify(json)}`);
  return json.valid ? 0 : 1;
}

runBench(main);
