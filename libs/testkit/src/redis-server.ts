import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedRedis } from '@headwater/config';

export interface RedisServerOptions {
  /** `0` or unset = a free port. */
  port?: number;
  /** Unset = a fresh temporary directory, deleted by `stop()`. */
  dataDir?: string;
  /** Keep data across `restart()` (append-only file). @defaultValue true */
  persistence?: boolean;
}

/** A real `redis-server` on 127.0.0.1 for one test file. */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server and deletes the temporary data directory if we made it. Final. */
  stop(): Promise<void>;
  /** Stops (if running) and starts again on the same port with the same data (to test reconnects). */
  restart(): Promise<void>;
  /**
   * Stops the server without deleting anything: connections are cut and new ones refused, as in
   * an outage, for as long as the test wants; `restart()` ends it (same port, same data, as far as
   * the append-only file kept it: it is flushed on the way down). For outage tests.
   */
  pause(): Promise<void>;
}

/**
 * Spawns a real `redis-server` bound to 127.0.0.1 with its own data directory and resolves once
 * it answers PING. The same launcher the product uses for its embedded Redis
 * (`startEmbeddedRedis` from `@headwater/config`), so tests exercise it too.
 */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'headwater-redis-')));
  let redis;
  try {
    redis = await startEmbeddedRedis({ dataDir, host: '127.0.0.1', port: opts.port ?? 0, persistence: opts.persistence ?? true });
  } catch (err) {
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const server = redis;
  let stopped = false;
  return {
    url: server.url,
    port: server.port,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop(): the server and its data are gone');
      await server.restart();
    },
    async pause() {
      if (stopped) throw new Error('pause() after stop(): the server and its data are gone');
      await server.stop();
    },
  };
}
