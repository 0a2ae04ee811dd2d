import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { MAX_STREAM_KEY_CHARS } from './auth-types.js';
import { randomBase62 } from './random-base62.js';

/** A publishing destination. Its stream key is never stored or returned after creation/rotation. */
export interface Channel {
  /** 12 base62 characters; embedded in the channel's stream keys. Safe to log. */
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  /** When the current (or revoked) key was issued; absent if the channel never had one. */
  readonly keyCreatedAt?: Date;
  /** True after `revokeKey` until the next `rotateKey`: no key is valid. */
  readonly revoked: boolean;
}

export type KeyVerification = { ok: true; channelId: string } | { ok: false; reason: 'unknown-key' | 'revoked' | 'malformed' };

export interface KeyStoreOptions {
  /** Prefix of every Redis key this store writes. @defaultValue `hw:auth:` */
  prefix?: string;
  /**
   * Optional per-installation secret mixed into the key hashes (HMAC-SHA256 instead of SHA-256),
   * so a copy of Redis alone cannot even confirm a guessed key. Changing it invalidates every key.
   */
  pepper?: string | Buffer;
  /** Clock, for tests. @defaultValue `Date.now` */
  now?: () => number;
}

/** Bad input to a `KeyStore` method. `code` is stable. */
export class KeyStoreError extends Error {
  override readonly name = 'KeyStoreError';
  constructor(
    readonly code: 'unknown-channel' | 'invalid-name',
    message: string,
  ) {
    super(message);
  }
}

/** Length of channel ids (base62, ≈ 71 bits: collisions are negligible and still checked). */
export const CHANNEL_ID_CHARS = 12;
/** Length of the secret part of a key (base62, ≈ 196 bits ≥ 24 random bytes). */
export const KEY_SECRET_CHARS = 33;
/** Longest channel name. */
export const MAX_CHANNEL_NAME_CHARS = 200;

const CHANNEL_ID = new RegExp(`^[0-9A-Za-z]{${CHANNEL_ID_CHARS}}$`);
/** Stream key format: `hw_<channelId>_<secret>`, so verify finds the channel in O(1) without storing the key. */
const STREAM_KEY = new RegExp(`^hw_([0-9A-Za-z]{${CHANNEL_ID_CHARS}})_[0-9A-Za-z]{${KEY_SECRET_CHARS}}$`);
const HASH_BYTES = 32;
const CREATE_ATTEMPTS = 5;

// Lua keeps "check the channel exists, then write" atomic against a concurrent delete.
const CREATE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'createdAt', ARGV[2], 'keyCreatedAt', ARGV[2], 'keyHash', ARGV[3], 'revoked', '0')
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
return 1`;
const ROTATE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'keyHash', ARGV[1], 'keyCreatedAt', ARGV[2], 'revoked', '0')
return 1`;
const REVOKE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'revoked', '1')
return 1`;

/**
 * Channels and their stream keys in Redis. Keys are stored only as hashes.
 *
 * Layout (prefix `hw:auth:`): hash `channel:<id>` {name, createdAt, keyCreatedAt, keyHash, revoked}
 * and sorted set `channels` (id by creation time).
 *
 * Why a fast hash (SHA-256) and not bcrypt/scrypt/argon2: slow hashes protect low-entropy,
 * human-chosen passwords from offline guessing. Our keys are 196 random bits from the CSPRNG;
 * guessing is infeasible at any hash speed, and a slow hash would only turn every (possibly
 * hostile) publish attempt into a CPU cost for us. The stored hash is compared with
 * `timingSafeEqual`; the revoked key's hash is kept so its use is reported as `revoked`.
 */
export class KeyStore {
  private readonly prefix: string;
  private readonly pepper: Buffer | undefined;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    opts: KeyStoreOptions = {},
  ) {
    this.prefix = opts.prefix ?? 'hw:auth:';
    this.pepper = opts.pepper === undefined ? undefined : Buffer.from(opts.pepper);
    this.now = opts.now ?? Date.now;
  }

  /** Creates a channel and its first stream key. The key is returned here only: show it once. */
  async createChannel(name?: string): Promise<{ channel: Channel; streamKey: string }> {
    if (name !== undefined) checkName(name);
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      const id = randomBase62(CHANNEL_ID_CHARS);
      const streamKey = newKey(id);
      const createdAt = this.now();
      const created = await this.redis.eval(CREATE_LUA, 2, this.channelKey(id), this.indexKey(), name ?? id, String(createdAt), this.hash(streamKey).toString('hex'), id);
      if (created === 1) {
        const at = new Date(createdAt);
        return { channel: { id, name: name ?? id, createdAt: at, keyCreatedAt: at, revoked: false }, streamKey };
      }
    }
    throw new Error('could not allocate a unique channel id'); // 5 collisions of 71 random bits: a broken RNG
  }

  /** Every channel, oldest first. */
  async listChannels(): Promise<Channel[]> {
    const ids = await this.redis.zrange(this.indexKey(), 0, '-1');
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.channelKey(id));
    const results = (await pipeline.exec()) ?? [];
    const out: Channel[] = [];
    ids.forEach((id, i) => {
      const [err, fields] = results[i] ?? [null, {}];
      if (err) throw err;
      const channel = toChannel(id, fields as Record<string, string>);
      if (channel) out.push(channel);
    });
    return out;
  }

  /** The channel, or `undefined` if there is none with this id. */
  async getChannel(id: string): Promise<Channel | undefined> {
    if (!CHANNEL_ID.test(id)) return undefined;
    return toChannel(id, await this.redis.hgetall(this.channelKey(id)));
  }

  /** Issues a new key, invalidating the previous one (and lifting a revocation). Shown once. */
  async rotateKey(channelId: string): Promise<string> {
    if (!CHANNEL_ID.test(channelId)) throw unknownChannel();
    const streamKey = newKey(channelId);
    const ok = await this.redis.eval(ROTATE_LUA, 1, this.channelKey(channelId), this.hash(streamKey).toString('hex'), String(this.now()));
    if (ok !== 1) throw unknownChannel();
    return streamKey;
  }

  /** Makes the channel's key invalid. The channel stays; `rotateKey` issues a new key. */
  async revokeKey(channelId: string): Promise<void> {
    const ok = CHANNEL_ID.test(channelId) ? await this.redis.eval(REVOKE_LUA, 1, this.channelKey(channelId)) : 0;
    if (ok !== 1) throw unknownChannel();
  }

  /** Deletes the channel and its key. Resolves false if there was no such channel. */
  async deleteChannel(id: string): Promise<boolean> {
    if (!CHANNEL_ID.test(id)) return false;
    const res = await this.redis.multi().del(this.channelKey(id)).zrem(this.indexKey(), id).exec();
    return res?.[0]?.[1] === 1;
  }

  /** Checks a stream key. One Redis round trip; the secret is compared in constant time. */
  async verify(streamKey: string): Promise<KeyVerification> {
    const m = streamKey.length <= MAX_STREAM_KEY_CHARS ? STREAM_KEY.exec(streamKey) : null;
    const channelId = m?.[1];
    if (channelId === undefined) return { ok: false, reason: 'malformed' };
    // Hash before the lookup so the time taken does not depend on whether the channel exists.
    const presented = this.hash(streamKey);
    const [storedHex, revoked] = await this.redis.hmget(this.channelKey(channelId), 'keyHash', 'revoked');
    const stored = Buffer.from(storedHex ?? '', 'hex');
    if (stored.length !== HASH_BYTES || !timingSafeEqual(stored, presented)) return { ok: false, reason: 'unknown-key' };
    return revoked === '1' ? { ok: false, reason: 'revoked' } : { ok: true, channelId };
  }

  private hash(streamKey: string): Buffer {
    return this.pepper === undefined
      ? createHash('sha256').update(streamKey, 'utf8').digest()
      : createHmac('sha256', this.pepper).update(streamKey, 'utf8').digest();
  }

  private channelKey(id: string): string {
    return `${this.prefix}channel:${id}`;
  }

  private indexKey(): string {
    return `${this.prefix}channels`;
  }
}

function newKey(channelId: string): string {
  return `hw_${channelId}_${randomBase62(KEY_SECRET_CHARS)}`;
}

function checkName(name: string): void {
  const bad = name.trim() === '' || name.length > MAX_CHANNEL_NAME_CHARS || [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (bad) throw new KeyStoreError('invalid-name', `channel name must be 1-${MAX_CHANNEL_NAME_CHARS} printable characters`);
}

function unknownChannel(): KeyStoreError {
  return new KeyStoreError('unknown-channel', 'no such channel');
}

function toChannel(id: string, f: Record<string, string>): Channel | undefined {
  if (f.createdAt === undefined) return undefined;
  return {
    id,
    name: f.name ?? id,
    createdAt: new Date(Number(f.createdAt)),
    ...(f.keyCreatedAt === undefined ? {} : { keyCreatedAt: new Date(Number(f.keyCreatedAt)) }),
    revoked: f.revoked === '1',
  };
}
