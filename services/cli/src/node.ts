import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createApiServer, createPlaybackHandler, type ApiServer } from '@headwater/api';
import type { SessionArchive } from '@headwater/archive';
import { KeyStore } from '@headwater/auth';
import type { HeadwaterConfig } from '@headwater/config';
import type { IngestHooks, PublishSnapshot } from '@headwater/ingest';
import { SEGMENT_QUEUE_NAME } from '@headwater/jobs';
import { LiveSessionStore, subscribeKicks } from '@headwater/live';
import type { Logger } from '@headwater/log';
import {
  archiveMonitor,
  createMetrics,
  ingestObserver,
  instrumentQueues,
  instrumentSegmentWorker,
  instrumentWorker,
  startMetricsServer,
  type Metrics,
  type MetricsServer,
} from '@headwater/metrics';
import { WEBHOOK_QUEUE_NAME, WebhookEmitter, firstPublish, startWebhookDelivery } from '@headwater/webhooks';
import { startWorker, type SegmentWorker } from '@headwater/worker';
import { configuredS3Client, startInfrastructure, type Infrastructure } from './infrastructure.js';
import { startLiveReporter, type LiveReporter } from './live-reporter.js';
import { startPipeline, type Pipeline } from './pipeline.js';

/** What one process can run; `headwater start` without roles runs all three. */
export const ROLES = ['ingest', 'worker', 'api'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** The admin token: from the settings, else the one generated on the first start (kept 0600 under dataDir). */
export async function adminTokenFor(config: HeadwaterConfig): Promise<{ token: string; generated: boolean; file: string | undefined }> {
  if (config.api.adminToken !== undefined) return { token: config.api.adminToken, generated: false, file: undefined };
  const file = path.join(config.dataDir, 'admin-token');
  const existing = await readFile(file, 'utf8').then((t) => t.trim(), () => '');
  if (existing.length >= 16) return { token: existing, generated: false, file };
  const token = `hwa_${randomBytes(24).toString('base64url')}`;
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { token, generated: true, file };
}

export interface NodeOptions {
  /** Extra ingest hooks (tests watch publishes with them). */
  hooks?: IngestHooks;
}

/** A running `headwater start`: the roles it runs, and how to stop them in order. */
export interface HeadwaterNode {
  readonly roles: ReadonlySet<Role>;
  readonly infra: Infrastructure;
  readonly metrics: Metrics;
  readonly pipeline: Pipeline | undefined;
  readonly worker: SegmentWorker | undefined;
  /** Port of the api role's HTTP server, when it runs. */
  readonly apiPort: number | undefined;
  /** Port of the stand-alone metrics server (a process without the api role). */
  readonly metricsPort: number | undefined;
  readonly adminToken: { token: string; generated: boolean; file: string | undefined } | undefined;
  stop(opts?: { graceMs?: number }): Promise<void>;
}

/**
 * The composition root of `headwater start [ingest] [worker] [api]`. Every role shares this
 * process's Redis/S3 clients, metrics registry and webhook emitter; roles in other processes meet
 * through Redis (queues, packaging state, live sessions, kicks) and S3 only.
 */
export async function startNode(config: HeadwaterConfig, logger: Logger, roles: ReadonlySet<Role>, opts: NodeOptions = {}): Promise<HeadwaterNode> {
  const infra = await startInfrastructure(config, logger);
  const metrics = createMetrics({ nodeId: config.nodeId });
  // BullMQ connections retry forever (maxRetriesPerRequest: null), unlike the request/response client.
  const bull = new Redis(infra.redisUrl, { maxRetriesPerRequest: null });
  bull.on('error', (err) => logger.warn({ reason: err.message }, 'queue redis error'));
  const webhooks = config.webhooks.urls.length > 0 ? new WebhookEmitter({ connection: bull, urls: config.webhooks.urls, logger }) : undefined;
  const liveSessions = new LiveSessionStore(infra.redis);
  /** Run in order at stop: readers and workers first (they need Redis and S3), ingest last. */
  const stops: ((graceMs: number) => Promise<void>)[] = [];

  let pipeline: Pipeline | undefined;
  if (roles.has('ingest')) {
    const observer = ingestObserver(metrics);
    const archives = archiveMonitor(metrics);
    const openArchives = new Set<SessionArchive>();
    // Hooks can fire as soon as the listeners are up, before the reporter exists.
    const live: { reporter?: LiveReporter } = {};
    const hooks: IngestHooks = {
      publishStarted(s: PublishSnapshot) {
        observer.publishStarted(s);
        live.reporter?.started(s);
        webhooks?.emit('publish.started', { channelId: s.info.channelId, sessionId: s.info.sessionId, nodeId: config.nodeId, app: s.info.app, startedAt: s.info.startedAt.toISOString() });
        opts.hooks?.publishStarted?.(s);
      },
      publishStopped(s, reason) {
        observer.publishStopped(s, reason);
        live.reporter?.stopped(s);
        webhooks?.emit('publish.stopped', { channelId: s.info.channelId, sessionId: s.info.sessionId, reason, durationMs: Date.now() - s.info.startedAt.getTime(), bytesIn: s.bytesIn });
        opts.hooks?.publishStopped?.(s, reason);
      },
      authDenied(info) {
        observer.authDenied(info);
        webhooks?.emit('auth.denied', { reason: info.reason, app: config.rtmp.app, connectionId: info.connectionId });
        opts.hooks?.authDenied?.(info);
      },
      connectionFailed(info) {
        observer.connectionFailed(info);
        opts.hooks?.connectionFailed?.(info);
      },
    };
    const started = await startPipeline(config, logger, {
      infra,
      hooks,
      openArchives,
      onArchived: (info, result) => webhooks?.emit('session.archived', { channelId: info.channelId, sessionId: info.sessionId, key: result.key, bytes: result.bytes }),
      onPlayback: (source, playback) => live.reporter?.playback(source, playback.sessionId),
    });
    pipeline = started;
    const reporter = startLiveReporter({
      store: liveSessions,
      nodeId: config.nodeId,
      publishes: () => started.ingest.publishes(),
      logger,
      extra: () => {
        observer.sampleIngest(started.ingest.publishes(), started.ingest.connectionCount());
        archives.sampleArchives([...openArchives]);
      },
    });
    // Kicks come from the API of any node: a dedicated connection (a subscriber can do nothing else).
    const kickRedis = new Redis(infra.redisUrl);
    kickRedis.on('error', (err) => logger.warn({ reason: err.message }, 'kick subscription redis error'));
    const unsubscribe = await subscribeKicks(kickRedis, (channelId) => {
      if (started.ingest.kick(channelId)) logger.info({ channelId }, 'publisher kicked');
    });
    live.reporter = reporter;
    stops.push(async (graceMs) => {
      await unsubscribe().catch(() => undefined);
      kickRedis.disconnect();
      await reporter.close();
      await started.stop({ graceMs });
    });
  }

  let worker: SegmentWorker | undefined;
  // All roles in one process honour workerConcurrency 0 (workers run elsewhere); `start worker` always works.
  const workerConcurrency = roles.size === 1 ? Math.max(1, config.transcode.workerConcurrency) : config.transcode.workerConcurrency;
  if (roles.has('worker') && workerConcurrency > 0) {
    const segmentWorker = startWorker({
      connection: bull,
      concurrency: workerConcurrency,
      s3: infra.s3,
      bucket: infra.bucket,
      handleSignals: false,
      ...(config.transcode.ffmpegThreads > 0 ? { threads: config.transcode.ffmpegThreads } : {}),
      events: {
        segmentPublished(job, p) {
          if (firstPublish(p.publishedCountBefore, p.publishedCount)) {
            webhooks?.emit('renditions.ready', { channelId: job.channelId, sessionId: job.sessionId, outputPrefix: job.outputPrefix, renditions: [...p.renditions] });
          }
        },
        segmentGap(job, reason) {
          webhooks?.emit('transcode.failed', { channelId: job.channelId, sessionId: job.sessionId, index: job.index, reason });
        },
      },
    });
    worker = segmentWorker;
    instrumentSegmentWorker(segmentWorker.worker, metrics);
    stops.unshift(() => segmentWorker.close());
  }
  if (roles.has('worker') && config.webhooks.secret !== undefined && config.webhooks.urls.length > 0) {
    const d = startWebhookDelivery({ connection: bull, secret: config.webhooks.secret, logger });
    instrumentWorker(d.worker, metrics);
    stops.unshift(() => d.close());
  }

  let apiPort: number | undefined;
  let adminToken: HeadwaterNode['adminToken'];
  let metricsServer: MetricsServer | undefined;
  if (roles.has('api')) {
    const segmentQueue = pipeline?.segmentQueue ?? new Queue(SEGMENT_QUEUE_NAME, { connection: bull });
    const webhookQueue = new Queue(WEBHOOK_QUEUE_NAME, { connection: bull });
    for (const q of [segmentQueue, webhookQueue]) q.on('error', (err) => logger.warn({ reason: err.message }, 'queue error'));
    instrumentQueues([segmentQueue, webhookQueue], metrics);
    adminToken = await adminTokenFor(config);
    // Browsers download recordings from where they can reach S3, which may not be where the roles do.
    const presignS3 = config.s3.publicEndpoint && config.s3.endpoint ? configuredS3Client(config, config.s3.publicEndpoint) : undefined;
    const api: ApiServer = createApiServer({
      config,
      redis: infra.redis,
      s3: infra.s3,
      bucket: infra.bucket,
      keyStore: pipeline?.keyStore ?? new KeyStore(infra.redis),
      liveSessions,
      segmentQueue,
      registry: metrics.registry,
      playback: createPlaybackHandler({ s3: infra.s3, bucket: infra.bucket, logger }),
      logger,
      adminToken: adminToken.token,
      ...(presignS3 ? { presignS3 } : {}),
    });
    if (config.http.port !== null) apiPort = await api.listen(config.host, config.http.port);
    stops.unshift(async () => {
      await api.close();
      presignS3?.destroy();
      await webhookQueue.close();
      if (segmentQueue !== pipeline?.segmentQueue) await segmentQueue.close();
    });
  } else if (config.metrics.port !== null) {
    const server = await startMetricsServer({
      host: config.host,
      port: config.metrics.port,
      registry: metrics.registry,
      ready: async () => (await infra.redis.ping()) === 'PONG',
    });
    metricsServer = server;
    stops.unshift(() => server.close());
  }

  let stopping: Promise<void> | undefined;
  return {
    roles,
    infra,
    metrics,
    pipeline,
    worker,
    apiPort,
    metricsPort: metricsServer?.port,
    adminToken,
    stop({ graceMs = 5000 } = {}) {
      stopping ??= (async () => {
        for (const stop of stops) await stop(graceMs).catch((err: unknown) => logger.warn({ reason: err instanceof Error ? err.message : String(err) }, 'stop step failed'));
        await webhooks?.close();
        bull.disconnect();
        await infra.stop();
      })();
      return stopping;
    },
  };
}
