import { describe, expect, test } from 'vitest';
import { ConnectionLimiter } from './connection-limiter.js';

type Slot = ReturnType<ConnectionLimiter['acquire']>;

function release(slot: Slot): void {
  if (!slot.ok) throw new Error(`expected an accepted slot, got ${slot.reason}`);
  slot.release();
}

describe('ConnectionLimiter', () => {
  test('global cap across addresses', () => {
    const limiter = new ConnectionLimiter(3, 10);
    const slots = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => limiter.acquire(ip));
    expect(slots.every((s) => s.ok)).toBe(true);
    expect(limiter.connections).toBe(3);
    expect(limiter.acquire('10.0.0.4')).toEqual({ ok: false, reason: 'max-connections' });
    expect(limiter.acquire('10.0.0.1')).toEqual({ ok: false, reason: 'max-connections' });
    expect(limiter.connections).toBe(3);

    release(slots[1]!);
    expect(limiter.connections).toBe(2);
    const again = limiter.acquire('10.0.0.4');
    expect(again.ok).toBe(true);
    expect(limiter.acquire('10.0.0.5')).toEqual({ ok: false, reason: 'max-connections' });
  });

  test('per-IP cap leaves other addresses alone', () => {
    const limiter = new ConnectionLimiter(100, 2);
    const a1 = limiter.acquire('192.0.2.1');
    const a2 = limiter.acquire('192.0.2.1');
    expect(a1.ok && a2.ok).toBe(true);
    expect(limiter.acquire('192.0.2.1')).toEqual({ ok: false, reason: 'max-connections-per-ip' });
    expect(limiter.acquire('192.0.2.2').ok).toBe(true);
    expect(limiter.acquire('::1').ok).toBe(true);
    expect(limiter.connections).toBe(4);

    release(a1);
    const a3 = limiter.acquire('192.0.2.1');
    expect(a3.ok).toBe(true);
    expect(limiter.acquire('192.0.2.1')).toEqual({ ok: false, reason: 'max-connections-per-ip' });
  });

  test('release is idempotent', () => {
    const limiter = new ConnectionLimiter(10, 2);
    const a = limiter.acquire('198.51.100.7');
    const b = limiter.acquire('198.51.100.7');
    expect(limiter.connections).toBe(2);
    release(a);
    release(a);
    release(a);
    expect(limiter.connections).toBe(1);
    // Only one slot of this address was freed: one more fits, not two.
    expect(limiter.acquire('198.51.100.7').ok).toBe(true);
    expect(limiter.acquire('198.51.100.7')).toEqual({ ok: false, reason: 'max-connections-per-ip' });
    release(b);
    release(b);
    expect(limiter.connections).toBe(1);
  });

  test('every slot released brings the counts back to zero and the caps reset', () => {
    const limiter = new ConnectionLimiter(4, 2);
    const ips = ['a', 'a', 'b', 'b'];
    for (let round = 0; round < 3; round++) {
      const slots = ips.map((ip) => limiter.acquire(ip));
      expect(slots.every((s) => s.ok)).toBe(true);
      expect(limiter.acquire('c')).toEqual({ ok: false, reason: 'max-connections' });
      for (const s of slots) release(s);
      expect(limiter.connections).toBe(0);
    }
  });

  test('a zero cap refuses everything', () => {
    expect(new ConnectionLimiter(0, 5).acquire('x')).toEqual({ ok: false, reason: 'max-connections' });
    expect(new ConnectionLimiter(5, 0).acquire('x')).toEqual({ ok: false, reason: 'max-connections-per-ip' });
  });
});
