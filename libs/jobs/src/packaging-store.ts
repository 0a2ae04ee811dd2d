import type { Redis } from 'ioredis';
import type { PackagingState } from '@headwater/packager';
import { isSafeId } from './segment-job.js';

/** Attempts before {@link updatePackaging} gives up under contention (each attempt is one GET + one CAS). */
export const DEFAULT_MAX_UPDATE_ATTEMPTS = 50;

/** Why the store refused: no state for the session, too much contention, or a stored value that is not ours. */
export type PackagingStoreErrorCode = 'missing' | 'contention' | 'corrupt' | 'invalid-id';

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

// Compare-and-set on a revision counter. A Lua script rather than WATCH/MULTI/EXEC: WATCH is per
// connection, and one ioredis client is shared by concurrent jobs in a worker process.
const CAS_SCRIPT = `
if redis.call('HGET', KEYS[1], 'rev') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'rev', ARGV[2], 'state', ARGV[3])
  return 1
end
return 0`;

const CREATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'rev', '1', 'state', ARGV[1])
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

/** Stores the state of a new session. Resolves to false (and changes nothing) if the session already has one. */
export async function createPackaging(redis: Redis, state: PackagingState): Promise<boolean> {
  const created = await redis.eval(CREATE_SCRIPT, 1, packagingKey(state.sessionId), JSON.stringify(state));
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
 * compare-and-set on the revision, retry on conflict) and resolves to the new state. A reducer
 * that returns its input unchanged writes nothing. The reducer may run several times: keep it pure.
 */
export async function updatePackaging(
  redis: Redis,
  sessionId: string,
  reducer: (state: PackagingState) => PackagingState,
  opts: { maxAttempts?: number } = {},
): Promise<PackagingState> {
  const key = packagingKey(sessionId);
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_UPDATE_ATTEMPTS;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const [rev, raw] = await redis.hmget(key, 'rev', 'state');
    if (rev === null || rev === undefined || raw === null || raw === undefined) {
      throw new PackagingStoreError('missing', 'no packaging state for this session');
    }
    const current = decode(raw);
    const next = reducer(current);
    if (next === current) return current;
    const swapped = await redis.eval(CAS_SCRIPT, 1, key, rev, String(Number(rev) + 1), JSON.stringify(next));
    if (swapped === 1) return next;
  }
  throw new PackagingStoreError('contention', `packaging state update lost ${maxAttempts} races in a row`);
}
