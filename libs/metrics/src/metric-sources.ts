import type { Job, Queue } from 'bullmq';

/** What the queue collector needs of a BullMQ `Queue` (a real one satisfies it). */
export type QueueLike = Pick<Queue, 'name' | 'getJobCounts'> & {
  getJobs(types: 'wait'[], start: number, end: number, asc: boolean): Promise<Pick<Job, 'timestamp'>[]>;
};

/** Queue states reported by `headwater_queue_jobs` (BullMQ 5+ keeps prioritized jobs apart from waiting ones). */
export const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children', 'completed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** One scrape's view of a queue; `null` counts when Redis did not answer in time. */
export interface QueueReading {
  readonly queue: string;
  readonly counts: Readonly<Record<QueueState, number>> | null;
  /** Age of the oldest job in the wait list (jobs without priority), seconds; 0 when empty. */
  readonly oldestWaitingS: number;
}

/** Busy-time bookkeeping of one instrumented worker (see `instrumentWorker`). */
export interface WorkerTrack {
  readonly queue: string;
  concurrency(): number;
  /** Jobs of this worker running now. */
  active(): number;
  /** Busy time since the last call (or since the busy period began), ms; restarts the count. */
  takeBusyMs(nowMs: number): number;
}

/** Everything the scrape-time collectors read, attached to one `Metrics` by `createMetrics`. */
export interface MetricSources {
  readonly queues: Set<QueueLike>;
  readonly workers: Set<WorkerTrack>;
  readonly nowMs: () => number;
  /** Readings of every queue, shared by the collectors of one scrape (they run concurrently). */
  readQueues(): Promise<QueueReading[]>;
}

const sources = new WeakMap<object, MetricSources>();

export function attachSources(metrics: object, s: MetricSources): void {
  sources.set(metrics, s);
}

/** The sources of a `Metrics` made by `createMetrics` (anything else is a programming error). */
export function sourcesOf(metrics: object): MetricSources {
  const s = sources.get(metrics);
  if (s === undefined) throw new TypeError('not a Metrics object made by createMetrics()');
  return s;
}
