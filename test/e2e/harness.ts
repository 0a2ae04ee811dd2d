import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { loadConfig, type HeadwaterConfig } from '@headwater/config';
import { createLogger, type Logger } from '@headwater/log';
import { FlvReader, type FlvTag } from '@headwater/flv';
import { startPipeline, type Pipeline } from '@headwater/cli';
import type { EndReason, PublishSnapshot } from '@headwater/ingest';
import { startRedisServer, startS3Server, type RedisServer, type S3Server } from '@headwater/testkit';
import { Writable } from 'node:stream';

export interface Harness {
  pipeline: Pipeline;
  redis: RedisServer;
  s3server: S3Server;
  config: HeadwaterConfig;
  /** Every log line written, for asserting on (and for secrets never appearing). */
  logs: string[];
  /** Every publish that has stopped (consumers flushed), in the order they finished. */
  stops: { channelId: string; sessionId: string; reason: EndReason }[];
  rtmpUrl(key: string): string;
  rtmpsUrl(key: string): string;
  /** Resolves when the channel's next publish has stopped and its consumers have flushed. */
  stopped(channelId: string): Promise<{ snapshot: PublishSnapshot; reason: EndReason }>;
  close(): Promise<void>;
}

/** A whole pipeline in this process against a real redis-server and a real S3 API server. */
export function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  return startHarnessWith({ env });
}

export async function listArchives(s3: S3Client, bucket: string, channelId: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `archives/${channelId}/` }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

export async function getObject(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return out.Body!.transformToByteArray();
}

/** Copies every object under `prefix` (a session's outputs) into `dir`, keeping the relative paths, for ffmpeg. */
export async function downloadPrefix(s3: S3Client, bucket: string, prefix: string, dir: string): Promise<string> {
  let token: string | undefined;
  do {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of listed.Contents ?? []) {
      const key = o.Key as string;
      const file = path.join(dir, key.slice(prefix.length));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, await getObject(s3, bucket, key));
    }
    token = listed.NextContinuationToken;
  } while (token);
  return dir;
}

/** Segment indices a media playlist lists (in order), and those marked EXT-X-GAP. */
export function playlistSegments(media: string): { indices: number[]; gaps: number[] } {
  const indices: number[] = [];
  const gaps: number[] = [];
  let gap = false;
  for (const line of media.split('\n')) {
    if (line === '#EXT-X-GAP') gap = true;
    const m = /^seg-(\d+)\.m4s$/.exec(line);
    if (m) {
      indices.push(Number(m[1]));
      if (gap) gaps.push(Number(m[1]));
      gap = false;
    }
  }
  return { indices, gaps };
}

/** 0, 1, …, n-1. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export function readTags(bytes: Uint8Array): FlvTag[] {
  const reader = new FlvReader();
  const tags = reader.push(bytes);
  reader.end();
  return tags;
}

export interface HarnessOptions {
  /** HEADWATER_* settings on top of the harness defaults. */
  env?: Record<string, string>;
  /** Pause the S3 server before the pipeline starts (an outage at start); `s3server.restart()` ends it. */
  s3Down?: boolean;
}

/** {@link startHarness} with options (settings, an S3 outage at start). */
export async function startHarnessWith(opts: HarnessOptions = {}): Promise<Harness> {
  const redis = await startRedisServer();
  const s3server = await startS3Server({ buckets: ['headwater-test'] });
  if (opts.s3Down) await s3server.pause();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'headwater-e2e-'));
  const loaded = loadConfig({
    HEADWATER_DATA_DIR: dataDir,
    HEADWATER_HOST: '127.0.0.1',
    HEADWATER_REDIS_URL: redis.url,
    HEADWATER_S3_ENDPOINT: s3server.endpoint,
    HEADWATER_S3_BUCKET: 'headwater-test',
    HEADWATER_S3_ACCESS_KEY_ID: s3server.accessKeyId,
    HEADWATER_S3_SECRET_ACCESS_KEY: s3server.secretAccessKey,
    HEADWATER_AUTH_FAIL_DELAY_MS: '20',
    HEADWATER_AUTH_MAX_FAIL_DELAY_MS: '50',
    HEADWATER_AUTH_MAX_FAILURES_PER_IP_PER_MINUTE: '0',
    HEADWATER_LOG_LEVEL: 'debug',
    // Transcoding only where a test asks for it: it is CPU the ingest tests do not need.
    HEADWATER_TRANSCODE_ENABLED: 'false',
    ...opts.env,
  });
  const config: HeadwaterConfig = { ...loaded, rtmp: { ...loaded.rtmp, port: 0 }, rtmps: { ...loaded.rtmps, port: 0 } };
  const logs: string[] = [];
  const logger: Logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString());
        cb();
      },
    }),
  });
  const stops: Harness['stops'] = [];
  const waiters = new Map<string, Array<(v: { snapshot: PublishSnapshot; reason: EndReason }) => void>>();
  let pipeline: Pipeline;
  try {
    pipeline = await startPipeline(config, logger, {
      hooks: {
        publishStopped(snapshot, reason) {
          stops.push({ channelId: snapshot.info.channelId, sessionId: snapshot.info.sessionId, reason });
          const list = waiters.get(snapshot.info.channelId) ?? [];
          waiters.delete(snapshot.info.channelId);
          for (const w of list) w({ snapshot, reason });
        },
      },
    });
  } catch (err) {
    await s3server.stop();
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    pipeline,
    redis,
    s3server,
    config,
    logs,
    stops,
    rtmpUrl: (key) => `rtmp://127.0.0.1:${pipeline.ingest.rtmpPort}/live/${key}`,
    rtmpsUrl: (key) => `rtmps://127.0.0.1:${pipeline.ingest.rtmpsPort}/live/${key}`,
    stopped: (channelId) =>
      new Promise((resolve) => {
        const list = waiters.get(channelId) ?? [];
        list.push(resolve);
        waiters.set(channelId, list);
      }),
    async close() {
      await pipeline.stop({ graceMs: 500 });
      await s3server.stop();
      await redis.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Polls `probe` every `intervalMs` until it returns something other than undefined/false, and
 * returns that; rejects after `timeoutMs` naming `what`. Probe errors count as "not yet" (a
 * server that is still down), the last one is reported on timeout.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.name}: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Why `archived` is not `sent` tag for tag (type, timestamp, body bytes), or undefined when it is.
 * With `prefix`, `archived` may stop early: it must be a prefix of `sent`.
 */
export function tagMismatch(archived: readonly FlvTag[], sent: readonly FlvTag[], opts: { prefix?: boolean } = {}): string | undefined {
  if (opts.prefix ? archived.length > sent.length : archived.length !== sent.length) {
    return `archived ${archived.length} tags, sent ${sent.length}${opts.prefix ? ' (expected a prefix)' : ''}`;
  }
  for (let i = 0; i < archived.length; i++) {
    const a = archived[i]!;
    const s = sent[i]!;
    if (a.type !== s.type || a.timestampMs !== s.timestampMs || a.body.length !== s.body.length) {
      return `tag ${i}: archived type ${a.type} ts ${a.timestampMs} ${a.body.length} bytes, sent type ${s.type} ts ${s.timestampMs} ${s.body.length} bytes`;
    }
    if (!Buffer.from(a.body).equals(Buffer.from(s.body))) return `tag ${i}: body bytes differ`;
  }
  return undefined;
}

/** Every log line (JSON) whose `msg` is `msg`, parsed. */
export function logEntries(logs: readonly string[], msg: string): Record<string, unknown>[] {
  return logs
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.msg === msg);
}
