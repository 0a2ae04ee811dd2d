import { describe, expect, test } from 'vitest';
import { ByteQueue } from './byte-queue.js';
import { ProtocolError } from './protocol-error.js';

function queueOf(...slices: number[][]): ByteQueue {
  const q = new ByteQueue();
  for (const s of slices) q.push(Uint8Array.from(s));
  return q;
}

function thrown(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error('expected a throw');
}

describe('ByteQueue', () => {
  test('starts empty; push adds to length; empty pushes are ignored', () => {
    const q = new ByteQueue();
    expect(q.length).toBe(0);
    q.push(new Uint8Array(0));
    expect(q.length).toBe(0);
    q.push(Uint8Array.from([1, 2]));
    q.push(new Uint8Array(0));
    q.push(Uint8Array.from([3]));
    expect(q.length).toBe(3);
    expect([...q.take(3)]).toEqual([1, 2, 3]);
    expect(q.length).toBe(0);
  });

  test('at() indexes across slices and after partial consumption', () => {
    const q = queueOf([1, 2], [3], [4, 5, 6]);
    expect([0, 1, 2, 3, 4, 5].map((i) => q.at(i))).toEqual([1, 2, 3, 4, 5, 6]);
    q.skip(1);
    expect([0, 1, 2, 3, 4].map((i) => q.at(i))).toEqual([2, 3, 4, 5, 6]);
    q.take(3);
    expect([q.at(0), q.at(1)]).toEqual([5, 6]);
    expect(q.length).toBe(2);
  });

  test('take within one slice is a view of that slice (zero copy)', () => {
    const slice = Uint8Array.from([1, 2, 3, 4, 5]);
    const q = new ByteQueue();
    q.push(slice);
    q.skip(1);
    const out = q.take(3);
    expect([...out]).toEqual([2, 3, 4]);
    expect(out.buffer).toBe(slice.buffer);
    expect(out.byteOffset).toBe(1);
    slice[2] = 0x99;
    expect(out[1]).toBe(0x99);
  });

  test('take that straddles slices is a fresh copy of exactly n bytes', () => {
    const a = Uint8Array.from([1, 2, 3]);
    const b = Uint8Array.from([4, 5, 6]);
    const q = new ByteQueue();
    q.push(a);
    q.push(b);
    q.skip(1);
    const out = q.take(4);
    expect([...out]).toEqual([2, 3, 4, 5]);
    expect(out.buffer).not.toBe(a.buffer);
    expect(out.buffer).not.toBe(b.buffer);
    expect(out.buffer.byteLength).toBe(4);
    a[2] = 0x99;
    b[0] = 0x99;
    expect([...out]).toEqual([2, 3, 4, 5]);
    expect([...q.take(1)]).toEqual([6]);
  });

  test('take exactly the rest of the first slice is a view and moves to the next slice', () => {
    const a = Uint8Array.from([1, 2, 3]);
    const q = new ByteQueue();
    q.push(a);
    q.push(Uint8Array.from([4]));
    q.skip(1);
    const out = q.take(2);
    expect(out.buffer).toBe(a.buffer);
    expect(q.at(0)).toBe(4);
  });

  test('take(0) is empty and consumes nothing, even on an empty queue', () => {
    expect(new ByteQueue().take(0).length).toBe(0);
    const q = queueOf([7]);
    expect(q.take(0).length).toBe(0);
    expect(q.at(0)).toBe(7);
  });

  test('take across many 1-byte slices', () => {
    const q = queueOf(...Array.from({ length: 100 }, (_, i) => [i]));
    expect([...q.take(60)]).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect([...q.take(40)]).toEqual(Array.from({ length: 40 }, (_, i) => i + 60));
    expect(q.length).toBe(0);
  });

  test('copyTo writes at dstOffset across slices and consumes', () => {
    const q = queueOf([1, 2], [3, 4, 5], [6]);
    const dst = new Uint8Array(8).fill(0xee);
    q.copyTo(dst, 2, 5);
    expect([...dst]).toEqual([0xee, 0xee, 1, 2, 3, 4, 5, 0xee]);
    expect(q.length).toBe(1);
    expect(q.at(0)).toBe(6);
    q.copyTo(dst, 7, 1);
    expect(dst[7]).toBe(6);
    expect(q.length).toBe(0);
    q.copyTo(dst, 8, 0);
  });

  test('copyTo into a destination view honours its byteOffset', () => {
    const backing = new Uint8Array(10);
    const q = queueOf([1, 2], [3]);
    q.copyTo(backing.subarray(4, 8), 1, 3);
    expect([...backing]).toEqual([0, 0, 0, 0, 0, 1, 2, 3, 0, 0]);
  });

  test('skip drops bytes across slices', () => {
    const q = queueOf([1, 2], [3, 4], [5, 6]);
    q.skip(3);
    expect(q.length).toBe(3);
    expect([...q.take(3)]).toEqual([4, 5, 6]);
    q.skip(0);
  });

  test('pushed slices with a byteOffset (pooled Buffers) are read in their own window', () => {
    Buffer.from([0xaa]);
    const q = new ByteQueue();
    q.push(Buffer.from([1, 2, 3]));
    const slab = Uint8Array.from([9, 9, 4, 5, 9]);
    q.push(slab.subarray(2, 4));
    expect(q.length).toBe(5);
    expect([0, 1, 2, 3, 4].map((i) => q.at(i))).toEqual([1, 2, 3, 4, 5]);
    expect([...q.take(5)]).toEqual([1, 2, 3, 4, 5]);
  });

  test('the queue can be refilled after it is drained', () => {
    const q = queueOf([1, 2]);
    q.take(2);
    q.push(Uint8Array.from([3, 4]));
    expect([...q.take(2)]).toEqual([3, 4]);
  });
});

describe('ByteQueue misuse', () => {
  test.each([
    ['take', (q: ByteQueue) => q.take(4)],
    ['skip', (q: ByteQueue) => q.skip(4)],
    ['copyTo', (q: ByteQueue) => q.copyTo(new Uint8Array(10), 0, 4)],
    ['at(length)', (q: ByteQueue) => q.at(3)],
    ['at(far)', (q: ByteQueue) => q.at(1000)],
  ])('%s beyond length is ProtocolError(truncated) and leaves the queue untouched', (_name, fn) => {
    const q = queueOf([1], [2, 3]);
    expect(thrown(() => fn(q)).code).toBe('truncated');
    expect(q.length).toBe(3);
    expect([...q.take(3)]).toEqual([1, 2, 3]);
  });

  test('skip beyond length does not corrupt later reads (regression: head ran ahead into the next push)', () => {
    const q = queueOf([1, 2, 3]);
    expect(() => q.skip(10)).toThrow(ProtocolError);
    q.take(3);
    q.push(Uint8Array.from([4, 5, 6]));
    expect(q.at(0)).toBe(4);
    expect([...q.take(3)]).toEqual([4, 5, 6]);
  });

  test('at() on an empty queue is truncated, not a TypeError', () => {
    expect(thrown(() => new ByteQueue().at(0)).code).toBe('truncated');
  });

  test.each([
    ['negative', -1],
    ['fractional', 0.5],
    ['NaN', NaN],
  ])('a %s count or index is ProtocolError(bad-argument) and consumes nothing', (_name, n) => {
    const q = queueOf([1, 2], [3]);
    for (const fn of [() => q.take(n), () => q.skip(n), () => q.copyTo(new Uint8Array(4), 0, n), () => q.at(n)]) {
      expect(thrown(fn).code).toBe('bad-argument');
    }
    expect(q.length).toBe(3);
    expect([...q.take(3)]).toEqual([1, 2, 3]);
  });

  test.each([
    ['too small', 2, 0],
    ['offset past the end', 4, 3],
    ['negative offset', 4, -1],
  ])('copyTo into a destination %s is ProtocolError(bad-argument) and consumes nothing', (_name, size, offset) => {
    const q = queueOf([1, 2], [3]);
    expect(thrown(() => q.copyTo(new Uint8Array(size), offset, 3)).code).toBe('bad-argument');
    expect(q.length).toBe(3);
    expect(q.at(0)).toBe(1);
  });
});
