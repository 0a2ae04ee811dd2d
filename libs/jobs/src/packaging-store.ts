import type { Redis } from 'ioredis';
import { sessionPhase } from '@headwater/packager';
import type { PackagingState } from '@headwater/packager';
import { isSafeId } from './segment-job.js';

/** Attempts before {@link updatePackaging} gives up under contention (each attempt is one GET + one CAS). */
export const DEFAULT_MAX_UPDATE_ATTEMPTS = 50;

/**
 * Lifetime of a session's packaging state while it is live or ending, renewed by every write. A
 * session whose ingest vanished (crash, lost Redis write of its end) stops being written to and
 * expires this long after its last change instead of staying forever.
 */
export const DEFAULT_LIVE_TTL_MS = 2 * 24 * 60 * 60 * 1000;
/**
 * Lifetime of a session's packaging state once it is a VOD (every segment settled): long enough
 * for late writers (a duplicate job run republishing playlists) and operators to find it; the
 * outputs themselves live in S3 and no longer need it.
 */
export const DEFAULT_VOD_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Expiry of packaging keys, in milliseconds (positive integers). */
export interface PackagingTtlOptions {
  /** @defaultValue {@link DEFAULT_LIVE_TTL_MS} */
  liveTtlMs?: number;
  /** @defaultValue {@link DEFAULT_VOD_TTL_MS} */
  vodTtlMs?: number;
}

/** Why the store refused: no state for the session, too much contention, a stored value that is not ours, a bad id or TTL. */
export type PackagingStoreErrorCode = 'missing' | 'contention' | 'corrupt' | 'invalid-id' | 'invalid-ttl';

export class PackagingStoreError extends Error {
  override readonly name = 'PackagingStoreError';
  constructor(
    readonly code: PackagingStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Redis key (a hash: `rev`, `state`) of a session's packaging state. */
export function packagingKey(sessionId: string): string {
  if (!isSafeId(sessionId)) throw new PackagingStoreError('invalid-id', 'sessionId must be a safe id');
  return `headwater:packaging:${sessionId}`;
}

/** Both TTLs, defaulted and checked (positive integer milliseconds). */
function resolveTtls(opts: PackagingTtlOptions): Required<PackagingTtlOptions> {
  const ttls = { liveTtlMs: opts.liveTtlMs ?? DEFAULT_LIVE_TTL_MS, vodTtlMs: opts.vodTtlMs ?? DEFAULT_VOD_TTL_MS };
  for (const ttlMs of Object.values(ttls)) {
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new PackagingStoreError('invalid-ttl', 'packaging TTLs must be positive integer milliseconds');
  }
  return ttls;
}

/** The TTL (ms) a write of `state` gives its key: the VOD retention once every segment settled, else the live one. */
export function packagingTtlMs(state: PackagingState, opts: PackagingTtlOptions = {}): number {
  const { liveTtlMs, vodTtlMs } = resolveTtls(opts);
  return sessionPhase(state) === 'vod' ? vodTtlMs : liveTtlMs;
}

// Compare-and-set on a revision counter. A Lua script rather than WATCH/MULTI/EXEC: WATCH is per
// connection, and one ioredis client is shared by concurrent jobs in a worker process. The expiry
// is set in the same script: no extra round trip, and no window where a written key has none.
const CAS_SCRIPT = `
if redis.call('HGET', KEYS[1], 'rev') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'rev', ARGV[2], 'state', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return 1
end
return 0`;

const CREATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'rev', '1', 'state', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

function decode(raw: string): PackagingState {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new PackagingStoreError('corrupt', 'stored packaging state is not JSON');
  }
  if (typeof value !== 'object' || value === null || (value as { schemaVersion?: unknown }).schemaVersion !== 1) {
    throw new PackagingStoreError('corrupt', 'stored packaging state has an unknown schema');
  }
  return value as PackagingState;
}

/**
 * Stores the state of a new session, expiring after {@link packagingTtlMs}. Resolves to false
 * (and changes nothing, its expiry included) if the session already has one.
 */
export async function createPackaging(redis: Redis, state: PackagingState, opts: PackagingTtlOptions = {}): Promise<boolean> {
  const key = packagingKey(state.sessionId);
  const ttlMs = packagingTtlMs(state, opts);
  const created = await redis.eval(CREATE_SCRIPT, 1, key, JSON.stringify(state), String(ttlMs));
  return created === 1;
}

/** The session's state, or null if none is stored. */
export async function getPackaging(redis: Redis, sessionId: string): Promise<PackagingState | null> {
  return (await readPackaging(redis, sessionId))?.state ?? null;
}

/**
 * The session's state with its revision (it grows with every write), or null. Writers of derived
 * files (playlists) compare revisions after writing to know whether a newer state appeared meanwhile.
 */
export async function readPackaging(redis: Redis, sessionId: string): Promise<{ state: PackagingState; revision: number } | null> {
  const [rev, raw] = await redis.hmget(packagingKey(sessionId), 'rev', 'state');
  if (rev === null || rev === undefined || raw === null || raw === undefined) return null;
  return { state: decode(raw), revision: Number(rev) };
}

/**
 * Applies `reducer` to the stored state atomically (optimistic concurrency: read, reduce,
 * compare-and-set on the revision, retry on conflict) and resolves to the new state. Each write
 * renews the key's expiry ({@link packagingTtlMs} of the new state: the VOD retention once it is
 * one). A reducer that returns its input unchanged writes nothing, expiry included. The reducer
 * may run several times: keep it pure.
 */
export async function updatePackaging(
  redis: Redis,
  sessionId: string,
  reducer: (state: PackagingState) => PackagingState,
  opts: { maxAttempts?: number } & PackagingTtlOptions = {},
): Promise<PackagingState> {
  const key = packagingKey(sessionId);
  const ttls = resolveTtls(opts);
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_UPDATE_ATTEMPTS;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const [rev, raw] = await redis.hmget(key, 'rev', 'state');
    if (rev === null || rev === undefined || raw === null || raw === undefined) {
      throw new PackagingStoreError('missing', 'no packaging state for this session');
    }
    const current = decode(raw);
    const next = reducer(current);
    if (next === current) return current;
    const ttlMs = packagingTtlMs(next, ttls);
    const swapped = await redis.eval(CAS_SCRIPT, 1, key, rev, String(Number(rev) + 1), JSON.stringify(next), String(ttlMs));
    if (swapped === 1) return next;
  }
  throw new PackagingStoreError('contention', `packaging state update lost ${maxAttempts} races in a row`);
}
