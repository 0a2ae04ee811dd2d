import net from 'node:net';

export interface FailureLimiterOptions {
  /** Delay after the first recent failure; doubles per further failure. @defaultValue 1000 */
  baseDelayMs?: number;
  /** Cap of the delay. @defaultValue 4000 */
  maxDelayMs?: number;
  /** Failures per client within `windowMs` after which it is refused outright; 0 = never. @defaultValue 10 */
  maxFailuresPerWindow?: number;
  /** @defaultValue 60000 */
  windowMs?: number;
  /** Clients remembered at most; the least recently failing are forgotten first. @defaultValue 100000 */
  maxTrackedClients?: number;
  /** Clock, for tests. @defaultValue `Date.now` */
  now?: () => number;
}

/**
 * Brute-force brake for failed publish attempts, per client IP (IPv6 per /64, since anyone gets
 * a whole /64; IPv4-mapped IPv6 counts as the IPv4 address).
 *
 * - Delay: after a failure, the caller waits `penalty(ip)` ms before answering:
 *   base × 2^(n-1) for n failures in the window, capped (1 s, 2 s, 4 s, 4 s … by default).
 * - Rate limit: with `maxFailuresPerWindow` failures in the sliding window, `isRateLimited(ip)`
 *   is true and the caller refuses without checking the key. Refused attempts are not counted,
 *   so a client regains one attempt each time an old failure leaves the window.
 * - Successes do not reset the count (one valid key must not unlock guessing at others).
 *
 * State is in memory, per process: with several ingest processes each brakes on its own, which
 * multiplies the attempts an attacker gets by the process count but keeps auth free of a Redis
 * round trip per failure. Memory is bounded by `maxTrackedClients`.
 */
export class FailureLimiter {
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;
  /** Failure times per client, oldest first; Map order = least recently failing first. */
  private readonly failures = new Map<string, number[]>();
  /** Entries kept per client: enough for the rate limit and to reach the delay cap. */
  private readonly keep: number;

  constructor(opts: FailureLimiterOptions = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? 1000;
    this.maxDelayMs = opts.maxDelayMs ?? 4000;
    this.maxFailures = opts.maxFailuresPerWindow ?? 10;
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxClients = opts.maxTrackedClients ?? 100_000;
    this.now = opts.now ?? Date.now;
    const toCap = this.baseDelayMs > 0 && this.maxDelayMs > this.baseDelayMs ? Math.ceil(Math.log2(this.maxDelayMs / this.baseDelayMs)) + 1 : 1;
    this.keep = Math.max(this.maxFailures, toCap, 1);
  }

  /** True when `ip` has used up its failures for the window: refuse without checking the key. */
  isRateLimited(ip: string): boolean {
    return this.maxFailures > 0 && this.recent(clientKey(ip)).length >= this.maxFailures;
  }

  /** Records a failed attempt; returns the delay to apply before answering it (= `penalty(ip)`). */
  recordFailure(ip: string): number {
    const key = clientKey(ip);
    const list = this.recent(key);
    list.push(this.now());
    if (list.length > this.keep) list.splice(0, list.length - this.keep);
    // Re-insert so Map order stays "least recently failing first" for eviction.
    this.failures.delete(key);
    this.failures.set(key, list);
    while (this.failures.size > this.maxClients) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
    return this.penalty(ip);
  }

  /** Delay in ms for a failed answer to `ip` now: 0 without recent failures. */
  penalty(ip: string): number {
    const n = this.recent(clientKey(ip)).length;
    if (n === 0 || this.baseDelayMs === 0) return 0;
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(n - 1, 30));
  }

  /** Recent failures of `ip` (within the window). */
  failureCount(ip: string): number {
    return this.recent(clientKey(ip)).length;
  }

  /** Clients currently remembered. */
  get trackedClients(): number {
    return this.failures.size;
  }

  /** Forgets clients whose failures all left the window (call from a timer if you like; lookups also prune). */
  sweep(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
  }

  /** The client's failures within the window, pruning older ones (and the client if none are left). */
  private recent(key: string): number[] {
    const list = this.failures.get(key);
    if (list === undefined) return [];
    const cutoff = this.now() - this.windowMs;
    let drop = 0;
    while (drop < list.length && (list[drop] ?? 0) <= cutoff) drop++;
    if (drop > 0) list.splice(0, drop);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }
}

/** The unit we count per: IPv4 address, or IPv6 /64 prefix. */
export function clientKey(ip: string): string {
  const bare = ip.replace(/%.*$/, ''); // zone id
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (!net.isIPv6(bare)) return bare;
  return `${expandIPv6(bare).slice(0, 4).join(':')}::/64`;
}

/** The 8 hextets of an IPv6 address (lower case, no leading zeros). */
function expandIPv6(ip: string): string[] {
  let s = ip.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((h) => parseInt(h, 16).toString(16));
}
