// The servers under test. Each `start*` launches one server as its own process group on a free
// loopback port and resolves to { state, port, urls, verify? }: `urls` are the publish URLs for
// the N publishers, `verify` an optional check after the load (the archive's objects).
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { KeyStore } from '@headwater/auth';
import { freePort } from '@headwater/config';
import { spawnGroup, waitForPort } from './children.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI_MAIN = path.join(ROOT, 'services/cli/dist/main.js');
/**
 * How Headwater ships: `npm start` and the `headwater` bin run Node with these flags (a small
 * young generation: ingest garbage is short-lived, and a 1 MiB semi-space keeps RSS flat per
 * stream at no CPU cost in our measurements). Set BENCH_HEADWATER_DEFAULT_FLAGS=0 to compare without.
 */
const HEADWATER_NODE_FLAGS = process.env.BENCH_HEADWATER_DEFAULT_FLAGS === '0' ? [] : ['--max-semi-space-size=1'];
const NMS_SCRIPT = path.join(ROOT, 'bench/nms-server.mjs');
export const NGINX_RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

/** Server names accepted by `--servers`, in the default order. */
export const SERVER_NAMES = ['headwater', 'headwater-archive', 'nms', 'nginx'];

/**
 * Node flags for a Node server under test: BENCH_SERVER_NODE_FLAGS (space-separated, for
 * experiments such as `--max-semi-space-size=2`, applied to headwater and node-media-server
 * alike), and a CPU profile when BENCH_PROFILE is set.
 */
function nodeFlags(ctx, name) {
  const flags = (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  if (!ctx.profileDir) return flags;
  const dir = path.join(ctx.profileDir, name);
  mkdirSync(dir, { recursive: true });
  return [...flags, '--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** The environment without any HEADWATER_* setting of the caller (e.g. a HEADWATER_CONFIG file). */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HEADWATER_')));
}

/**
 * Headwater's own `headwater start`, with Redis and S3 outside the measured process (run by the
 * bench), one channel and stream key per publisher (one publisher per channel is enforced).
 */
async function startHeadwater(ctx, name, n, archive) {
  const port = await freePort('127.0.0.1');
  const dataDir = path.join(ctx.tmp, name);
  const store = new KeyStore(ctx.redisClient);
  const channels = [];
  for (let i = 1; i <= n; i++) channels.push(await store.createChannel(`bench-${name}-${i}`));
  const env = {
    ...cleanEnv(),
    HEADWATER_DATA_DIR: dataDir,
    HEADWATER_HOST: '127.0.0.1',
    HEADWATER_RTMP_PORT: String(port),
    HEADWATER_RTMPS_PORT: 'off',
    HEADWATER_LOG_LEVEL: 'warn',
    HEADWATER_REDIS_URL: ctx.redis.url,
    // Set even with the archive off: an unset endpoint would start s3rver inside the measured process.
    HEADWATER_S3_ENDPOINT: ctx.s3.endpoint,
    HEADWATER_S3_BUCKET: ctx.bucket,
    HEADWATER_S3_REGION: ctx.s3.region,
    HEADWATER_S3_ACCESS_KEY_ID: ctx.s3.accessKeyId,
    HEADWATER_S3_SECRET_ACCESS_KEY: ctx.s3.secretAccessKey,
    HEADWATER_ARCHIVE_ENABLED: String(archive),
    // All publishers come from 127.0.0.1: lift the per-IP cap (default 20) above N.
    HEADWATER_LIMITS_MAX_CONNECTIONS_PER_IP: String(n + 16),
    HEADWATER_LIMITS_MAX_CONNECTIONS: String(Math.max(1000, n + 16)),
  };
  const state = spawnGroup(process.execPath, [...HEADWATER_NODE_FLAGS, ...nodeFlags(ctx, name), CLI_MAIN, 'start'], { env, cwd: ROOT });
  await waitForPort(port, state);
  return {
    state,
    port,
    urls: channels.map((c) => `rtmp://127.0.0.1:${port}/live/${c.streamKey}`),
    verify: archive ? () => verifyArchives(ctx, channels.map((c) => c.channel.id)) : undefined,
  };
}

/**
 * Waits (bounded) until every channel has a completed archive object; returns their count and
 * bytes. Multipart objects appear only on CompleteMultipartUpload, after the session ends.
 */
async function verifyArchives(ctx, channelIds, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let objects = 0;
    let bytes = 0;
    for (const id of channelIds) {
      const res = await ctx.s3Client.send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: `archives/${id}/` }));
      for (const o of res.Contents ?? []) {
        if (!o.Key?.endsWith('.flv')) continue;
        objects++;
        bytes += o.Size ?? 0;
      }
    }
    if (objects >= channelIds.length || Date.now() > deadline) return { archiveObjects: objects, archiveBytes: bytes, ok: objects === channelIds.length };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** node-media-server 4 from npm (bench/nms-server.mjs). */
async function startNms(ctx, name, n) {
  const port = await freePort('127.0.0.1');
  const dataDir = path.join(ctx.tmp, name);
  mkdirSync(dataDir, { recursive: true });
  const state = spawnGroup(process.execPath, [...nodeFlags(ctx, name), NMS_SCRIPT, String(port), dataDir], { cwd: ROOT });
  await waitForPort(port, state);
  return { state, port, urls: Array.from({ length: n }, (_, i) => `rtmp://127.0.0.1:${port}/live/s${i + 1}`) };
}

/** nginx + libnginx-mod-rtmp from Debian: master and one worker, both measured. */
async function startNginx(ctx, name, n) {
  const port = await freePort('127.0.0.1');
  const dir = path.join(ctx.tmp, name);
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    [
      `load_module ${NGINX_RTMP_MODULE};`,
      'worker_processes 1;',
      'daemon off;',
      'master_process on;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      'events { worker_connections 1024; }',
      'rtmp {',
      '  access_log off;',
      '  server {',
      `    listen 127.0.0.1:${port};`,
      '    chunk_size 4096;',
      '    application live { live on; record off; }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  // -e: the error log before the config is read (the compiled-in default is /var/log/nginx).
  const state = spawnGroup('nginx', ['-c', conf, '-p', `${dir}/`, '-e', path.join(dir, 'error.log')], { cwd: dir });
  await waitForPort(port, state);
  return { state, port, urls: Array.from({ length: n }, (_, i) => `rtmp://127.0.0.1:${port}/live/s${i + 1}`) };
}

/** What each server name starts, with the label printed in the table. */
export const SERVERS = {
  headwater: { label: 'headwater (archive off)', start: (ctx, n) => startHeadwater(ctx, 'headwater', n, false) },
  'headwater-archive': { label: 'headwater (archive on)', start: (ctx, n) => startHeadwater(ctx, 'headwater-archive', n, true) },
  nms: { label: 'node-media-server 4', start: (ctx, n) => startNms(ctx, 'nms', n) },
  nginx: { label: 'nginx-rtmp', start: (ctx, n) => startNginx(ctx, 'nginx', n) },
};
