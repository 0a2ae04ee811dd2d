/** How stream keys are checked; the same strings as the `auth.mode` setting. */
export type AuthMode = 'keys' | 'hmac' | 'webhook';

/** What the ingest knows when a client sends `publish`. */
export interface AuthRequest {
  /** The publish name without its query string: the stream key. Never log it. */
  readonly streamKey: string;
  /** The RTMP app from `connect`. */
  readonly app: string;
  readonly clientIp: string;
  /** The ingest's id for the TCP connection (for correlation in logs and webhooks). */
  readonly connectionId: string;
  /** The publish name's query string, decoded (`key?a=1` → `{ a: '1' }`). */
  readonly query: Readonly<Record<string, string>>;
}

/**
 * Why a publish was refused, machine-readable (metrics labels, logs):
 * - `malformed`: not a key of the expected shape;
 * - `unknown-key`: no channel has this key (never existed, rotated away, or channel deleted);
 * - `revoked`: the key was the channel's key but it has been revoked;
 * - `expired` / `bad-signature`: HMAC mode;
 * - `denied`: the webhook said no (non-2xx 4xx answer or `allow: false`);
 * - `timeout` / `webhook-error`: the webhook did not answer in time / answered something unusable;
 * - `rate-limited`: too many recent failures from this client IP; the key was not checked;
 * - `unavailable`: the key store (Redis) failed.
 */
export type DenyReason =
  | 'malformed'
  | 'unknown-key'
  | 'revoked'
  | 'expired'
  | 'bad-signature'
  | 'denied'
  | 'timeout'
  | 'webhook-error'
  | 'rate-limited'
  | 'unavailable';

/** The outcome of `Authenticator.authorize`. */
export type AuthDecision =
  | { readonly allow: true; readonly channelId: string; readonly mode: AuthMode }
  | {
      readonly allow: false;
      readonly reason: DenyReason;
      /** Wait this long before answering the client (brute-force brake); 0 = answer now. */
      readonly delayMs: number;
    };

/** Channel ids chosen outside Headwater (HMAC signer, webhook) must match this: safe in logs, paths and keys. */
export const EXTERNAL_CHANNEL_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Longer publish names are refused as `malformed` before any hashing or network call. */
export const MAX_STREAM_KEY_CHARS = 1024;
