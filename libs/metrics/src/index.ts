export {
  createMetrics,
  METRIC_PREFIX,
  DEFAULT_COLLECT_TIMEOUT_MS,
  QUEUE_WAIT_BUCKETS_S,
  JOB_DURATION_BUCKETS_S,
  SEGMENT_LATENCY_BUCKETS_S,
  PUBLISH_DURATION_BUCKETS_S,
} from './create-metrics.js';
export type { CreateMetricsOptions, Metrics, IngestMetrics, ArchiveMetrics, QueueMetrics, WorkerMetrics, TranscodeMetrics } from './create-metrics.js';
export { QUEUE_STATES } from './metric-sources.js';
export type { QueueLike, QueueState } from './metric-sources.js';
export { ingestObserver } from './ingest-observer.js';
export type { IngestObserver, PublishSample } from './ingest-observer.js';
export { archiveMonitor, MAX_LAG_MARKS } from './archive-monitor.js';
export type { ArchiveMonitor, ArchiveSource, ArchiveStatsSample } from './archive-monitor.js';
export { instrumentQueues } from './instrument-queues.js';
export { instrumentWorker, instrumentSegmentWorker, classifyJobFailure } from './instrument-worker.js';
export type { AnyWorker, InstrumentWorkerOptions, JobFailureKind } from './instrument-worker.js';
export { startMetricsServer, metricsHandler, renderMetrics, DEFAULT_READY_TIMEOUT_MS } from './metrics-server.js';
export type { MetricsServer, MetricsServerOptions } from './metrics-server.js';
export { safeLabelValue, looksLikeStreamKey, OTHER_LABEL } from './safe-label.js';
