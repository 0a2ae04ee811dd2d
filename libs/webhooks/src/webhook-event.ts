import { randomUUID } from 'node:crypto';

/**
 * Every event kind a webhook endpoint can receive. The payloads never carry a stream key,
 * credentials or a client IP address: receivers are third parties, and events are stored in
 * Redis until delivered (privacy and secrecy by construction, not by redaction).
 */
export const WEBHOOK_EVENT_TYPES = [
  'publish.started',
  'publish.stopped',
  'session.archived',
  'renditions.ready',
  'transcode.failed',
  'auth.denied',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A publisher was authorized and started sending media. */
export interface PublishStartedData {
  channelId: string;
  sessionId: string;
  /** Ingest node that holds the connection. */
  nodeId: string;
  /** RTMP application name (`live`), never the stream name: that is the key. */
  app: string;
  /** ISO 8601. */
  startedAt: string;
}

/** A publish ended (the session may still continue if the publisher reconnects in its grace period). */
export interface PublishStoppedData {
  channelId: string;
  sessionId: string;
  /** Why it ended, a stable kebab-case code (`unpublish`, `disconnect`, `kicked`, …). */
  reason: string;
  durationMs: number;
  bytesIn: number;
}

/** A session's FLV archive is complete in S3. */
export interface SessionArchivedData {
  channelId: string;
  sessionId: string;
  /** S3 object key of the archive (a path in the bucket, not a credential). */
  key: string;
  bytes: number;
}

/** Every rendition of a session has its first segment: playback can start. Once per session. */
export interface RenditionsReadyData {
  channelId: string;
  sessionId: string;
  /** Where the playlists are, relative to the bucket: `streams/<channelId>/<sessionId>/`. */
  outputPrefix: string;
  /** Rendition ids (`source`, `720p`, `audio`, …), in ladder order. */
  renditions: string[];
}

/** A segment failed for good and became a gap in the playlists. */
export interface TranscodeFailedData {
  channelId: string;
  sessionId: string;
  /** Segment index in the session. */
  index: number;
  /** Stable code (`unrecoverable`, `stalled`, `attempts-exhausted`, …), never tool output. */
  reason: string;
}

/** A publish was refused. No key and no client address: only why, where and which connection. */
export interface AuthDeniedData {
  /** Stable code (`unknown-key`, `revoked`, `timeout`, …). */
  reason: string;
  app: string;
  /** The ingest's opaque connection id (correlates with its logs). */
  connectionId: string;
}

/** The payload type of each event type. */
export interface WebhookEventDataMap {
  'publish.started': PublishStartedData;
  'publish.stopped': PublishStoppedData;
  'session.archived': SessionArchivedData;
  'renditions.ready': RenditionsReadyData;
  'transcode.failed': TranscodeFailedData;
  'auth.denied': AuthDeniedData;
}

/** What a webhook endpoint receives as the JSON body of a POST. */
export interface WebhookEvent<T = unknown> {
  /** UUID; also the `Headwater-Delivery` header. Retries of one event keep it: receivers dedupe on it. */
  id: string;
  type: WebhookEventType;
  /** ISO 8601, when the event happened (not when it was delivered). */
  createdAt: string;
  data: T;
}

/** A typed event of one type. */
export type TypedWebhookEvent<K extends WebhookEventType> = WebhookEvent<WebhookEventDataMap[K]> & { type: K };

/** Whether `value` names a {@link WebhookEventType}. */
export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** A new event with a fresh id, created now (or at `now`). */
export function createWebhookEvent<K extends WebhookEventType>(type: K, data: WebhookEventDataMap[K], now: Date = new Date()): TypedWebhookEvent<K> {
  return { id: randomUUID(), type, createdAt: now.toISOString(), data };
}
