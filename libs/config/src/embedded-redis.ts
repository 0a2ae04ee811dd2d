/**
 * The embedded Redis default: when `redis.url` is unset, Headwater runs its own `redis-server`
 * on a free loopback port with its data under `dataDir`. It lives here, beside the setting whose
 * default it implements (config owns how the pipeline's embedded defaults are set up), and
 * `@headwater/testkit` wraps it as `startRedisServer` so tests run the very same launcher.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';

export interface EmbeddedRedisOptions {
  /** Directory for Redis' files (append-only file); created if missing. */
  dataDir: string;
  /** TCP port; `0` or unset = pick a free port. */
  port?: number;
  /** Bind address. @defaultValue `127.0.0.1` */
  host?: string;
  /**
   * Keep data across restarts (append-only file, fsync every second and on shutdown). Without
   * it nothing is written to disk and a restart starts empty. @defaultValue true
   */
  persistence?: boolean;
  /** @defaultValue `redis-server` from PATH */
  redisServerPath?: string;
  /** How long to wait for the first PONG. @defaultValue 10000 */
  startTimeoutMs?: number;
}

/** A running `redis-server` owned by this process. */
export interface EmbeddedRedis {
  /** `redis://HOST:PORT` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server (SIGTERM: Redis flushes its append-only file, then exits). Idempotent. */
  stop(): Promise<void>;
  /** Stops (if running) and starts again on the same port with the same data directory. */
  restart(): Promise<void>;
}

/** The embedded Redis could not be started. */
export class EmbeddedRedisError extends Error {
  override readonly name = 'EmbeddedRedisError';
}

const STOP_TIMEOUT_MS = 10_000;
const PING_INTERVAL_MS = 50;
const OUTPUT_TAIL_CHARS = 4000;
/** Attempts when a picked free port is taken by someone else before redis-server binds it. */
const PORT_ATTEMPTS = 5;

/** Children to stop if this process exits without stopping them (a crashed test run, Ctrl-C). */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGTERM');
    });
  }
}

/** Starts `redis-server` and resolves once it answers PING. */
export async function startEmbeddedRedis(opts: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const host = opts.host ?? '127.0.0.1';
  const persistence = opts.persistence ?? true;
  const bin = opts.redisServerPath ?? 'redis-server';
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  mkdirSync(opts.dataDir, { recursive: true });

  let child: ChildProcess | undefined;
  let port = opts.port ?? 0;
  const pickPort = port === 0;

  const launch = async (): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      if (pickPort) port = await freePort(host);
      try {
        child = await spawnAndWait({ bin, host, port, dataDir: opts.dataDir, persistence, timeoutMs });
        return;
      } catch (err) {
        const inUse = err instanceof EmbeddedRedisError && /address already in use|failed listening/i.test(err.message);
        if (!(inUse && pickPort && attempt < PORT_ATTEMPTS)) throw err;
      }
    }
  };

  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c !== undefined) await stopChild(c);
  };

  await launch();
  return {
    get url() {
      return `redis://${host.includes(':') ? `[${host}]` : host}:${port}`;
    },
    host,
    get port() {
      return port;
    },
    dataDir: opts.dataDir,
    stop,
    async restart() {
      await stop();
      // Same port on purpose: clients reconnect to the URL they were given.
      child = await spawnAndWait({ bin, host, port, dataDir: opts.dataDir, persistence, timeoutMs });
    },
  };
}

interface SpawnArgs {
  bin: string;
  host: string;
  port: number;
  dataDir: string;
  persistence: boolean;
  timeoutMs: number;
}

/** Redis config, fed on stdin (`redis-server -`) so paths need no shell quoting. */
function redisConf(a: SpawnArgs): string {
  const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return [
    `port ${a.port}`,
    `bind ${a.host}`,
    // Bound to loopback without a password: protected mode would only get in the way.
    'protected-mode no',
    `dir ${q(a.dataDir)}`,
    'daemonize no',
    'save ""',
    `appendonly ${a.persistence ? 'yes' : 'no'}`,
    'appendfsync everysec',
    'loglevel warning',
    'logfile ""',
    'databases 16',
    '',
  ].join('\n');
}

async function spawnAndWait(a: SpawnArgs): Promise<ChildProcess> {
  const child = spawn(a.bin, ['-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.stdin?.on('error', () => {}); // EPIPE if it dies first; reported through 'exit'
  child.stdin?.end(redisConf(a));

  let exited: string | undefined;
  let spawnError: EmbeddedRedisError | undefined;
  child.once('error', (err: NodeJS.ErrnoException) => {
    exited ??= 'error';
    spawnError = new EmbeddedRedisError(
      err.code === 'ENOENT' ? `${a.bin} not found: install Redis (apt-get install -y redis-server) or set HEADWATER_REDIS_URL` : `cannot start ${a.bin}: ${err.message}`,
    );
  });
  // 'close' rather than 'exit': by then stdout/stderr are drained, so `output` has the reason.
  child.once('close', (code, signal) => {
    exited ??= signal ?? `code ${code}`;
  });
  trackChild(child);

  const deadline = Date.now() + a.timeoutMs;
  try {
    for (;;) {
      if (spawnError !== undefined) throw spawnError;
      if (exited !== undefined) {
        throw new EmbeddedRedisError(`redis-server on ${a.host}:${a.port} exited (${exited}) during startup: ${output.trim()}`);
      }
      if (await isReady(a.host, a.port, child.pid)) return child;
      if (Date.now() > deadline) throw new EmbeddedRedisError(`redis-server on ${a.host}:${a.port} did not answer PING within ${a.timeoutMs} ms: ${output.trim()}`);
      await new Promise((r) => setTimeout(r, PING_INTERVAL_MS));
    }
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), STOP_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * True when the server on host:port is `pid` (INFO's process_id: another server already on the
 * port must not pass for ours) and answers `+PONG` (not `-LOADING` while it replays its data).
 */
function isReady(host: string, port: number, pid: number | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let reply = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\nINFO server\r\n'));
    sock.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      // Replies: "+PONG\r\n" (or "-LOADING …\r\n"), then "$<len>\r\n<info>\r\n".
      const first = reply.indexOf('\r\n');
      if (first < 0) return;
      if (!reply.startsWith('+PONG')) return done(false);
      const header = /^\$(\d+)\r\n/.exec(reply.slice(first + 2));
      if (!header) return;
      const bodyStart = first + 2 + header[0].length;
      if (reply.length < bodyStart + Number(header[1])) return;
      const m = /process_id:(\d+)/.exec(reply.slice(bodyStart));
      done(m !== null && Number(m[1]) === pid);
    });
  });
}

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
