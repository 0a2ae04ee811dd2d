import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@headwater/log';
import { createWebhookEvent } from './webhook-event.js';
import type { WebhookEventDataMap, WebhookEventType } from './webhook-event.js';
import { DEFAULT_WEBHOOK_ATTEMPTS, DEFAULT_WEBHOOK_BACKOFF_MS, WEBHOOK_QUEUE_NAME, parseWebhookUrl, urlOrigin } from './webhook-job.js';
import type { WebhookJob } from './webhook-job.js';

/**
 * Deliveries (event × endpoint) waiting for Redis at once. Redis down means ioredis holds every command in memory
 * until it reconnects; past this many, new events are dropped rather than grow the heap of an
 * ingest process.
 */
export const DEFAULT_MAX_BACKLOG = 1000;
/** How long {@link WebhookEmitter.close} waits for the backlog to reach Redis. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5000;
/** At most one "events dropped" warning per this period, so an outage does not flood the log. */
const DROP_LOG_INTERVAL_MS = 10_000;
/** Delivered jobs are removed at once; failed ones are kept (bounded) for operators to look at. */
const KEEP_FAILED = { count: 1000, age: 7 * 24 * 3600 } as const;

/** Options of {@link WebhookEmitter}. */
export interface WebhookEmitterOptions {
  /** Redis for the queue (shared; not closed by the emitter). */
  connection: Redis;
  /** Endpoints; every event goes to each. Empty = the emitter does nothing (no queue is opened). */
  urls: readonly string[];
  logger: Logger;
  /** @defaultValue {@link WEBHOOK_QUEUE_NAME} */
  queueName?: string;
  /** Delivery attempts per endpoint. @defaultValue {@link DEFAULT_WEBHOOK_ATTEMPTS} */
  attempts?: number;
  /** First retry delay, doubled after each failure. @defaultValue {@link DEFAULT_WEBHOOK_BACKOFF_MS} */
  backoffDelayMs?: number;
  /** @defaultValue {@link DEFAULT_MAX_BACKLOG} */
  maxBacklog?: number;
  /** @defaultValue {@link DEFAULT_CLOSE_TIMEOUT_MS} */
  closeTimeoutMs?: number;
}

/**
 * Turns events into delivery jobs, one per endpoint, on the webhook queue. Built for hot paths
 * (the ingest's publish handling): {@link WebhookEmitter.emit} never throws and never waits,
 * neither for Redis nor for an endpoint; the delivery worker (see `startWebhookDelivery`) does
 * the HTTP, in whatever process runs it. Events that cannot be enqueued are logged and dropped:
 * webhooks are a notification, not a ledger.
 */
export class WebhookEmitter {
  readonly #queue: Queue | undefined;
  readonly #urls: readonly string[];
  readonly #logger: Logger;
  readonly #jobOpts;
  readonly #maxBacklog: number;
  readonly #closeTimeoutMs: number;
  readonly #inFlight = new Set<Promise<void>>();
  #dropped = 0;
  #droppedSinceLog = 0;
  #lastDropLogMs = -Infinity;
  #closed = false;

  /** Throws on a URL that is not absolute http(s) (a configuration error, found at startup). */
  constructor(opts: WebhookEmitterOptions) {
    for (const url of opts.urls) parseWebhookUrl(url);
    this.#urls = [...opts.urls];
    this.#logger = opts.logger;
    this.#maxBacklog = opts.maxBacklog ?? DEFAULT_MAX_BACKLOG;
    this.#closeTimeoutMs = opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.#jobOpts = {
      attempts: opts.attempts ?? DEFAULT_WEBHOOK_ATTEMPTS,
      backoff: { type: 'exponential', delay: opts.backoffDelayMs ?? DEFAULT_WEBHOOK_BACKOFF_MS },
      removeOnComplete: true,
      removeOnFail: KEEP_FAILED,
    } as const;
    if (this.#urls.length > 0) {
      this.#queue = new Queue(opts.queueName ?? WEBHOOK_QUEUE_NAME, { connection: opts.connection });
      // Without a listener an 'error' event would throw out of ioredis' event handler.
      this.#queue.on('error', (err: Error) => this.#logger.warn({ reason: err.message }, 'webhook queue error'));
    }
  }

  /** Deliveries (event × endpoint) dropped so far: backlog full, emitter closed, or Redis refusing them. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Deliveries (event × endpoint) handed to Redis and not yet acknowledged. */
  get backlog(): number {
    return this.#inFlight.size;
  }

  /**
   * Sends an event to every endpoint: returns at once, before anything reaches Redis. Never
   * throws (a webhook problem must not fail the publish that caused it).
   */
  emit<K extends WebhookEventType>(type: K, data: WebhookEventDataMap[K]): void {
    const queue = this.#queue;
    if (queue === undefined) return;
    try {
      if (this.#closed || this.#inFlight.size >= this.#maxBacklog) {
        this.#drop(type, this.#closed ? 'closed' : 'backlog-full', this.#urls.length);
        return;
      }
      const event = createWebhookEvent(type, data);
      for (const url of this.#urls) {
        const job: WebhookJob = { url, event };
        const p = queue.add(type, job, this.#jobOpts).then(
          () => undefined,
          // Redis' message (never the payload); the endpoint by origin only: its path may be a token.
          (err: unknown) => this.#drop(type, err instanceof Error ? err.message : 'unknown error', 1, urlOrigin(url)),
        );
        this.#inFlight.add(p);
        void p.finally(() => this.#inFlight.delete(p));
      }
    } catch (err) {
      // Synchronous failures (say, data JSON cannot encode): same policy as a refused enqueue.
      this.#drop(type, err instanceof Error ? err.message : 'unknown error', this.#urls.length);
    }
  }

  /** Counts a dropped event and logs it, at most once per {@link DROP_LOG_INTERVAL_MS} (with the count since the last line). */
  #drop(type: WebhookEventType, reason: string, deliveries: number, origin?: string): void {
    this.#dropped += deliveries;
    this.#droppedSinceLog += deliveries;
    const nowMs = Date.now();
    if (nowMs - this.#lastDropLogMs < DROP_LOG_INTERVAL_MS) return;
    this.#logger.warn(
      { eventType: type, reason, ...(origin === undefined ? {} : { origin }), dropped: this.#droppedSinceLog, backlog: this.#inFlight.size },
      'webhook events dropped',
    );
    this.#lastDropLogMs = nowMs;
    this.#droppedSinceLog = 0;
  }

  /**
   * Stops accepting events, waits (up to `closeTimeoutMs`) for the backlog to reach Redis, then
   * closes the queue. The connection stays open (it is the caller's).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#queue === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#closeTimeoutMs)));
    await Promise.race([Promise.all(this.#inFlight), timeout]);
    clearTimeout(timer);
    if (this.#inFlight.size > 0) this.#logger.warn({ backlog: this.#inFlight.size }, 'webhook emitter closed with events not enqueued');
    await this.#queue.close();
  }
}
