import type { Metrics } from './create-metrics.js';
import { QUEUE_STATES, sourcesOf, type QueueLike } from './metric-sources.js';

/**
 * Reports the depth of `queues` at every scrape: `headwater_queue_jobs{queue,state}`,
 * `headwater_queue_oldest_waiting_seconds{queue}` and `headwater_queue_up{queue}`, read from Redis
 * when Prometheus asks (nothing runs between scrapes). Any process holding a `Queue` can report
 * it; every reporter sees the same Redis, so dashboards aggregate with max(), not sum().
 * Wait times come from the workers (`instrumentWorker`). Returns a function that stops reporting
 * them (call it before closing the queues).
 */
export function instrumentQueues(queues: readonly QueueLike[], m: Metrics): () => void {
  const s = sourcesOf(m);
  for (const q of queues) s.queues.add(q);
  return () => {
    for (const q of queues) {
      s.queues.delete(q);
      m.queue.up.remove({ queue: q.name });
      m.queue.oldestWaitingSeconds.remove({ queue: q.name });
      for (const state of QUEUE_STATES) m.queue.jobs.remove({ queue: q.name, state });
    }
  };
}
