import { describe, expect, test } from 'vitest';
import { FailureLimiter, clientKey } from './failure-limiter.js';

/** A clock the test moves by hand. */
function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('FailureLimiter', () => {
  test('the delay doubles per recent failure up to the cap', () => {
    const c = clock();
    const l = new FailureLimiter({ baseDelayMs: 1000, maxDelayMs: 4000, maxFailuresPerWindow: 100, now: c.now });
    expect(l.penalty('198.51.100.1')).toBe(0);
    expect([1, 2, 3, 4, 5].map(() => l.recordFailure('198.51.100.1'))).toEqual([1000, 2000, 4000, 4000, 4000]);
    expect(l.penalty('198.51.100.1')).toBe(4000);
    expect(l.penalty('198.51.100.2')).toBe(0); // other clients are unaffected
  });

  test('failures leave the sliding window and the delay shrinks back', () => {
    const c = clock();
    const l = new FailureLimiter({ baseDelayMs: 500, maxDelayMs: 8000, windowMs: 60_000, now: c.now });
    l.recordFailure('a');
    c.advance(30_000);
    l.recordFailure('a');
    l.recordFailure('a');
    expect(l.penalty('a')).toBe(2000);
    c.advance(30_000); // the first failure is now exactly one window old
    expect(l.failureCount('a')).toBe(2);
    expect(l.penalty('a')).toBe(1000);
    c.advance(30_000);
    expect(l.penalty('a')).toBe(0);
    expect(l.trackedClients).toBe(0);
  });

  test('rate limit: after N failures in the window the client is refused; refusals do not count', () => {
    const c = clock();
    const l = new FailureLimiter({ maxFailuresPerWindow: 3, windowMs: 60_000, now: c.now });
    for (let i = 0; i < 3; i++) {
      expect(l.isRateLimited('a')).toBe(false);
      l.recordFailure('a');
      c.advance(10_000);
    }
    expect(l.isRateLimited('a')).toBe(true);
    expect(l.isRateLimited('b')).toBe(false);
    // Refusing does not record anything, so the oldest failure leaving frees one attempt.
    c.advance(29_999);
    expect(l.isRateLimited('a')).toBe(true);
    c.advance(1);
    expect(l.isRateLimited('a')).toBe(false);
    l.recordFailure('a');
    expect(l.isRateLimited('a')).toBe(true);
  });

  test('maxFailuresPerWindow 0 never rate-limits; baseDelayMs 0 never delays', () => {
    const l = new FailureLimiter({ baseDelayMs: 0, maxDelayMs: 0, maxFailuresPerWindow: 0, now: () => 0 });
    for (let i = 0; i < 1000; i++) expect(l.recordFailure('a')).toBe(0);
    expect(l.isRateLimited('a')).toBe(false);
  });

  test('memory is bounded: the least recently failing clients are forgotten first', () => {
    const c = clock();
    const l = new FailureLimiter({ maxTrackedClients: 3, maxFailuresPerWindow: 2, now: c.now });
    for (const ip of ['1.1.1.1', '2.2.2.2', '3.3.3.3']) l.recordFailure(ip);
    l.recordFailure('1.1.1.1'); // now the most recent
    l.recordFailure('4.4.4.4');
    expect(l.trackedClients).toBe(3);
    expect(l.failureCount('2.2.2.2')).toBe(0);
    expect(l.failureCount('1.1.1.1')).toBe(2);
    expect(l.isRateLimited('1.1.1.1')).toBe(true);
  });

  test('per-client history is capped but still reaches the rate limit and the delay cap', () => {
    const l = new FailureLimiter({ baseDelayMs: 1, maxDelayMs: 1024, maxFailuresPerWindow: 3, now: () => 5 });
    for (let i = 0; i < 100; i++) l.recordFailure('a');
    expect(l.failureCount('a')).toBe(11); // log2(1024) + 1 entries reach the cap
    expect(l.penalty('a')).toBe(1024);
    expect(l.isRateLimited('a')).toBe(true);
  });

  test('sweep forgets clients whose failures are all old', () => {
    const c = clock();
    const l = new FailureLimiter({ now: c.now });
    l.recordFailure('a');
    l.recordFailure('b');
    c.advance(60_001);
    expect(l.trackedClients).toBe(2);
    l.sweep();
    expect(l.trackedClients).toBe(0);
  });

  test('IPv6 clients count per /64; IPv4-mapped addresses count as IPv4', () => {
    const c = clock();
    const l = new FailureLimiter({ maxFailuresPerWindow: 2, now: c.now });
    l.recordFailure('2001:db8:1:2::1');
    l.recordFailure('2001:db8:1:2:ffff:ffff:ffff:ffff');
    expect(l.isRateLimited('2001:0db8:0001:0002:abcd::9')).toBe(true);
    expect(l.isRateLimited('2001:db8:1:3::1')).toBe(false);
    l.recordFailure('::ffff:192.0.2.1');
    l.recordFailure('192.0.2.1');
    expect(l.isRateLimited('192.0.2.1')).toBe(true);
  });
});

test.each([
  ['192.0.2.1', '192.0.2.1'],
  ['::ffff:192.0.2.1', '192.0.2.1'],
  ['::FFFF:192.0.2.1', '192.0.2.1'],
  ['2001:db8::1', '2001:db8:0:0::/64'],
  ['2001:DB8:0:0:1::', '2001:db8:0:0::/64'],
  ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ['::1', '0:0:0:0::/64'],
  ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
  ['not-an-ip', 'not-an-ip'],
])('clientKey(%s) = %s', (ip, key) => {
  expect(clientKey(ip)).toBe(key);
});
