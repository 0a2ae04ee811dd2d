import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedS3 } from '@headwater/archive';
import type { EmbeddedS3 } from '@headwater/archive';

export interface S3ServerOptions {
  /** Unset = a fresh temporary directory, deleted by `stop()`. */
  dataDir?: string;
  /** `0` or unset = a free port. */
  port?: number;
  /** Buckets to create at start. */
  buckets?: string[];
}

/**
 * A real s3rver on 127.0.0.1 for one test file. Use it with `createS3Client` from
 * `@headwater/archive` (path-style, checksums only when required: see there why).
 */
export interface S3Server {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  /** s3rver's fixed account (`S3RVER`/`S3RVER`); it does not verify SigV4 signatures. */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly dataDir: string;
  /** Stops the server (cutting open connections) and deletes the data directory if we made it. Final. */
  stop(): Promise<void>;
  /** Stops (cutting open connections, as in an outage) and starts again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops without deleting anything; `restart()` brings it back. For outage tests. */
  pause(): Promise<void>;
}

/**
 * Starts s3rver in this process with silent logging. The same launcher the product uses for its
 * embedded object store (`startEmbeddedS3` from `@headwater/archive`), so tests exercise it too.
 */
export async function startS3Server(opts: S3ServerOptions = {}): Promise<S3Server> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'headwater-s3-')));
  let current: EmbeddedS3 | null;
  try {
    current = await startEmbeddedS3({ dataDir, host: '127.0.0.1', port: opts.port ?? 0, buckets: opts.buckets ?? [] });
  } catch (err) {
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const first = current;
  let stopped = false;
  const pause = async (): Promise<void> => {
    const running = current;
    current = null;
    await running?.stop();
  };
  return {
    endpoint: first.endpoint,
    port: first.port,
    region: first.region,
    accessKeyId: first.accessKeyId,
    secretAccessKey: first.secretAccessKey,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pause();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
    pause,
    async restart() {
      if (stopped) throw new Error('restart() after stop(): the server and its data are gone');
      await pause();
      current = await startEmbeddedS3({ dataDir, host: '127.0.0.1', port: first.port });
    },
  };
}
