#!/usr/bin/env node
// Ingest benchmark: N concurrent publishers at real-time pace from one FLV fixture, against
// headwater (archive off, then on), node-media-server 4 and nginx-rtmp, one server at a time, in
// the same run. Prints per server the CPU seconds per Gbit ingested and the RSS per stream, and
// the ratios against the goals for plain ingest: ≤ 2× nginx-rtmp's CPU per Gbit and ≤ 0.25×
// node-media-server's memory per stream.
//
//   npm run bench:ingest -- [--publishers 20] [--loops 1] [--fixture path]
//                           [--servers headwater,headwater-archive,nms,nginx]
//   BENCH_PROFILE=1 npm run bench:ingest …   also writes V8 CPU profiles of the Node servers
//                                           (kept in a temp dir) and prints where time went
//   BENCH_SERVER_NODE_FLAGS='--max-semi-space-size=1' …   extra flags for the Node servers
//
// Each server runs as its own process group; only that group's CPU (utime + stime) and RSS are
// measured, from /proc. The load generator (bench/publishers.mjs, the project's publisher) and
// headwater's Redis and S3 run outside it.
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { createS3Client, startEmbeddedS3 } from '@headwater/archive';
import { startEmbeddedRedis } from '@headwater/config';
import { installCleanupHooks, runBench, removeDir, spawnGroup, stopGroup, trackDir } from './lib/children.mjs';
import { CLK_TCK, GroupMonitor } from './lib/proc-stats.mjs';
import { formatProfileSummary, summarizeProfile } from './lib/profile-summary.mjs';
import { NGINX_RTMP_MODULE, SERVERS, SERVER_NAMES } from './lib/servers.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const PUBLISHERS_SCRIPT = path.join(ROOT, 'bench/publishers.mjs');
const DEFAULT_FIXTURE = path.resolve(ROOT, '../shared/fixtures/veovera_bbb_av1_opus.flv');
const MiB = 1024 * 1024;

/** Goals from the issue, for plain ingest. */
const GOAL_CPU_VS_NGINX = 2.0;
const GOAL_RSS_VS_NMS = 0.25;

/** Idle time after start-up before the "before load" readings (start-up JIT, GC, timers). */
const WARM_MS = 2000;
/** The last part of WARM_MS, over which the server's idle CPU rate is measured. */
const IDLE_PROBE_MS = 1000;
/** After the publishers finish, keep measuring until the server is idle: deferred work (closing
 * sessions, the archive's final upload) belongs to the ingest it follows. */
const SETTLE_POLL_MS = 250;
const SETTLE_IDLE_WINDOW_MS = 1000;
/** At most this many ticks in the idle window count as idle (timers, housekeeping). */
const SETTLE_IDLE_TICKS = 2;
const SETTLE_MAX_MS = 15_000;
const LOADER_READY_TIMEOUT_MS = 30_000;
/** Slack on top of the fixture's duration × loops before the load generator is given up on. */
const LOADER_SLACK_MS = 120_000;

const HELP = `Usage: npm run bench:ingest -- [options]

  --publishers <n>   concurrent publishers per server (default 20)
  --loops <n>        times each publisher plays the fixture (default 1)
  --fixture <path>   FLV file to publish (default ../shared/fixtures/veovera_bbb_av1_opus.flv)
  --servers <list>   comma-separated, from ${SERVER_NAMES.join(',')} (default: all)

Environment:
  BENCH_PROFILE=1           write CPU profiles of the Node servers (headwater, nms) to a temp dir
                            that is kept, and print where the load window's time went (profiling
                            slows the servers: numbers from such a run are not the benchmark's)
  BENCH_SERVER_NODE_FLAGS   extra node flags for the Node servers, e.g. --max-semi-space-size=2`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      publishers: { type: 'string', default: '20' },
      loops: { type: 'string', default: '1' },
      fixture: { type: 'string', default: DEFAULT_FIXTURE },
      servers: { type: 'string', default: SERVER_NAMES.join(',') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const publishers = Number(values.publishers);
  const loops = Number(values.loops);
  const servers = values.servers.split(',').map((s) => s.trim()).filter(Boolean);
  const problems = [];
  if (!Number.isInteger(publishers) || publishers < 1 || publishers > 1000) problems.push('--publishers must be an integer 1-1000');
  if (!Number.isInteger(loops) || loops < 1 || loops > 100) problems.push('--loops must be an integer 1-100');
  for (const s of servers) if (!SERVER_NAMES.includes(s)) problems.push(`unknown server "${s}" (known: ${SERVER_NAMES.join(', ')})`);
  if (servers.length === 0) problems.push('--servers is empty');
  const fixture = path.resolve(values.fixture);
  if (!existsSync(fixture)) problems.push(`fixture not found: ${fixture}`);
  if (servers.includes('nginx') && !existsSync(NGINX_RTMP_MODULE)) problems.push(`${NGINX_RTMP_MODULE} missing: apt-get install -y nginx libnginx-mod-rtmp`);
  if (servers.some((s) => s.startsWith('headwater')) && !existsSync(path.join(ROOT, 'services/cli/dist/main.js'))) {
    problems.push('services/cli/dist/main.js missing: build first (npx tsc -b)');
  }
  if (problems.length > 0) {
    console.error(`bench: ${problems.join('\nbench: ')}\n\n${HELP}`);
    process.exit(2);
  }
  return { publishers, loops, fixture, servers: [...new Set(servers)] };
}

/** Reads JSON lines from a child's stdout, one at a time, with a deadline each. */
function jsonLines(stream) {
  const it = createInterface({ input: stream })[Symbol.asyncIterator]();
  return async (timeoutMs, what) => {
    let timer;
    const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`load generator: no ${what} within ${timeoutMs} ms`)), timeoutMs)));
    try {
      for (;;) {
        const { value, done } = await Promise.race([it.next(), timeout]);
        if (done) throw new Error(`load generator exited before ${what}`);
        if (value.startsWith('{')) return JSON.parse(value);
      }
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Keeps sampling until the group is idle again: in the last SETTLE_IDLE_WINDOW_MS it used no more
 * than its idle rate measured before the load (timers; the profiler's sampling thread under
 * BENCH_PROFILE) plus SETTLE_IDLE_TICKS. Returns the time it took.
 */
async function settle(monitor, idleTicksPerMs) {
  const started = Date.now();
  const history = [{ at: started, ticks: monitor.sample().ticks }];
  while (Date.now() - started < SETTLE_MAX_MS) {
    await sleep(SETTLE_POLL_MS);
    const now = Date.now();
    const { ticks } = monitor.sample();
    history.push({ at: now, ticks });
    const ref = history.findLast((h) => now - h.at >= SETTLE_IDLE_WINDOW_MS);
    if (ref && ticks - ref.ticks <= idleTicksPerMs * (now - ref.at) + SETTLE_IDLE_TICKS) break;
  }
  return Date.now() - started;
}

/** Starts one server, runs the load against it, measures, stops it. */
async function runServer(ctx, name, opts) {
  const def = SERVERS[name];
  process.stderr.write(`bench: ${def.label}: starting …\n`);
  const server = await def.start(ctx, opts.publishers);
  let loader;
  try {
    const monitor = new GroupMonitor(server.state.child.pid);
    await sleep(WARM_MS - IDLE_PROBE_MS);
    const idleFrom = { at: performance.now(), ticks: monitor.sample().ticks };
    await sleep(IDLE_PROBE_MS);
    const idleTicksPerMs = (monitor.sample().ticks - idleFrom.ticks) / (performance.now() - idleFrom.at);

    loader = spawnGroup(process.execPath, [PUBLISHERS_SCRIPT], { cwd: ROOT, stdin: 'pipe' });
    const next = jsonLines(loader.child.stdout);
    loader.child.stdin.on('error', () => {}); // EPIPE if it dies: reported by the missing reply
    loader.child.stdin.write(`${JSON.stringify({ fixture: opts.fixture, urls: server.urls, loops: opts.loops })}\n`);
    const ready = await next(LOADER_READY_TIMEOUT_MS, 'ready line');

    const before = monitor.start();
    const loadStartedAt = Date.now();
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const t0 = performance.now();
    loader.child.stdin.write('go\n');
    process.stderr.write(`bench: ${def.label}: ${opts.publishers} publisher(s) × ${opts.loops} loop(s) of ${(ready.fixtureMs / 1000).toFixed(1)} s …\n`);
    const { results } = await next(ready.fixtureMs * opts.loops + LOADER_SLACK_MS, 'results');
    const loadMs = performance.now() - t0;
    const settleMs = await settle(monitor, idleTicksPerMs);
    const after = monitor.stop();
    const toUs = Number(process.hrtime.bigint() / 1000n);
    const verified = server.verify ? await server.verify() : undefined;

    const bytes = results.reduce((n, r) => n + r.bytes, 0);
    const failures = results.filter((r) => !r.ok).map((r) => r.error);
    const cpuSeconds = (after.ticks - before.ticks) / CLK_TCK;
    const gbit = (bytes * 8) / 1e9;
    const problems = [...failures.map((e) => `publisher failed: ${e}`)];
    if (verified && !verified.ok) problems.push(`archive: ${verified.archiveObjects} of ${opts.publishers} objects completed`);
    return {
      name,
      label: def.label,
      valid: problems.length === 0,
      problems,
      publishersOk: results.length - failures.length,
      publishers: results.length,
      bytes,
      gbit,
      cpuSeconds,
      userSeconds: (after.userTicks - before.userTicks) / CLK_TCK,
      sysSeconds: (after.sysTicks - before.sysTicks) / CLK_TCK,
      cpuSecondsPerGbit: gbit > 0 ? cpuSeconds / gbit : null,
      loadSeconds: loadMs / 1000,
      settleSeconds: settleMs / 1000,
      cpuPercent: (100 * cpuSeconds) / ((loadMs + settleMs) / 1000),
      processes: after.pids,
      baselineRssMiB: before.rss / MiB,
      peakRssMiB: monitor.peakRss / MiB,
      peakRssAtSeconds: (monitor.peakAt - loadStartedAt) / 1000,
      rssPerStreamMiB: (monitor.peakRss - before.rss) / MiB / opts.publishers,
      ...(verified ? { archiveObjects: verified.archiveObjects, archiveMiB: verified.archiveBytes / MiB } : {}),
      profileWindow: { fromUs, toUs },
    };
  } finally {
    if (loader) await stopGroup(loader, 2000);
    await stopGroup(server.state);
  }
}

/** Prints the profile summaries of the load window, for servers that wrote one. */
function reportProfiles(ctx, results) {
  for (const r of results) {
    const dir = path.join(ctx.profileDir, r.name);
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
    const newest = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    if (!newest) {
      console.log(`\nprofile ${r.label}: none written (did the server exit cleanly?)`);
      continue;
    }
    console.log(`\nprofile ${r.label} (load window only): ${newest}`);
    console.log(formatProfileSummary(summarizeProfile(newest, r.profileWindow ?? {}), 20));
  }
}

function fmt(n, digits) {
  return n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
}

function printTable(results) {
  const cols = [
    ['server', (r) => r.label, 'l'],
    ['pubs ok', (r) => (r.error ? 'error' : `${r.publishersOk}/${r.publishers}`)],
    ['CPU s', (r) => fmt(r.cpuSeconds, 2)],
    ['user/sys s', (r) => (r.error ? 'n/a' : `${fmt(r.userSeconds, 2)}/${fmt(r.sysSeconds, 2)}`)],
    ['CPU %', (r) => fmt(r.cpuPercent, 1)],
    ['Gbit', (r) => fmt(r.gbit, 3)],
    ['CPU s/Gbit', (r) => fmt(r.cpuSecondsPerGbit, 2)],
    ['base RSS MiB', (r) => fmt(r.baselineRssMiB, 1)],
    ['peak RSS MiB', (r) => fmt(r.peakRssMiB, 1)],
    ['RSS/stream MiB', (r) => fmt(r.rssPerStreamMiB, 3)],
  ];
  const cells = results.map((r) => cols.map(([, get]) => String(get(r))));
  const widths = cols.map(([h], i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const line = (row) => row.map((c, i) => (cols[i][2] === 'l' ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(cols.map(([h]) => h)));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) console.log(line(row));
}

/** headwater ÷ reference for one metric, with the goal check. */
function ratio(byName, mine, theirs, metric, goal, what) {
  const a = byName[mine]?.[metric];
  const b = byName[theirs]?.[metric];
  const value = typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null;
  const valid = Boolean(byName[mine]?.valid && byName[theirs]?.valid);
  return { what, mine, theirs, metric, value, goal, met: value === null ? null : value <= goal, valid };
}

async function main() {
  installCleanupHooks();
  // The bench's own S3 client would warn about Node 20 support on every run: noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const opts = parseOptions(process.argv.slice(2));
  const tmp = trackDir(mkdtempSync(path.join(os.tmpdir(), 'headwater-bench-')));
  const profileDir = process.env.BENCH_PROFILE && process.env.BENCH_PROFILE !== '0' ? mkdtempSync(path.join(os.tmpdir(), 'headwater-bench-profile-')) : undefined;
  const ctx = { tmp, profileDir, bucket: 'headwater' };

  const fixtureBytes = statSync(opts.fixture).size;
  console.log(`ingest bench ${new Date().toISOString()}  node ${process.version}  ${os.cpus().length} CPU(s)  load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`fixture ${path.relative(ROOT, opts.fixture)} (${(fixtureBytes / MiB).toFixed(2)} MiB), ${opts.publishers} publishers × ${opts.loops} loop(s) at real-time pace, servers: ${opts.servers.join(', ')}`);
  if (process.env.BENCH_SERVER_NODE_FLAGS) console.log(`BENCH_SERVER_NODE_FLAGS for the Node servers: ${process.env.BENCH_SERVER_NODE_FLAGS}`);
  if (profileDir) console.log(`BENCH_PROFILE: CPU profiles of the Node servers go to ${profileDir} (profiling adds overhead: numbers below are not the benchmark's)`);

  // Headwater's collaborators, outside every measured process group.
  let redis;
  let s3;
  if (opts.servers.some((s) => s.startsWith('headwater'))) {
    redis = await startEmbeddedRedis({ dataDir: path.join(tmp, 'redis'), persistence: false });
    s3 = await startEmbeddedS3({ dataDir: path.join(tmp, 's3'), buckets: [ctx.bucket] });
    Object.assign(ctx, {
      redis,
      s3,
      redisClient: new Redis(redis.url, { maxRetriesPerRequest: 2 }),
      s3Client: createS3Client({ endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true }),
    });
  }

  const results = [];
  try {
    for (const name of opts.servers) {
      try {
        results.push(await runServer(ctx, name, opts));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        console.error(`bench: ${SERVERS[name].label}: ${message}`);
        results.push({ name, label: SERVERS[name].label, valid: false, error: message, problems: [message] });
      }
    }
  } finally {
    ctx.redisClient?.disconnect();
    ctx.s3Client?.destroy();
    await s3?.stop();
    await redis?.stop();
    removeDir(tmp);
  }

  console.log('');
  printTable(results);
  const byName = Object.fromEntries(results.map((r) => [r.name, r]));
  const ratios = [
    ratio(byName, 'headwater', 'nginx', 'cpuSecondsPerGbit', GOAL_CPU_VS_NGINX, 'plain ingest: CPU per Gbit, headwater / nginx-rtmp'),
    ratio(byName, 'headwater', 'nms', 'rssPerStreamMiB', GOAL_RSS_VS_NMS, 'plain ingest: RSS per stream, headwater / node-media-server'),
    ratio(byName, 'headwater-archive', 'nginx', 'cpuSecondsPerGbit', GOAL_CPU_VS_NGINX, 'archive on:   CPU per Gbit, headwater / nginx-rtmp'),
    ratio(byName, 'headwater-archive', 'nms', 'rssPerStreamMiB', GOAL_RSS_VS_NMS, 'archive on:   RSS per stream, headwater / node-media-server'),
  ].filter((r) => byName[r.mine] && byName[r.theirs]);
  if (ratios.length > 0) console.log('');
  for (const r of ratios) {
    const verdict = r.value === null ? 'n/a' : `${r.met ? 'met' : 'NOT met'}${r.valid ? '' : ' (INVALID run)'}`;
    console.log(`${r.what}: ${fmt(r.value, 2)}  (goal ≤ ${r.goal.toFixed(2)}: ${verdict})`);
  }

  for (const r of results) for (const p of r.problems) console.log(`INVALID ${r.label}: ${p}`);
  for (const r of results) {
    if (r.archiveObjects !== undefined) console.log(`${r.label}: ${r.archiveObjects} archive object(s), ${fmt(r.archiveMiB, 2)} MiB in S3`);
  }
  console.log(
    [
      '',
      'Notes: CPU = utime+stime of the server\'s process group only (nginx: master + worker), from just before',
      'the publishers connect until the server is idle again after they finish (closing, final archive upload).',
      'Gbit = FLV tag payload bytes the publishers sent × 8 / 1e9. RSS per stream = (peak RSS during load −',
      'RSS before load) / publishers. Headwater\'s Redis (stream-key lookups) and S3 server (archive uploads)',
      'run outside the measured process, as nginx-rtmp and node-media-server do neither: only ingest work is',
      'compared; with the archive on, headwater\'s own spooling and upload client are counted. The load',
      'generator is a separate process (the project\'s publisher) and shares the machine\'s cores.',
    ].join('\n'),
  );
  if (profileDir) reportProfiles(ctx, results.filter((r) => !r.error));

  const json = {
    bench: 'ingest',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadAverage: os.loadavg(),
    clkTck: CLK_TCK,
    fixture: path.relative(ROOT, opts.fixture),
    publishers: opts.publishers,
    loops: opts.loops,
    serverNodeFlags: process.env.BENCH_SERVER_NODE_FLAGS ?? '',
    profiled: Boolean(profileDir),
    results: results.map(({ profileWindow: _omit, ...r }) => r),
    ratios: ratios.map(({ what, value, goal, met, valid }) => ({ what: what.replace(/\s+/g, ' '), value, goal, met, valid })),
    valid: results.every((r) => r.valid),
  };
  console.log(`\n${JSON.stringify(json)}`);
  return json.valid ? 0 : 1;
}

runBench(main);
