#!/usr/bin/env node
// The two README commands land here: `npm start` and `npm test` must work on a fresh
// Debian/Ubuntu machine that has only Node and npm, so this file uses Node builtins only.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const [command = 'start', ...rest] = process.argv.slice(2);

/** Debian packages each command needs, by the executable that proves they are installed. */
const SYSTEM_DEPS = {
  start: { ffmpeg: 'ffmpeg', 'redis-server': 'redis-server' },
  // chromium: the dashboard test drives Debian's browser through playwright-core (no download).
  test: { ffmpeg: 'ffmpeg', ffprobe: 'ffmpeg', 'redis-server': 'redis-server', chromium: 'chromium' },
  'bench-ladder': { ffmpeg: 'ffmpeg', 'redis-server': 'redis-server' },
  'bench-ingest': { ffmpeg: 'ffmpeg', 'redis-server': 'redis-server', nginx: 'nginx', '/usr/lib/nginx/modules/ngx_rtmp_module.so': 'libnginx-mod-rtmp' },
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function must(cmd, args, opts) {
  const status = run(cmd, args, opts);
  if (status !== 0) {
    console.error(`headwater: \`${[cmd, ...args].join(' ')}\` failed with exit code ${status}`);
    process.exit(status);
  }
}

function has(executable) {
  if (executable.startsWith('/')) return existsSync(executable);
  return spawnSync('sh', ['-c', `command -v ${executable}`], { stdio: 'ignore' }).status === 0;
}

function ensureSystemDeps(wanted) {
  const missing = [...new Set(Object.entries(wanted).filter(([exe]) => !has(exe)).map(([, pkg]) => pkg))];
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(`headwater: missing system packages: ${missing.join(' ')}\n  install them with: sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  console.log(`headwater: installing ${missing.join(' ')} with apt-get …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  must('apt-get', ['update', '-qq'], { env });
  must('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

function ensureNpmDeps() {
  const marker = path.join(root, 'node_modules/.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  const stale = !existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs;
  if (stale) {
    // `npm install` rather than `npm ci`: npm 11 leaves other platforms' optional binaries
    // (turbo, msgpackr) out of the lock file, and `npm ci` then refuses it as out of sync.
    console.log('headwater: installing npm dependencies …');
    must('npm', ['install', '--no-audit', '--no-fund']);
  }
}

function build() {
  must('npx', ['tsc', '-b']);
}

ensureNpmDeps();
ensureSystemDeps(SYSTEM_DEPS[command] ?? {});

switch (command) {
  case 'start':
    build();
    // The same V8 flag as the `headwater` bin (see services/cli/bin/headwater.js).
    process.exitCode = run('node', ['--max-semi-space-size=1', 'services/cli/dist/main.js', 'start', ...rest]);
    break;
  case 'test':
    build();
    must('npx', ['tsc', '-p', 'tsconfig.test.json']);
    must('npx', ['eslint', '.']);
    must('npx', ['vitest', 'run', ...rest]);
    // Users run Node 22/24 while this machine has 20: replay the protocol suites and the ingest
    // end-to-end test on Node 24 too (the npm package node@24 brings it), and the control API.
    if (rest.length === 0 && process.env.HEADWATER_SKIP_NODE24 !== '1') {
      console.log('headwater: re-running the protocol and ingest tests on Node 24 …');
      must('npx', ['-y', '-p', 'node@24', 'node', 'node_modules/vitest/vitest.mjs', 'run', 'libs/rtmp', 'libs/flv', 'services/api', 'test/e2e/ingest.test.ts']);
    }
    break;
  case 'bench-ingest':
    build();
    process.exitCode = run('node', ['bench/ingest.mjs', ...rest]);
    break;
  case 'bench-ladder':
    build();
    process.exitCode = run('node', ['bench/ladder.mjs', ...rest]);
    break;
  default:
    console.error(`headwater: unknown bootstrap command ${command}`);
    process.exit(2);
}
