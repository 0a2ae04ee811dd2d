import { QUEUE_STATES, type QueueLike, type QueueReading, type QueueState } from './metric-sources.js';

class CollectTimeout extends Error {
  override readonly name = 'CollectTimeout';
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CollectTimeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Counts per state and the age of the oldest unprioritized waiting job, in two Redis calls. A
 * queue that does not answer within `timeoutMs` (Redis down: BullMQ connections retry forever)
 * reads as `counts: null` rather than stalling the whole scrape.
 */
export async function readQueue(queue: QueueLike, timeoutMs: number, nowMs: () => number): Promise<QueueReading> {
  try {
    const [raw, oldest] = await withTimeout(
      Promise.all([
        queue.getJobCounts(...QUEUE_STATES),
        // The wait list holds jobs without priority (live segments, webhooks) in arrival order;
        // ascending index 0 is the one that has waited longest.
        queue.getJobs(['wait'], 0, 0, true),
      ]),
      timeoutMs,
    );
    const counts = {} as Record<QueueState, number>;
    for (const state of QUEUE_STATES) counts[state] = raw[state] ?? 0;
    const first = oldest[0];
    const oldestWaitingS = first === undefined ? 0 : Math.max(0, (nowMs() - first.timestamp) / 1000);
    return { queue: queue.name, counts, oldestWaitingS };
  } catch {
    // Why it failed is Redis's business (its own logs); the scrape reports queue_up 0.
    return { queue: queue.name, counts: null, oldestWaitingS: 0 };
  }
}
