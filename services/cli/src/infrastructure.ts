import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { EMBEDDED_S3_ACCESS_KEY_ID, EMBEDDED_S3_REGION, EMBEDDED_S3_SECRET_ACCESS_KEY, createS3Client, startEmbeddedS3, type EmbeddedS3 } from '@headwater/archive';
import { startEmbeddedRedis, type EmbeddedRedis, type HeadwaterConfig } from '@headwater/config';
import type { Logger } from '@headwater/log';

/** Where a running pipeline records its embedded services, so `headwater keys` can find them. */
function runFile(dataDir: string): string {
  return path.join(dataDir, 'run.json');
}

interface RunInfo {
  pid: number;
  redisUrl?: string;
  /** The embedded S3 server's endpoint (loopback; its credentials are s3rver's fixed ones). */
  s3Endpoint?: string;
}

function runningPipeline(dataDir: string): RunInfo | null {
  if (!existsSync(runFile(dataDir))) return null;
  try {
    const info = JSON.parse(readFileSync(runFile(dataDir), 'utf8')) as RunInfo;
    return isAlive(info.pid) ? info : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A client for a configured (not embedded) S3 endpoint: `s3.endpoint`, or the public one browsers use. */
export function configuredS3Client(config: HeadwaterConfig, endpoint: string): S3Client {
  return createS3Client({
    endpoint,
    region: config.s3.region,
    accessKeyId: config.s3.accessKeyId ?? '',
    secretAccessKey: config.s3.secretAccessKey ?? '',
    forcePathStyle: config.s3.forcePathStyle,
  });
}

export interface Infrastructure {
  redis: Redis;
  redisUrl: string;
  s3: S3Client;
  bucket: string;
  /** Stops what this process started (embedded Redis and S3). */
  stop(): Promise<void>;
}

/**
 * Redis and S3 as configured, or embedded ones on loopback with their data under dataDir:
 * the out-of-the-box default, and what tests use.
 */
export async function startInfrastructure(config: HeadwaterConfig, logger: Logger, opts: { embeddedS3Port?: number } = {}): Promise<Infrastructure> {
  let embeddedRedis: EmbeddedRedis | undefined;
  let embeddedS3: EmbeddedS3 | undefined;
  await mkdir(config.dataDir, { recursive: true });

  // Another process of this data dir (`headwater start` with other roles) may run the embedded
  // services already: share them rather than start a second pair on the same data.
  const running = runningPipeline(config.dataDir);
  let redisUrl = config.redis.url ?? running?.redisUrl;
  if (!redisUrl) {
    embeddedRedis = await startEmbeddedRedis({ dataDir: path.join(config.dataDir, 'redis') });
    redisUrl = embeddedRedis.url;
    logger.info({ port: embeddedRedis.port }, 'embedded redis-server started');
  }

  let s3: S3Client;
  if (config.s3.endpoint) {
    s3 = configuredS3Client(config, config.s3.endpoint);
  } else if (running?.s3Endpoint) {
    s3 = createS3Client({ endpoint: running.s3Endpoint, region: EMBEDDED_S3_REGION, accessKeyId: EMBEDDED_S3_ACCESS_KEY_ID, secretAccessKey: EMBEDDED_S3_SECRET_ACCESS_KEY });
  } else {
    embeddedS3 = await startEmbeddedS3({ dataDir: path.join(config.dataDir, 's3'), port: opts.embeddedS3Port ?? 0, buckets: [config.s3.bucket] });
    s3 = createS3Client(embeddedS3);
    logger.info({ endpoint: embeddedS3.endpoint }, 'embedded S3 server started');
  }
  // S3 being down at start is not fatal: sessions spool to disk and upload when it returns.
  await ensureBucket(s3, config.s3.bucket).catch((err: Error) => logger.warn({ reason: err.name }, 'S3 bucket check failed; archives will spool until S3 answers'));

  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false });
  redis.on('error', (err) => logger.warn({ reason: err.message }, 'redis connection error'));
  // Only the process that runs embedded services advertises them.
  const owner = embeddedRedis !== undefined || embeddedS3 !== undefined;
  if (owner) await writeFile(runFile(config.dataDir), JSON.stringify({ pid: process.pid, redisUrl, ...(embeddedS3 ? { s3Endpoint: embeddedS3.endpoint } : {}) } satisfies RunInfo));

  return {
    redis,
    redisUrl,
    s3,
    bucket: config.s3.bucket,
    async stop() {
      redis.disconnect();
      s3.destroy();
      if (owner) await rm(runFile(config.dataDir), { force: true });
      await embeddedS3?.stop();
      await embeddedRedis?.stop();
    },
  };
}

/**
 * A Redis connection for one-off commands (`headwater keys`): the configured one, the running
 * pipeline's embedded one, or an embedded one started just for this command.
 */
export async function connectRedisForCommand(config: HeadwaterConfig): Promise<{ redis: Redis; url: string; close(): Promise<void> }> {
  let url = config.redis.url ?? runningPipeline(config.dataDir)?.redisUrl;
  let embedded: EmbeddedRedis | undefined;
  if (!url) {
    embedded = await startEmbeddedRedis({ dataDir: path.join(config.dataDir, 'redis') });
    url = embedded.url;
  }
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  return {
    redis,
    url,
    async close() {
      await redis.quit().catch(() => undefined);
      await embedded?.stop();
    },
  };
}

/** An S3 client for one-off commands (`headwater vod`), found the same way as {@link connectRedisForCommand}. */
export async function connectS3ForCommand(config: HeadwaterConfig): Promise<{ s3: S3Client; close(): Promise<void> }> {
  if (config.s3.endpoint) {
    const s3 = configuredS3Client(config, config.s3.endpoint);
    return { s3, close: async () => s3.destroy() };
  }
  const running = runningPipeline(config.dataDir)?.s3Endpoint;
  const embedded = running ? undefined : await startEmbeddedS3({ dataDir: path.join(config.dataDir, 's3'), buckets: [config.s3.bucket] });
  const s3 = createS3Client(embedded ?? { endpoint: running as string, region: EMBEDDED_S3_REGION, accessKeyId: EMBEDDED_S3_ACCESS_KEY_ID, secretAccessKey: EMBEDDED_S3_SECRET_ACCESS_KEY });
  return {
    s3,
    async close() {
      s3.destroy();
      await embedded?.stop();
    },
  };
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}
