import { createHmac, timingSafeEqual } from 'node:crypto';
import { EXTERNAL_CHANNEL_ID, MAX_STREAM_KEY_CHARS } from './auth-types.js';

/**
 * Self-contained expiring stream keys for `hmac` mode: nothing is stored, any service holding the
 * secret can mint keys. Format (`.`-separated, URL- and RTMP-name-safe):
 *
 *     hw1.<channelId>.<expiresAt, Unix seconds>.<base64url HMAC-SHA256(secret, "hw1.<channelId>.<exp>")>
 *
 * The version prefix lets the format change without ambiguity. Expiry has one-second resolution.
 */
export const SIGNED_KEY_VERSION = 'hw1';

/** Shortest accepted secret, in bytes (UTF-8). */
export const MIN_HMAC_SECRET_BYTES = 32;

/** base64url of 32 bytes, unpadded. */
const SIG_CHARS = /^[A-Za-z0-9_-]{43}$/;
const EXP_DIGITS = /^[1-9]\d{0,11}$/;

export type SignedKeyVerification =
  | { ok: true; channelId: string; expiresAt: Date }
  | { ok: false; reason: 'expired' | 'bad-signature' | 'malformed' };

function secretBytes(secret: string | Buffer): Buffer {
  const b = Buffer.from(secret);
  if (b.length < MIN_HMAC_SECRET_BYTES) throw new RangeError(`HMAC secret must be at least ${MIN_HMAC_SECRET_BYTES} bytes`);
  return b;
}

function mac(secret: Buffer, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload, 'utf8').digest();
}

/** Mints a key for `channelId` valid until `expiresAt` (rounded down to the second). */
export function signStreamKey(args: { channelId: string; expiresAt: Date; secret: string | Buffer }): string {
  const secret = secretBytes(args.secret);
  if (!EXTERNAL_CHANNEL_ID.test(args.channelId)) throw new RangeError('channelId must be 1-64 characters of A-Z a-z 0-9 _ -');
  const exp = Math.floor(args.expiresAt.getTime() / 1000);
  if (!Number.isSafeInteger(exp) || !EXP_DIGITS.test(String(exp))) throw new RangeError('expiresAt must be a valid date after 1970');
  const payload = `${SIGNED_KEY_VERSION}.${args.channelId}.${exp}`;
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/**
 * Checks a signed key: shape (`malformed`), then the signature in constant time
 * (`bad-signature`), then expiry (`expired`), so only authentic keys are ever called expired.
 */
export function verifySignedKey(key: string, secret: string | Buffer, now: Date | number = Date.now()): SignedKeyVerification {
  const s = secretBytes(secret);
  if (key.length > MAX_STREAM_KEY_CHARS) return { ok: false, reason: 'malformed' };
  const parts = key.split('.');
  const [version, channelId, exp, sig] = parts;
  if (parts.length !== 4 || version !== SIGNED_KEY_VERSION || channelId === undefined || exp === undefined || sig === undefined) {
    return { ok: false, reason: 'malformed' };
  }
  if (!EXTERNAL_CHANNEL_ID.test(channelId) || !EXP_DIGITS.test(exp) || !SIG_CHARS.test(sig)) return { ok: false, reason: 'malformed' };
  // Compare the encodings, not decoded bytes: base64url's spare low bits would otherwise let
  // several spellings of one signature pass.
  const presented = Buffer.from(sig, 'latin1');
  const expected = Buffer.from(mac(s, `${version}.${channelId}.${exp}`).toString('base64url'), 'latin1');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, reason: 'bad-signature' };
  const expiresAtMs = Number(exp) * 1000;
  const nowMs = typeof now === 'number' ? now : now.getTime();
  if (nowMs >= expiresAtMs) return { ok: false, reason: 'expired' };
  return { ok: true, channelId, expiresAt: new Date(expiresAtMs) };
}
