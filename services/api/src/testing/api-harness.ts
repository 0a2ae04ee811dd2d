import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createS3Client } from '@headwater/archive';
import { KeyStore } from '@headwater/auth';
import { loadConfig } from '@headwater/config';
import { LiveSessionStore } from '@headwater/live';
import { createLogger } from '@headwater/log';
import { startRedisServer, startS3Server } from '@headwater/testkit';
import type { RedisServer, S3Server } from '@headwater/testkit';
import { createApiServer } from '../api-server.js';
import type { ApiServer, ApiServerOptions } from '../api-server.js';
import { createPlaybackHandler } from '../playback.js';

export const BUCKET = 'headwater-test';
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface Answer {
  method: string;
  path: string;
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** One API server on a real Redis and s3rver, with everything it answered and logged kept for leak checks. */
export interface ApiHarness {
  readonly redisServer: RedisServer;
  readonly s3Server: S3Server;
  readonly redis: Redis;
  readonly s3: S3Client;
  readonly keyStore: KeyStore;
  readonly liveSessions: LiveSessionStore;
  readonly queue: Queue;
  readonly server: ApiServer;
  readonly port: number;
  readonly baseUrl: string;
  readonly staticDir: string;
  /** Every response `call` received. */
  readonly answers: Answer[];
  /** Every log line. */
  readonly logLines: string[];
  /** A request to the server; `token: null` sends no Authorization header. */
  call(method: string, target: string, opts?: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<Answer>;
  /** Another connection to the test Redis (closed by `stop`). */
  connection(): Redis;
  stop(): Promise<void>;
}

export async function startApiHarness(over: Partial<ApiServerOptions> = {}): Promise<ApiHarness> {
  const redisServer = await startRedisServer({ persistence: false });
  const s3Server = await startS3Server({ buckets: [BUCKET] });
  const connections: Redis[] = [];
  const connection = (): Redis => {
    const c = new Redis(redisServer.url, { maxRetriesPerRequest: null });
    // Outage tests cut the server: the reconnect attempts are expected.
    c.on('error', () => undefined);
    connections.push(c);
    return c;
  };
  const redis = connection();
  const s3 = createS3Client(s3Server);
  const staticDir = await mkdtemp(path.join(tmpdir(), 'headwater-static-'));
  const logLines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
  const keyStore = new KeyStore(redis);
  const liveSessions = new LiveSessionStore(redis);
  const queue = new Queue(`test-segments-${randomUUID()}`, { connection: connection() });
  queue.on('error', () => undefined);
  const server = createApiServer({
    config: loadConfig({}, { cwd: staticDir }),
    redis,
    s3,
    bucket: BUCKET,
    keyStore,
    liveSessions,
    segmentQueue: queue,
    logger,
    adminToken: ADMIN_TOKEN,
    staticDir,
    playback: createPlaybackHandler({ s3, bucket: BUCKET, logger }),
    ...over,
  });
  const port = await server.listen('127.0.0.1', 0);
  const baseUrl = `http://127.0.0.1:${port}`;
  const answers: Answer[] = [];

  return {
    redisServer,
    s3Server,
    redis,
    s3,
    keyStore,
    liveSessions,
    queue,
    server,
    port,
    baseUrl,
    staticDir,
    answers,
    logLines,
    connection,
    async call(method, target, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = opts.rawBody;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${baseUrl}${target}`, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const answer = { method, path: target, status: res.status, headers: res.headers, text, json };
      answers.push(answer);
      return answer;
    },
    async stop() {
      await server.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      for (const c of connections) c.disconnect();
      s3.destroy();
      await s3Server.stop();
      await redisServer.stop();
      await rm(staticDir, { recursive: true, force: true });
    },
  };
}
