import type { Redis } from 'ioredis';
import type { LiveSession } from './live-session.js';
import { MAX_LIVE_SESSION_BYTES, decodeLiveSession, isLiveSession } from './live-session.js';

/** How long an entry lives without a refresh: three missed heartbeats of an ingest refreshing every 5 s. */
export const DEFAULT_LIVE_SESSION_TTL_MS = 15_000;
/** Most sessions {@link LiveSessionStore.list} returns (oldest start first). */
export const MAX_LISTED_SESSIONS = 10_000;
/** Default prefix of the store's Redis keys. */
export const DEFAULT_LIVE_PREFIX = 'headwater:live:';

export interface LiveSessionStoreOptions {
  /** Lifetime of an entry that is not refreshed, ms. @defaultValue {@link DEFAULT_LIVE_SESSION_TTL_MS} */
  ttlMs?: number;
  /** Prefix of every Redis key the store writes. @defaultValue {@link DEFAULT_LIVE_PREFIX} */
  prefix?: string;
}

/** A session the store refuses to write (not well-formed, or too large). `code` is stable. */
export class LiveSessionError extends Error {
  override readonly name = 'LiveSessionError';
  constructor(
    readonly code: 'invalid-session' | 'invalid-ttl',
    message: string,
  ) {
    super(message);
  }
}

// Reads every indexed entry and drops from the index those whose key expired (their node
// stopped refreshing: crash, lost connection). In one script, so a `put` racing the read cannot
// lose its index entry to the cleanup. Entry keys are derived from the index (not passed in
// KEYS): fine on a single Redis, which is what Headwater uses.
const LIST_LUA = `
local ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('GET', ARGV[1] .. id)
  if v then table.insert(out, v) else redis.call('ZREM', KEYS[1], id) end
end
return out`;

/**
 * Live sessions of every ingest node, in Redis. Each node `put`s its sessions periodically
 * (a heartbeat); an entry that is not refreshed within `ttlMs` expires, so a crashed node's
 * publishes disappear on their own. `remove` is the clean end of a publish.
 *
 * Layout (prefix `headwater:live:`): string `session:<sessionId>` (JSON, with a TTL) and sorted
 * set `sessions` (session ids by start time).
 */
export class LiveSessionStore {
  private readonly ttlMs: number;
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    opts: LiveSessionStoreOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_LIVE_SESSION_TTL_MS;
    if (!Number.isSafeInteger(this.ttlMs) || this.ttlMs <= 0) throw new LiveSessionError('invalid-ttl', 'ttlMs must be a positive integer');
    this.prefix = opts.prefix ?? DEFAULT_LIVE_PREFIX;
  }

  /** Writes or refreshes a session; it expires `ttlMs` after the last call unless removed first. */
  async put(session: LiveSession): Promise<void> {
    if (!isLiveSession(session)) throw new LiveSessionError('invalid-session', 'not a well-formed live session');
    const json = JSON.stringify(session);
    if (Buffer.byteLength(json) > MAX_LIVE_SESSION_BYTES) throw new LiveSessionError('invalid-session', `live session over ${MAX_LIVE_SESSION_BYTES} bytes`);
    await this.redis
      .multi()
      .set(this.sessionKey(session.sessionId), json, 'PX', this.ttlMs)
      .zadd(this.indexKey(), Date.parse(session.startedAt), session.sessionId)
      .exec();
  }

  /** Forgets a session (its publish ended). Removing an unknown session is not an error. */
  async remove(sessionId: string): Promise<void> {
    await this.redis.multi().del(this.sessionKey(sessionId)).zrem(this.indexKey(), sessionId).exec();
  }

  /** The session, or null if it ended or expired. */
  async get(sessionId: string): Promise<LiveSession | null> {
    const raw = await this.redis.get(this.sessionKey(sessionId));
    return raw === null ? null : decodeLiveSession(raw);
  }

  /** Every live session, oldest start first (at most {@link MAX_LISTED_SESSIONS}). */
  async list(): Promise<LiveSession[]> {
    const raws = (await this.redis.eval(LIST_LUA, 1, this.indexKey(), `${this.prefix}session:`, String(MAX_LISTED_SESSIONS))) as string[];
    return raws.map(decodeLiveSession).filter((s): s is LiveSession => s !== null);
  }

  private sessionKey(sessionId: string): string {
    return `${this.prefix}session:${sessionId}`;
  }

  private indexKey(): string {
    return `${this.prefix}sessions`;
  }
}
