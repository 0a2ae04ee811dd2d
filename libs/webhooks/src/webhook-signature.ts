import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying the signature of a delivery. */
export const SIGNATURE_HEADER = 'Headwater-Signature';
/** Scheme tag of the HMAC-SHA256 signature in {@link SIGNATURE_HEADER}. */
export const SIGNATURE_SCHEME = 'v1';
/**
 * How far a delivery's timestamp may be from the receiver's clock. Bounds replays of a captured
 * request; five minutes leaves room for clock skew and a slow network. Each retry is signed
 * afresh, so a late retry is never rejected for its age.
 */
export const DEFAULT_TOLERANCE_S = 300;
/** Longest header {@link verifyWebhook} looks at: a few signatures fit, garbage is refused before parsing. */
export const MAX_SIGNATURE_HEADER_LENGTH = 1024;

/** Raised for arguments no valid signature can come from (never for a bad header: that is `false`). */
export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
}

function hmacHex(secret: string, timestampS: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampS}.${body}`, 'utf8').digest('hex');
}

/**
 * The `Headwater-Signature` header value for `body` sent at `timestampS`:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with secret>`. The timestamp is
 * inside the MAC so a receiver can refuse old requests (replays) without trusting the header.
 */
export function signWebhook(secret: string, timestampS: number, body: string): string {
  if (secret.length === 0) throw new WebhookSignatureError('webhook secret must not be empty');
  if (!Number.isSafeInteger(timestampS) || timestampS < 0) throw new WebhookSignatureError('timestampS must be a non-negative integer (Unix seconds)');
  return `t=${timestampS},${SIGNATURE_SCHEME}=${hmacHex(secret, timestampS, body)}`;
}

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** The receiver's clock, Unix seconds. @defaultValue now */
  nowS?: number;
  /** Largest accepted |now − t|, seconds. @defaultValue {@link DEFAULT_TOLERANCE_S} */
  toleranceS?: number;
}

/**
 * Whether `header` is a valid `Headwater-Signature` of `body` (the raw request body, byte for byte
 * as received, decoded as UTF-8) under `secret`, made within the tolerance window. Several `v1=`
 * entries may be present (one per secret during a rotation): any match is enough. The MAC is
 * compared in constant time; malformed headers give `false`, never an exception.
 */
export function verifyWebhook(secret: string, header: string, body: string, opts: VerifyWebhookOptions = {}): boolean {
  if (secret.length === 0 || typeof header !== 'string' || header.length > MAX_SIGNATURE_HEADER_LENGTH) return false;
  let timestampS: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return false;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't') {
      // One timestamp, plain digits (no sign, no exponent: `Number('1e9')` would accept those).
      if (timestampS !== undefined || !/^\d{1,15}$/.test(value)) return false;
      timestampS = Number(value);
    } else if (name === SIGNATURE_SCHEME) {
      candidates.push(value);
    }
    // Other schemes are ignored, so a receiver keeps working when a stronger one is added.
  }
  if (timestampS === undefined || candidates.length === 0) return false;
  const nowS = opts.nowS ?? Math.floor(Date.now() / 1000);
  const toleranceS = opts.toleranceS ?? DEFAULT_TOLERANCE_S;
  if (!(Math.abs(nowS - timestampS) <= toleranceS)) return false;
  const expected = Buffer.from(hmacHex(secret, timestampS, body), 'hex');
  let valid = false;
  for (const candidate of candidates) {
    if (!/^[0-9a-f]{64}$/i.test(candidate)) continue;
    // Every candidate is compared (no early exit), each in constant time.
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) valid = true;
  }
  return valid;
}
