import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { QUEUE_STATES, attachSources, type MetricSources, type QueueLike, type QueueReading, type WorkerTrack } from './metric-sources.js';
import { readQueue } from './queue-reading.js';

/** Prefix of every metric name, the process defaults included. */
export const METRIC_PREFIX = 'headwater_';

/** Seconds a job waited in its queue before a worker took it. */
export const QUEUE_WAIT_BUCKETS_S = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
/** Seconds a job ran (segment transcodes take about a segment's duration, webhooks far less). */
export const JOB_DURATION_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120];
/** Seconds from a segment's cut (job enqueued) to its renditions in the playlists. */
export const SEGMENT_LATENCY_BUCKETS_S = [0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 60];
/** Seconds a publish lasted. */
export const PUBLISH_DURATION_BUCKETS_S = [1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400];

/** @defaultValue 2000: a scrape never hangs on an unreachable Redis (BullMQ connections retry forever). */
export const DEFAULT_COLLECT_TIMEOUT_MS = 2000;

/** Options of {@link createMetrics}. */
export interface CreateMetricsOptions {
  /** Value of the `node` label on every series (the config's `nodeId`). */
  nodeId: string;
  /** Skip the `headwater_process_*` / `headwater_nodejs_*` defaults (some tests). @defaultValue true */
  defaultMetrics?: boolean;
  /** Longest a scrape waits for one queue's counts. @defaultValue {@link DEFAULT_COLLECT_TIMEOUT_MS} */
  collectTimeoutMs?: number;
  /** Clock, ms since the epoch (tests). @defaultValue Date.now */
  nowMs?: () => number;
}

/** The ingest role's metrics (fed by `ingestObserver`). */
export interface IngestMetrics {
  connections: Gauge;
  publishesActive: Gauge;
  /** outcome: `started` | `denied`. */
  publishes: Counter<'outcome'>;
  /** reason: the ingest's EndReason. */
  publishesEnded: Counter<'reason'>;
  publishDurationSeconds: Histogram;
  /** reason: @headwater/auth DenyReason. */
  authFailures: Counter<'reason'>;
  /** code: the ProtocolError code (or other stable code) that closed the connection. */
  connectionFailures: Counter<'code'>;
  bytes: Counter<'channel'>;
  bitrateBps: Gauge<'channel'>;
}

/** The archive's metrics (fed by `archiveMonitor`). */
export interface ArchiveMetrics {
  sessions: Gauge;
  spoolBytes: Gauge;
  uploadLagBytes: Gauge;
  uploadLagSeconds: Gauge;
  uploadsRetrying: Gauge;
}

/** BullMQ queue metrics (depth read at scrape time by `instrumentQueues`, wait time by `instrumentWorker`). */
export interface QueueMetrics {
  jobs: Gauge<'queue' | 'state'>;
  oldestWaitingSeconds: Gauge<'queue'>;
  up: Gauge<'queue'>;
  waitSeconds: Histogram<'queue'>;
}

/** Per-process worker metrics (fed by `instrumentWorker`). */
export interface WorkerMetrics {
  /** outcome: `completed` | `failed`. */
  jobDurationSeconds: Histogram<'queue' | 'outcome'>;
  /** kind: see `JobFailureKind`. */
  jobFailures: Counter<'queue' | 'kind'>;
  activeJobs: Gauge<'queue'>;
  concurrency: Gauge<'queue'>;
  busyRatio: Gauge<'queue'>;
  busySeconds: Counter<'queue'>;
}

/** The segment worker's own metrics (fed by `instrumentSegmentWorker`). */
export interface TranscodeMetrics {
  segmentLatencySeconds: Histogram;
  /** kind: see `JobFailureKind`. */
  ffmpegFailures: Counter<'kind'>;
}

/** One process's registry and the typed handle of every metric of every role. */
export interface Metrics {
  readonly registry: Registry;
  readonly nodeId: string;
  readonly ingest: IngestMetrics;
  readonly archive: ArchiveMetrics;
  readonly queue: QueueMetrics;
  readonly worker: WorkerMetrics;
  readonly transcode: TranscodeMetrics;
}

/**
 * A fresh registry (never prom-client's global one: several roles and tests share a process)
 * with the default process metrics under {@link METRIC_PREFIX}, a `node` label on every series,
 * and every Headwater metric. Metrics a role does not feed stay at zero or absent.
 */
export function createMetrics(opts: CreateMetricsOptions): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ node: opts.nodeId });
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const nowMs = opts.nowMs ?? Date.now;
  const timeoutMs = opts.collectTimeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS;
  const queues = new Set<QueueLike>();
  const workers = new Set<WorkerTrack>();

  // The three queue gauges are collected concurrently by one scrape: they share one reading.
  let reading: Promise<QueueReading[]> | null = null;
  const readQueues = (): Promise<QueueReading[]> => {
    reading ??= Promise.all([...queues].map((q) => readQueue(q, timeoutMs, nowMs))).finally(() => {
      reading = null;
    });
    return reading;
  };
  const sources: MetricSources = { queues, workers, nowMs, readQueues };
  const registers = [registry];
  const name = (n: string): string => `${METRIC_PREFIX}${n}`;

  const ingest: IngestMetrics = {
    connections: new Gauge({ name: name('ingest_connections'), help: 'Open RTMP/RTMPS connections.', registers }),
    publishesActive: new Gauge({ name: name('ingest_publishes_active'), help: 'Live publishes on this node.', registers }),
    publishes: new Counter({ name: name('ingest_publishes_total'), help: 'Publish attempts by outcome (started, denied).', labelNames: ['outcome'], registers }),
    publishesEnded: new Counter({ name: name('ingest_publishes_ended_total'), help: 'Publishes ended, by reason.', labelNames: ['reason'], registers }),
    publishDurationSeconds: new Histogram({ name: name('ingest_publish_duration_seconds'), help: 'How long publishes lasted.', buckets: PUBLISH_DURATION_BUCKETS_S, registers }),
    authFailures: new Counter({ name: name('ingest_auth_failures_total'), help: 'Refused publishes, by deny reason.', labelNames: ['reason'], registers }),
    connectionFailures: new Counter({ name: name('ingest_connection_failures_total'), help: 'Connections closed by an error, by code.', labelNames: ['code'], registers }),
    bytes: new Counter({ name: name('ingest_bytes_total'), help: 'Media bytes received, by channel.', labelNames: ['channel'], registers }),
    bitrateBps: new Gauge({ name: name('ingest_bitrate_bps'), help: 'Ingest bitrate over the last sampling period, bits/s, by channel.', labelNames: ['channel'], registers }),
  };

  const archive: ArchiveMetrics = {
    sessions: new Gauge({ name: name('archive_sessions'), help: 'Archives being written or uploaded.', registers }),
    spoolBytes: new Gauge({ name: name('archive_spool_bytes'), help: 'Bytes in the local spool files of those archives.', registers }),
    uploadLagBytes: new Gauge({ name: name('archive_upload_lag_bytes'), help: 'Bytes accepted but not yet acknowledged by S3.', registers }),
    uploadLagSeconds: new Gauge({ name: name('archive_upload_lag_seconds'), help: 'Age of the oldest byte not yet in S3, seconds (worst archive).', registers }),
    uploadsRetrying: new Gauge({ name: name('archive_uploads_retrying'), help: 'Archives whose current S3 call failed and waits to retry.', registers }),
  };

  const queue: QueueMetrics = {
    jobs: new Gauge({
      name: name('queue_jobs'),
      help: 'Jobs per queue and state, read from Redis at scrape time.',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        for (const r of await readQueues()) {
          for (const state of QUEUE_STATES) {
            if (r.counts === null) this.remove({ queue: r.queue, state });
            else this.set({ queue: r.queue, state }, r.counts[state]);
          }
        }
      },
    }),
    oldestWaitingSeconds: new Gauge({
      name: name('queue_oldest_waiting_seconds'),
      help: 'Age of the oldest job waiting without priority, seconds (0 when none).',
      labelNames: ['queue'],
      registers,
      async collect() {
        for (const r of await readQueues()) {
          if (r.counts === null) this.remove({ queue: r.queue });
          else this.set({ queue: r.queue }, r.oldestWaitingS);
        }
      },
    }),
    up: new Gauge({
      name: name('queue_up'),
      help: '1 when the queue answered the scrape in time, else 0.',
      labelNames: ['queue'],
      registers,
      async collect() {
        for (const r of await readQueues()) this.set({ queue: r.queue }, r.counts === null ? 0 : 1);
      },
    }),
    waitSeconds: new Histogram({ name: name('queue_wait_seconds'), help: 'Time jobs waited before their first attempt started.', labelNames: ['queue'], buckets: QUEUE_WAIT_BUCKETS_S, registers }),
  };

  /** Sums per queue over the instrumented workers (two workers of one queue in a process add up). */
  const perQueue = (f: (w: WorkerTrack) => number): Map<string, number> => {
    const sums = new Map<string, number>();
    for (const w of workers) sums.set(w.queue, (sums.get(w.queue) ?? 0) + f(w));
    return sums;
  };
  const worker: WorkerMetrics = {
    jobDurationSeconds: new Histogram({ name: name('job_duration_seconds'), help: 'Job run time by queue and outcome.', labelNames: ['queue', 'outcome'], buckets: JOB_DURATION_BUCKETS_S, registers }),
    jobFailures: new Counter({ name: name('job_failures_total'), help: 'Failed job attempts by queue and kind (retry, exhausted, unrecoverable, stalled).', labelNames: ['queue', 'kind'], registers }),
    activeJobs: new Gauge({
      name: name('worker_active_jobs'),
      help: 'Jobs running in this process.',
      labelNames: ['queue'],
      registers,
      collect() {
        for (const [q, n] of perQueue((w) => w.active())) this.set({ queue: q }, n);
      },
    }),
    concurrency: new Gauge({
      name: name('worker_concurrency'),
      help: 'Jobs this process may run at once.',
      labelNames: ['queue'],
      registers,
      collect() {
        for (const [q, n] of perQueue((w) => w.concurrency())) this.set({ queue: q }, n);
      },
    }),
    busyRatio: new Gauge({
      name: name('worker_busy_ratio'),
      help: 'Running jobs over concurrency, at scrape time (0..1).',
      labelNames: ['queue'],
      registers,
      collect() {
        const active = perQueue((w) => w.active());
        for (const [q, c] of perQueue((w) => w.concurrency())) this.set({ queue: q }, c > 0 ? Math.min(1, (active.get(q) ?? 0) / c) : 0);
      },
    }),
    busySeconds: new Counter({
      name: name('worker_busy_seconds_total'),
      help: 'Time this process had at least one job of the queue running, seconds (rate() = busy ratio).',
      labelNames: ['queue'],
      registers,
      collect() {
        const now = nowMs();
        for (const [q, ms] of perQueue((w) => w.takeBusyMs(now))) this.inc({ queue: q }, ms / 1000);
      },
    }),
  };

  const transcode: TranscodeMetrics = {
    segmentLatencySeconds: new Histogram({
      name: name('segment_latency_seconds'),
      help: 'From a live segment cut (job enqueued) to its renditions published in the playlists, seconds.',
      buckets: SEGMENT_LATENCY_BUCKETS_S,
      registers,
    }),
    ffmpegFailures: new Counter({ name: name('ffmpeg_failures_total'), help: 'Failed segment transcode attempts by kind (retry, exhausted, unrecoverable, stalled).', labelNames: ['kind'], registers }),
  };

  const metrics: Metrics = { registry, nodeId: opts.nodeId, ingest, archive, queue, worker, transcode };
  attachSources(metrics, sources);
  return metrics;
}
