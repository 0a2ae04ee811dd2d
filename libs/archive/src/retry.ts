import { setTimeout as sleep } from 'node:timers/promises';

/** Backoff between attempts at one S3 call. Attempts never stop while the session lives. */
export interface RetryOptions {
  /** Delay before the second attempt. @defaultValue 1000 */
  initialDelayMs?: number;
  /** Ceiling the doubling delay stops at. @defaultValue 30000 */
  maxDelayMs?: number;
}

export const DEFAULT_INITIAL_DELAY_MS = 1_000;
export const DEFAULT_MAX_DELAY_MS = 30_000;

/**
 * Delay before attempt `failures + 1`: doubles from `initialDelayMs` up to `maxDelayMs`, with "equal
 * jitter" (half fixed, half random) so many sessions hitting one outage do not retry in lockstep.
 */
export function backoffDelayMs(failures: number, options: RetryOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS;
  const max = Math.max(initial, options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const ceiling = Math.min(max, initial * 2 ** exponent);
  return ceiling / 2 + random() * (ceiling / 2);
}

export interface RetryContext {
  signal: AbortSignal;
  retry: RetryOptions;
  /** Called after each failure, before sleeping; `failures` counts consecutive failures of this call. */
  onFailure(failures: number, delayMs: number, err: unknown): void;
  /** Called once the call succeeds after at least one failure. */
  onRecovered?(failures: number): void;
  /** Return true to stop retrying and rethrow `err` (the caller handles it, e.g. restarts the upload). */
  giveUp?(err: unknown, failures: number): boolean;
}

/**
 * Run `op` until it succeeds, `ctx.giveUp` says stop, or `ctx.signal` aborts (then rejects with the
 * signal's reason).
 * `op` receives the signal so an in-flight S3 request is cancelled at once.
 */
export async function retryUntilAborted<T>(op: (signal: AbortSignal) => Promise<T>, ctx: RetryContext): Promise<T> {
  for (let failures = 0; ; ) {
    ctx.signal.throwIfAborted();
    try {
      const value = await op(ctx.signal);
      if (failures > 0) ctx.onRecovered?.(failures);
      return value;
    } catch (err) {
      ctx.signal.throwIfAborted();
      failures++;
      if (ctx.giveUp?.(err, failures) === true) throw err;
      const delayMs = backoffDelayMs(failures, ctx.retry);
      ctx.onFailure(failures, delayMs, err);
      try {
        await sleep(delayMs, undefined, { signal: ctx.signal });
      } catch {
        ctx.signal.throwIfAborted();
      }
    }
  }
}
