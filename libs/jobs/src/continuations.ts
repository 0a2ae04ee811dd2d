import type { Redis } from 'ioredis';
import { isSafeId } from './segment-job.js';

/** Redis hash (field = channel id) of the playback sessions waiting for their publisher to come back. */
export const CONTINUATIONS_KEY = 'headwater:continuations';

/**
 * A playback session whose publisher left without unpublishing (connection lost, taken over,
 * server drain). Until `deadlineMs` the channel's next publish continues it, after a
 * discontinuity, instead of starting a new one; after it, the session is ended.
 */
export interface Continuation {
  readonly channelId: string;
  /** The playback session: packaging state and output prefix. */
  readonly sessionId: string;
  readonly outputPrefix: string;
  /** Index the next segment gets (segments so far). */
  readonly segmentCount: number;
  /** Where the next segment starts on the playback media timeline (the outputs' `tfdt` clock). */
  readonly nextStartMs: number;
  /** Identifies the rendition set; a publish whose ladder differs cannot continue the playlists. */
  readonly renditionsKey: string;
  /** Unix ms after which nobody may continue the session. */
  readonly deadlineMs: number;
}

// Read and delete in one step: two publishers racing for the same continuation cannot both get it.
const CLAIM_SCRIPT = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then redis.call('HDEL', KEYS[1], ARGV[1]) end
return v`;

// Only the expired entries, each removed as it is returned: whoever takes one ends that session.
const TAKE_EXPIRED_SCRIPT = `
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local ok, rec = pcall(cjson.decode, all[i + 1])
  if not ok or type(rec) ~= 'table' or type(rec.deadlineMs) ~= 'number' or rec.deadlineMs <= tonumber(ARGV[1]) then
    redis.call('HDEL', KEYS[1], all[i])
    table.insert(out, all[i + 1])
  end
end
return out`;

/** Stores `continuation`, replacing any other for its channel (the newest publish wins). */
export async function offerContinuation(redis: Redis, continuation: Continuation): Promise<void> {
  await redis.hset(CONTINUATIONS_KEY, continuation.channelId, JSON.stringify(continuation));
}

/** What {@link claimContinuation} found: a session to continue, or one past its deadline the caller must end. */
export type ClaimedContinuation = { readonly continuation: Continuation; readonly expired: boolean };

/** Takes the channel's continuation, if any; nobody else can take it afterwards. */
export async function claimContinuation(redis: Redis, channelId: string, nowMs: number): Promise<ClaimedContinuation | null> {
  const raw = (await redis.eval(CLAIM_SCRIPT, 1, CONTINUATIONS_KEY, channelId)) as string | null;
  const continuation = raw === null ? null : decodeContinuation(raw);
  if (continuation === null) return null;
  return { continuation, expired: continuation.deadlineMs <= nowMs };
}

/** Takes every continuation past its deadline (and drops unreadable entries); the caller ends their sessions. */
export async function takeExpiredContinuations(redis: Redis, nowMs: number): Promise<Continuation[]> {
  const raws = (await redis.eval(TAKE_EXPIRED_SCRIPT, 1, CONTINUATIONS_KEY, String(nowMs))) as string[];
  return raws.map(decodeContinuation).filter((c): c is Continuation => c !== null);
}

/** A stored entry, or null when it is not one of ours (it is dropped rather than trusted). */
export function decodeContinuation(raw: string): Continuation | null {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const c = v as Record<keyof Continuation, unknown>;
  const count = c.segmentCount;
  const okNumber = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  if (!isSafeId(c.channelId) || !isSafeId(c.sessionId) || typeof c.outputPrefix !== 'string' || typeof c.renditionsKey !== 'string') return null;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0 || !okNumber(c.nextStartMs) || !okNumber(c.deadlineMs)) return null;
  return v as Continuation;
}
