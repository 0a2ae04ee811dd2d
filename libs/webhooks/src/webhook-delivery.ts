import { UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@headwater/log';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';
import { MAX_WEBHOOK_BODY_BYTES, WEBHOOK_QUEUE_NAME, WebhookJobError, parseWebhookJob, parseWebhookUrl, urlOrigin } from './webhook-job.js';

/** How long one POST may take, connection to response headers. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5000;
/** Deliveries at once per process: they wait on the network, not the CPU. */
export const DEFAULT_WEBHOOK_CONCURRENCY = 10;
/** Same-origin 307/308 redirects followed per attempt. */
export const MAX_WEBHOOK_REDIRECTS = 3;
/** `User-Agent` of every delivery. */
export const WEBHOOK_USER_AGENT = 'headwater';

/** Options of {@link startWebhookDelivery}. */
export interface WebhookDeliveryOptions {
  /** Redis for BullMQ (needs `maxRetriesPerRequest: null`); shared, not closed. */
  connection: Redis;
  /** HMAC key of the signatures. */
  secret: string;
  logger: Logger;
  /** @defaultValue {@link DEFAULT_WEBHOOK_CONCURRENCY} */
  concurrency?: number;
  /** @defaultValue {@link DEFAULT_WEBHOOK_TIMEOUT_MS} */
  timeoutMs?: number;
  /** @defaultValue {@link WEBHOOK_QUEUE_NAME} */
  queueName?: string;
}

/** A running delivery worker. */
export interface WebhookDelivery {
  readonly worker: Worker;
  /** Stops taking jobs and waits for the POSTs in flight (each bounded by the timeout). */
  close(): Promise<void>;
}

/** One attempt failed; BullMQ retries it (with backoff) unless it is an `UnrecoverableError`. */
export class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';
}

/** What one attempt needs, outside BullMQ (exported for tests and tools). */
export interface DeliverWebhookOptions {
  secret: string;
  timeoutMs?: number;
  /** Signing time, Unix seconds. @defaultValue now */
  nowS?: number;
}

/** Why a network attempt failed, as a short code (never the URL, which Node's messages may quote). */
function networkReason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (cause !== undefined && typeof cause === 'object' && typeof cause.code === 'string') return cause.code;
  return err instanceof Error ? err.name : 'network error';
}

/**
 * One delivery attempt of `data` (a {@link WebhookJob} payload): POSTs the event as JSON with a
 * signature made now, so every retry carries a fresh timestamp and no receiver rejects a late
 * retry as a replay. Resolves with the status on 2xx. Throws {@link WebhookDeliveryError} on
 * anything else (retry), `UnrecoverableError` on 410 Gone (the endpoint asks us to stop) and on a
 * payload or URL that can never be delivered.
 *
 * Redirects are not followed blindly: a 307/308 to the same origin is (method and body kept, a
 * few hops at most); one to another host could carry the event to a third party, so it counts as
 * a failed attempt. User info in the URL becomes Basic authorization (fetch refuses it in URLs).
 */
export async function deliverWebhook(data: unknown, opts: DeliverWebhookOptions): Promise<number> {
  let job;
  try {
    job = parseWebhookJob(data);
  } catch (err) {
    if (err instanceof WebhookJobError) throw new UnrecoverableError(err.message);
    throw err;
  }
  const { event } = job;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const body = JSON.stringify(event);
  if (Buffer.byteLength(body) > MAX_WEBHOOK_BODY_BYTES) throw new UnrecoverableError(`webhook event ${event.type} is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes`);
  const target = parseWebhookUrl(job.url);
  const origin = target.origin;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': WEBHOOK_USER_AGENT,
    'Headwater-Event': event.type,
    'Headwater-Delivery': event.id,
    [SIGNATURE_HEADER]: signWebhook(opts.secret, opts.nowS ?? Math.floor(Date.now() / 1000), body),
  };
  if (target.username !== '' || target.password !== '') {
    let user: string;
    let password: string;
    try {
      user = decodeURIComponent(target.username);
      password = decodeURIComponent(target.password);
    } catch {
      throw new UnrecoverableError('webhook URL user info is not valid percent-encoding');
    }
    headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    target.username = '';
    target.password = '';
  }

  // One deadline for the whole attempt, redirects included.
  const signal = AbortSignal.timeout(timeoutMs);
  let url = target;
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal });
    } catch (err) {
      throw new WebhookDeliveryError(`POST ${origin} failed: ${networkReason(err, timeoutMs)}`);
    }
    // The answer's body is never read (nor logged): drop it so the connection can be reused.
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return res.status;
    if (res.status === 410) throw new UnrecoverableError(`POST ${origin} answered 410 Gone: not retried`);
    if ((res.status === 307 || res.status === 308) && hop < MAX_WEBHOOK_REDIRECTS) {
      const location = res.headers.get('location');
      let next: URL | undefined;
      try {
        next = location === null ? undefined : new URL(location, url);
      } catch {
        next = undefined;
      }
      if (next !== undefined && next.origin === origin && next.username === '' && next.password === '') {
        url = next;
        continue;
      }
      throw new WebhookDeliveryError(`POST ${origin} answered ${res.status} to another origin: not followed`);
    }
    throw new WebhookDeliveryError(`POST ${origin} answered ${res.status}`);
  }
}

/**
 * Starts the BullMQ worker that delivers webhook jobs (see {@link deliverWebhook}). Attempts and
 * backoff were fixed by the emitter when it enqueued the job; a delivery that fails for good is
 * logged and kept (bounded) in the queue's failed set. Logs name endpoints by origin only.
 */
export function startWebhookDelivery(opts: WebhookDeliveryOptions): WebhookDelivery {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const { logger } = opts;
  // Checked here, not at the first job: a missing secret is a configuration error.
  signWebhook(opts.secret, 0, '');
  const worker = new Worker(
    opts.queueName ?? WEBHOOK_QUEUE_NAME,
    async (job: Job<unknown>) => {
      const status = await deliverWebhook(job.data, { secret: opts.secret, timeoutMs });
      logger.debug({ eventType: job.name, origin: origin(job), status, attempt: job.attemptsMade + 1 }, 'webhook delivered');
      return status;
    },
    { connection: opts.connection, concurrency: opts.concurrency ?? DEFAULT_WEBHOOK_CONCURRENCY },
  );
  worker.on('failed', (job: Job | undefined, err: Error) => {
    if (job === undefined) return;
    const forGood = job.finishedOn !== undefined || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    const fields = { eventType: job.name, origin: origin(job), attempt: job.attemptsMade, reason: err.message };
    if (forGood) logger.warn(fields, 'webhook delivery failed for good');
    else logger.info(fields, 'webhook delivery failed, will retry');
  });
  // Without a listener an 'error' event (Redis trouble) would throw.
  worker.on('error', (err: Error) => logger.warn({ reason: err.message }, 'webhook worker error'));
  return { worker, close: () => worker.close() };
}

function origin(job: Job): string {
  const url = (job.data as { url?: unknown } | null)?.url;
  return typeof url === 'string' ? urlOrigin(url) : '[no-url]';
}
