// Child processes and temp dirs of one bench run, and their cleanup: graceful on the normal path,
// synchronous SIGKILL + rm on Ctrl-C, SIGTERM or a crash, so no server outlives the bench.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';

/** Output kept per child for error messages. */
const TAIL_CHARS = 4000;
/** Stream keys (`hw_<channel>_<secret>`) are secrets even in a bench: never echo them. */
const STREAM_KEY = /hw_[0-9A-Za-z]{12}_[0-9A-Za-z]+/g;

const groups = new Set();
const dirs = new Set();

/** Kills every live child group and removes every temp dir, synchronously (for exit paths). */
export function cleanupNow() {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  groups.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

let hooked = false;
/** Installs the exit, SIGINT and SIGTERM hooks once. */
export function installCleanupHooks() {
  if (hooked) return;
  hooked = true;
  process.once('exit', cleanupNow);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping servers and removing temp files\n`);
      cleanupNow();
      process.exit(code);
    });
  }
}

/** Registers a temp dir to remove on exit (the normal path removes it earlier with `removeDir`). */
export function trackDir(dir) {
  dirs.add(dir);
  return dir;
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/**
 * Spawns a child as the leader of a new process group (so the group can be measured and killed
 * as a whole), keeping the tail of its output, with stream keys redacted.
 */
export function spawnGroup(cmd, args, { env = process.env, cwd, stdin = 'ignore' } = {}) {
  const child = spawn(cmd, args, { env, cwd, detached: true, stdio: [stdin, 'pipe', 'pipe'] });
  const state = { child, output: '', exit: undefined };
  const collect = (chunk) => {
    state.output = (state.output + chunk.toString('utf8')).slice(-TAIL_CHARS);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  state.exited = new Promise((resolve) => {
    child.once('error', (err) => {
      state.exit ??= `error: ${err.message}`;
      resolve(state.exit);
    });
    child.once('exit', (code, signal) => {
      state.exit ??= signal ?? `code ${code}`;
      groups.delete(child.pid);
      resolve(state.exit);
    });
  });
  if (child.pid !== undefined) groups.add(child.pid);
  state.tail = () => state.output.replace(STREAM_KEY, 'hw_<redacted>').trim();
  return state;
}

/** Asks the group leader to stop (SIGTERM), then kills the whole group after `graceMs`. */
export async function stopGroup(state, graceMs = 10_000) {
  const pid = state.child.pid;
  if (pid === undefined) return;
  if (state.exit === undefined) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    let timer;
    await Promise.race([state.exited, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }
  // Leftovers in the group (nginx workers of a master that died, a stuck leader) die now.
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Group is empty.
  }
  groups.delete(pid);
  await state.exited;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port; rejects if `state` exits. */
export async function waitForPort(port, state, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (state.exit !== undefined) throw new Error(`exited (${state.exit}) before listening:\n${state.tail()}`);
    const ok = await new Promise((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not listening on 127.0.0.1:${port} after ${timeoutMs} ms:\n${state.tail()}`);
}

/** Runs a bench's `main` (resolving to its exit code), cleans up its children and exits. */
export function runBench(main) {
  main().then(
    (code) => {
      cleanupNow();
      process.exit(code);
    },
    (err) => {
      console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      cleanupNow();
      process.exit(1);
    },
  );
}
