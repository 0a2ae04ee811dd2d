import type { WebhookEvent } from './webhook-event.js';
import { isWebhookEventType } from './webhook-event.js';

/** BullMQ queue of webhook deliveries (no ':' — BullMQ refuses it in queue names). */
export const WEBHOOK_QUEUE_NAME = 'headwater-webhooks';
/** Delivery attempts per endpoint and event (1 s, 2 s, 4 s … 64 s apart: about 2 minutes in all). */
export const DEFAULT_WEBHOOK_ATTEMPTS = 8;
/** Wait before the second attempt; BullMQ's exponential backoff doubles it after each failure. */
export const DEFAULT_WEBHOOK_BACKOFF_MS = 1000;
/** Longest endpoint URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;
/** Largest JSON body delivered; an event is a few hundred bytes, this only stops a runaway payload. */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

/** One delivery: an event for one endpoint. Plain JSON, stored in Redis until delivered. */
export interface WebhookJob {
  url: string;
  event: WebhookEvent;
}

/** A job payload that is not a {@link WebhookJob}, or an endpoint URL we do not POST to. */
export class WebhookJobError extends Error {
  override readonly name = 'WebhookJobError';
}

/**
 * The endpoint as a URL, if it is an absolute `http:`/`https:` URL of reasonable length. Others
 * are refused: a webhook must not reach `file:` or `data:` schemes whatever the configuration says.
 */
export function parseWebhookUrl(url: unknown): URL {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_WEBHOOK_URL_LENGTH) throw new WebhookJobError('webhook URL must be a string of 1..2048 characters');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookJobError('webhook URL does not parse');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new WebhookJobError('webhook URL must be http: or https:');
  return parsed;
}

/**
 * What may be logged of an endpoint: its origin (`https://hooks.example:8443`). Paths and query
 * strings of webhook URLs often are the secret (a token path segment); user info is a credential.
 */
export function urlOrigin(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.origin === 'null' ? '[unloggable-url]' : parsed.origin;
  } catch {
    return '[invalid-url]';
  }
}

/** The job payload as a {@link WebhookJob}, or a {@link WebhookJobError} saying what is wrong (without echoing values). */
export function parseWebhookJob(data: unknown): WebhookJob {
  if (typeof data !== 'object' || data === null) throw new WebhookJobError('webhook job must be an object');
  const { url, event } = data as Partial<Record<keyof WebhookJob, unknown>>;
  parseWebhookUrl(url);
  if (typeof event !== 'object' || event === null) throw new WebhookJobError('webhook job has no event');
  const e = event as Partial<Record<keyof WebhookEvent, unknown>>;
  if (typeof e.id !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(e.id)) throw new WebhookJobError('webhook event id must be 1..64 of [A-Za-z0-9-]');
  if (!isWebhookEventType(e.type)) throw new WebhookJobError('unknown webhook event type');
  if (typeof e.createdAt !== 'string' || e.createdAt.length > 64) throw new WebhookJobError('webhook event createdAt must be a string');
  if (!('data' in e)) throw new WebhookJobError('webhook event has no data');
  return { url: url as string, event: { id: e.id, type: e.type, createdAt: e.createdAt, data: e.data } };
}
