import { describe, expect, test } from 'vitest';
import { ChannelRegistry } from './channel-registry.js';
import type { ChannelHolder } from './channel-registry.js';

type Eviction = 'taken-over' | 'kicked';

function holder(connectionId: string): ChannelHolder & { evictions: Eviction[] } {
  const evictions: Eviction[] = [];
  return { connectionId, evictions, evict: (reason) => void evictions.push(reason) };
}

describe('ChannelRegistry', () => {
  test('claim and release', () => {
    const registry = new ChannelRegistry(true);
    const a = holder('c-a');
    expect(registry.claim('ch1', a)).toBe(true);
    expect(registry.holder('ch1')).toBe(a);
    expect(registry.size).toBe(1);
    expect(registry.channels()).toEqual(['ch1']);

    registry.release('ch1', a);
    expect(registry.holder('ch1')).toBeUndefined();
    expect(registry.size).toBe(0);
    expect(registry.channels()).toEqual([]);
    expect(a.evictions).toEqual([]);
  });

  test('channels are independent', () => {
    const registry = new ChannelRegistry(false);
    const a = holder('c-a');
    const b = holder('c-b');
    expect(registry.claim('ch1', a)).toBe(true);
    expect(registry.claim('ch2', b)).toBe(true);
    expect(registry.channels().sort()).toEqual(['ch1', 'ch2']);
    registry.release('ch1', a);
    expect(registry.holder('ch2')).toBe(b);
  });

  test('the holder claiming its own channel again is not evicted', () => {
    const registry = new ChannelRegistry(false);
    const a = holder('c-a');
    expect(registry.claim('ch1', a)).toBe(true);
    expect(registry.claim('ch1', a)).toBe(true);
    expect(a.evictions).toEqual([]);
    expect(registry.size).toBe(1);
  });

  test('takeover: the new publisher wins and the old holder is evicted with taken-over', () => {
    const registry = new ChannelRegistry(true);
    const old = holder('c-old');
    const fresh = holder('c-new');
    registry.claim('ch1', old);
    // When evict() runs, the registry must already point at the new holder, so an old holder
    // releasing from inside evict() (as IngestConnection does) cannot remove the new one.
    let holderDuringEvict: ChannelHolder | undefined;
    old.evict = (reason) => {
      old.evictions.push(reason);
      holderDuringEvict = registry.holder('ch1');
      registry.release('ch1', old);
    };
    expect(registry.claim('ch1', fresh)).toBe(true);
    expect(old.evictions).toEqual(['taken-over']);
    expect(holderDuringEvict).toBe(fresh);
    expect(registry.holder('ch1')).toBe(fresh);
    expect(fresh.evictions).toEqual([]);
  });

  test('a taken-over holder releasing later does not remove the new holder', () => {
    const registry = new ChannelRegistry(true);
    const old = holder('c-old');
    const fresh = holder('c-new');
    registry.claim('ch1', old);
    registry.claim('ch1', fresh);
    registry.release('ch1', old);
    expect(registry.holder('ch1')).toBe(fresh);
    expect(registry.size).toBe(1);
    registry.release('ch1', fresh);
    expect(registry.holder('ch1')).toBeUndefined();
  });

  test('takeover disabled: a second publisher is refused and nobody is evicted', () => {
    const registry = new ChannelRegistry(false);
    const first = holder('c-first');
    const second = holder('c-second');
    expect(registry.claim('ch1', first)).toBe(true);
    expect(registry.claim('ch1', second)).toBe(false);
    expect(registry.holder('ch1')).toBe(first);
    expect(first.evictions).toEqual([]);
    expect(second.evictions).toEqual([]);
    // The refused one releasing (its connection closing) changes nothing.
    registry.release('ch1', second);
    expect(registry.holder('ch1')).toBe(first);
    // Once the first leaves, the channel is free again.
    registry.release('ch1', first);
    expect(registry.claim('ch1', second)).toBe(true);
  });

  test('kick evicts the holder with kicked and frees the channel', () => {
    const registry = new ChannelRegistry(false);
    const a = holder('c-a');
    registry.claim('ch1', a);
    expect(registry.kick('ch1')).toBe(true);
    expect(a.evictions).toEqual(['kicked']);
    expect(registry.holder('ch1')).toBeUndefined();
    expect(registry.size).toBe(0);
    // The kicked holder's own release afterwards is harmless, also after someone else claimed.
    const b = holder('c-b');
    expect(registry.claim('ch1', b)).toBe(true);
    registry.release('ch1', a);
    expect(registry.holder('ch1')).toBe(b);
  });

  test('kicking a channel that is not live returns false', () => {
    const registry = new ChannelRegistry(true);
    expect(registry.kick('nobody')).toBe(false);
    const a = holder('c-a');
    registry.claim('ch1', a);
    registry.release('ch1', a);
    expect(registry.kick('ch1')).toBe(false);
    expect(a.evictions).toEqual([]);
  });
});
