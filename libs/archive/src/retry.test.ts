import { expect, test } from 'vitest';
import { backoffDelayMs, retryUntilAborted } from './retry.js';

test('backoff doubles from the initial delay up to the cap, with half of it jittered', () => {
  const opts = { initialDelayMs: 1000, maxDelayMs: 30_000 };
  const low = (n: number) => backoffDelayMs(n, opts, () => 0);
  const high = (n: number) => backoffDelayMs(n, opts, () => 1);
  expect([1, 2, 3, 4, 5, 6, 7, 50].map(high)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  expect([1, 2, 6, 1000].map(low)).toEqual([500, 1000, 15_000, 15_000]);
  expect(backoffDelayMs(1)).toBeGreaterThanOrEqual(500); // defaults: 1 s .. 30 s
  expect(backoffDelayMs(99)).toBeLessThanOrEqual(30_000);
});

test('retries until success, reporting each failure', async () => {
  const failures: number[] = [];
  let calls = 0;
  const value = await retryUntilAborted(
    async () => {
      if (++calls < 4) throw new Error(`fail ${calls}`);
      return 'ok';
    },
    { signal: new AbortController().signal, retry: { initialDelayMs: 1, maxDelayMs: 2 }, onFailure: (n) => failures.push(n) },
  );
  expect(value).toBe('ok');
  expect(failures).toEqual([1, 2, 3]);
});

test('giveUp rethrows at once; an abort ends the wait with the signal reason', async () => {
  const boom = new Error('boom');
  await expect(
    retryUntilAborted(() => Promise.reject(boom), { signal: new AbortController().signal, retry: {}, onFailure: () => {}, giveUp: () => true }),
  ).rejects.toBe(boom);

  const stop = new AbortController();
  const reason = new Error('stopped');
  const pending = retryUntilAborted(() => Promise.reject(boom), { signal: stop.signal, retry: { initialDelayMs: 60_000 }, onFailure: () => stop.abort(reason) });
  await expect(pending).rejects.toBe(reason);
});
