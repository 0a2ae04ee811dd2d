import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import { ByteQueue } from './byte-queue.js';
import { ProtocolError } from './protocol-error.js';

/** Cuts `bytes` at the given points into slices that each own their ArrayBuffer (as sockets deliver). */
function slice(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const cuts = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(bytes.slice(from, c));
    from = c;
  }
  return out;
}

const dataArb = fc.uint8Array({ minLength: 0, maxLength: 400 });
const cutsArb = fc.array(fc.nat(), { maxLength: 60 });
const sizesArb = fc.array(fc.integer({ min: 0, max: 64 }), { minLength: 1, maxLength: 40 });

describe('ByteQueue', () => {
  fcTest.prop([dataArb, cutsArb, sizesArb], { numRuns: 500 })(
    'any slicing drained by any take sizes reproduces the bytes, with views exactly when a take fits one slice',
    (data, cuts, sizes) => {
      const slices = slice(data, cuts);
      const starts: number[] = [];
      let s = 0;
      for (const sl of slices) {
        starts.push(s);
        s += sl.length;
      }
      const q = new ByteQueue();
      for (const sl of slices) q.push(sl);
      expect(q.length).toBe(data.length);

      const got: number[] = [];
      let pos = 0;
      for (let i = 0; q.length > 0; i++) {
        const n = Math.min(sizes[i % sizes.length]! || 1, q.length);
        const out = q.take(n);
        expect(out.length).toBe(n);
        // The slice holding byte `pos` (skipping empty slices, which the queue ignores).
        const k = slices.findIndex((sl, j) => sl.length > 0 && pos >= starts[j]! && pos < starts[j]! + sl.length);
        const owner = slices[k]!;
        if (pos + n <= starts[k]! + owner.length) {
          expect(out.buffer).toBe(owner.buffer);
          expect(out.byteOffset).toBe(owner.byteOffset + pos - starts[k]!);
        } else {
          expect(slices.some((sl) => sl.buffer === out.buffer)).toBe(false);
          expect(out.buffer.byteLength).toBe(n);
        }
        got.push(...out);
        pos += n;
        expect(q.length).toBe(data.length - pos);
      }
      expect(got).toEqual([...data]);
    },
  );

  fcTest.prop([dataArb, cutsArb])('at(i) equals the i-th byte whatever the slicing', (data, cuts) => {
    const q = new ByteQueue();
    for (const sl of slice(data, cuts)) q.push(sl);
    for (let i = 0; i < data.length; i++) expect(q.at(i)).toBe(data[i]);
    expect(() => q.at(data.length)).toThrow(ProtocolError);
  });
});

type Op =
  | { op: 'push'; bytes: Uint8Array }
  | { op: 'take' | 'skip' | 'copyTo'; n: number }
  | { op: 'at'; i: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('push' as const), bytes: fc.uint8Array({ maxLength: 20 }) }),
  fc.record({ op: fc.constantFrom('take' as const, 'skip' as const, 'copyTo' as const), n: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ op: fc.constant('at' as const), i: fc.integer({ min: 0, max: 30 }) }),
);

describe('ByteQueue against a plain array model', () => {
  fcTest.prop([fc.array(opArb, { maxLength: 80 })], { numRuns: 500 })(
    'interleaved push/take/skip/copyTo/at behave like an array; overdrafts throw truncated and change nothing',
    (ops) => {
      const q = new ByteQueue();
      let model: number[] = [];
      for (const o of ops) {
        switch (o.op) {
          case 'push':
            q.push(o.bytes);
            model.push(...o.bytes);
            break;
          case 'at':
            if (o.i < model.length) expect(q.at(o.i)).toBe(model[o.i]);
            else expect(() => q.at(o.i)).toThrow(expect.objectContaining({ code: 'truncated' }));
            break;
          case 'take':
          case 'skip':
          case 'copyTo': {
            const n = o.n;
            const act = (): number[] => {
              if (o.op === 'take') return [...q.take(n)];
              if (o.op === 'skip') {
                q.skip(n);
                return model.slice(0, n);
              }
              const dst = new Uint8Array(n + 2).fill(0xee);
              q.copyTo(dst, 1, n);
              expect(dst[0]).toBe(0xee);
              expect(dst[n + 1]).toBe(0xee);
              return [...dst.subarray(1, n + 1)];
            };
            if (n > model.length) {
              expect(act).toThrow(expect.objectContaining({ code: 'truncated' }));
            } else {
              expect(act()).toEqual(model.slice(0, n));
              model = model.slice(n);
            }
            break;
          }
          default: {
            const never: never = o;
            throw new Error(`unknown op ${String(never)}`);
          }
        }
        expect(q.length).toBe(model.length);
      }
      expect([...q.take(q.length)]).toEqual(model);
    },
  );
});
