import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { recoverArchives, type ArchiveResult, type SessionArchive } from '@headwater/archive';
import { KeyStore, createAuthenticator } from '@headwater/auth';
import type { HeadwaterConfig } from '@headwater/config';
import { SEGMENT_QUEUE_NAME } from '@headwater/jobs';
import type { Logger } from '@headwater/log';
import {
  archiveConsumerFactory,
  loadTlsMaterial,
  transcodeConsumerFactory,
  startIngestServer,
  validFlvPrefixBytes,
  type ConsumerFactory,
  type IngestHooks,
  type IngestServer,
  type PlaybackSession,
  type SessionInfo,
} from '@headwater/ingest';
import { startInfrastructure, type Infrastructure } from './infrastructure.js';

export interface Pipeline {
  config: HeadwaterConfig;
  infra: Infrastructure;
  keyStore: KeyStore;
  ingest: IngestServer;
  /** Where the transcoder feed enqueues segment jobs (`transcode.enabled`), else undefined. */
  segmentQueue: Queue | undefined;
  /** Archives of sessions a previous run left unfinished, completed at this start. */
  recovered: Promise<number>;
  stop(opts?: { graceMs?: number }): Promise<void>;
}

export interface PipelineOptions {
  /** Redis and S3 already started (other roles of this process use them too); stop() leaves them running. */
  infra?: Infrastructure;
  hooks?: IngestHooks;
  /** Archives still writing or uploading (metrics sample their spool and lag). */
  openArchives?: Set<SessionArchive>;
  /** A session's archive is complete in S3 (webhooks). */
  onArchived?: (info: SessionInfo, result: ArchiveResult) => void;
  /** Where each publish's renditions go (its playback session), once its first segment is cut. */
  onPlayback?: (sourceSessionId: string, playback: PlaybackSession) => void;
  /** Extra consumers (the transcoder feed) next to the archive. */
  consumers?: ConsumerFactory[];
}

/** The composition root: infrastructure, auth, ingest, archive; used by `headwater start` and e2e tests. */
export async function startPipeline(config: HeadwaterConfig, logger: Logger, opts: PipelineOptions = {}): Promise<Pipeline> {
  const infra = opts.infra ?? (await startInfrastructure(config, logger));
  const keyStore = new KeyStore(infra.redis);
  const authenticator = createAuthenticator(config.auth, { keyStore, logger });

  const consumers: ConsumerFactory[] = [...(opts.consumers ?? [])];
  if (config.archive.enabled) {
    consumers.unshift(
      archiveConsumerFactory({
        s3: infra.s3,
        bucket: infra.bucket,
        spoolDir: config.archive.spoolDir,
        partBytes: config.archive.partBytes,
        logger,
        ...(opts.openArchives ? { openArchives: opts.openArchives } : {}),
        ...(opts.onArchived ? { onArchived: opts.onArchived } : {}),
      }),
    );
  }
  let segmentQueue: Queue | undefined;
  let queueConnection: Redis | undefined;
  if (config.transcode.enabled) {
    // BullMQ wants its own connection that retries forever (maxRetriesPerRequest: null).
    queueConnection = new Redis(infra.redisUrl, { maxRetriesPerRequest: null });
    queueConnection.on('error', (err) => logger.warn({ reason: err.message }, 'segment queue redis error'));
    segmentQueue = new Queue(SEGMENT_QUEUE_NAME, { connection: queueConnection });
    // Without a listener BullMQ prints every refused connection itself, past the logger.
    segmentQueue.on('error', (err) => logger.warn({ reason: err.message }, 'segment queue error'));
    consumers.push(
      transcodeConsumerFactory({
        s3: infra.s3,
        bucket: infra.bucket,
        redis: infra.redis,
        queue: segmentQueue,
        logger,
        ladder: { segmentDurationMs: config.transcode.segmentDurationMs },
        reconnectGraceMs: config.transcode.reconnectGraceMs,
        ...(opts.onPlayback ? { onPlayback: opts.onPlayback } : {}),
      }),
    );
  }
  // Finish what a killed predecessor left in the spool, in the background: ingest starts at once.
  const recovery = new AbortController();
  const recovered = config.archive.enabled
    ? recoverArchives({ spoolDir: config.archive.spoolDir, s3: infra.s3, logger, repair: validFlvPrefixBytes, signal: recovery.signal })
        .then((results) => {
          for (const r of results) logger.info({ objectKey: r.key, bytes: r.bytes }, 'recovered archive completed');
          return results.length;
        })
        .catch((err: Error) => {
          logger.error({ reason: err.message }, 'archive recovery stopped');
          return 0;
        })
    : Promise.resolve(0);

  const tlsMaterial = config.rtmps.port !== null
    ? await loadTlsMaterial({ certFile: config.rtmps.certFile, keyFile: config.rtmps.keyFile, dataDir: config.dataDir, hostname: config.publicHost })
    : undefined;

  const ingest = await startIngestServer({
    host: config.host,
    rtmpPort: config.rtmp.port,
    rtmpsPort: config.rtmps.port,
    tls: tlsMaterial,
    app: config.rtmp.app,
    limits: config.limits,
    publishTakeover: config.limits.publishTakeover,
    logger,
    authenticator,
    consumers,
    ...(opts.hooks ? { hooks: opts.hooks } : {}),
  });

  return {
    config,
    infra,
    keyStore,
    ingest,
    segmentQueue,
    recovered,
    async stop({ graceMs = 5000 } = {}) {
      await ingest.close({ graceMs });
      await segmentQueue?.close();
      queueConnection?.disconnect();
      recovery.abort();
      await recovered;
      if (!opts.infra) await infra.stop();
    },
  };
}
