import { ProtocolError } from '@headwater/bytes';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MAX_REFERENCED_BYTES } from './amf-limits.js';
import { amfObjectOf, ecmaArray, typedObject } from './amf-value.js';
import type { AmfValue } from './amf-value.js';
import { decodeAmf0 } from './amf0-decoder.js';
import { encodeAmf0 } from './amf0-encoder.js';

const name = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 });
const entries = (value: fc.Arbitrary<AmfValue>) => fc.array(fc.tuple(name, value), { maxLength: 5 });
const fromEntries = (list: [string, AmfValue][]): Record<string, AmfValue> => {
  const out = amfObjectOf();
  for (const [k, v] of list) out[k] = v;
  return out;
};

/** Any AmfValue tree the AMF0 encoder accepts (property names are non-empty). */
const amfValue: fc.Arbitrary<AmfValue> = fc.letrec<{ value: AmfValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constant(null),
    fc.constant(undefined),
    fc.date({ noInvalidDate: true }),
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie('value'), { maxLength: 5 }),
    entries(tie('value')).map((list) => amfObjectOf(fromEntries(list))),
    entries(tie('value')).map((list) => ecmaArray(fromEntries(list))),
    fc.tuple(fc.string({ maxLength: 8 }), entries(tie('value'))).map(([cls, list]) => typedObject(cls, fromEntries(list))),
  ),
})).value;

function expectOnlyProtocolError(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
  }
}

describe('AMF0 properties', () => {
  fcTest.prop([fc.array(amfValue, { maxLength: 4 })])('decode(encode(values)) equals values', (values) => {
    expect(decodeAmf0(encodeAmf0(values))).toEqual(values);
  });

  fcTest.prop([fc.uint8Array({ maxLength: 256 })], { numRuns: 1000 })('random bytes decode or fail with ProtocolError', (bytes) => {
    expectOnlyProtocolError(() => decodeAmf0(bytes));
  });

  fcTest.prop([fc.array(amfValue, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })])(
    'mutated encodings decode or fail with ProtocolError, and what decodes re-encodes',
    (values, edits) => {
      const bytes = encodeAmf0(values).slice();
      for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
      let decoded: AmfValue[] | undefined;
      expectOnlyProtocolError(() => (decoded = decodeAmf0(bytes)));
      if (decoded !== undefined) expectOnlyProtocolError(() => encodeAmf0(decoded!));
    },
  );
});

describe('AMF0 limits on hostile nesting', () => {
  const repeat = (unit: Uint8Array, n: number, tail: Uint8Array): Uint8Array => {
    const out = new Uint8Array(unit.length * n + tail.length);
    for (let i = 0; i < n; i++) out.set(unit, i * unit.length);
    out.set(tail, unit.length * n);
    return out;
  };

  test.each([
    ['strict arrays', Uint8Array.of(0x0a, 0, 0, 0, 1)],
    ['objects', Uint8Array.of(0x03, 0, 1, 0x61)],
    ['ECMA arrays', Uint8Array.of(0x08, 0, 0, 0, 1, 0, 1, 0x61)],
    ['AMF3 arrays', Uint8Array.of(0x11, 0x09, 0x03, 0x01)],
  ])('100 000 nested %s hit the depth limit, not the stack', (_name, unit) => {
    const bytes = repeat(unit, 100_000, Uint8Array.of(0x05));
    expect(() => decodeAmf0(bytes)).toThrow(ProtocolError);
  });

  test('depth is counted exactly: maxDepth containers nest, one more fails', () => {
    const nested = (n: number) => repeat(Uint8Array.of(0x0a, 0, 0, 0, 1), n, Uint8Array.of(0x05));
    expect(() => decodeAmf0(nested(10), { maxDepth: 10 })).not.toThrow();
    expect(() => decodeAmf0(nested(11), { maxDepth: 10 })).toThrow(ProtocolError);
  });

  test('references cannot expand past MAX_REFERENCED_BYTES', () => {
    // [ {s: 60 000 bytes}, ref 1, ref 1, ... ]: a few hundred wire bytes that would re-encode to GBs.
    const count = 100_000;
    const head = Uint8Array.from([0x0a, ...u32(count), 0x03, 0, 1, 0x73, 0x02, 0xea, 0x60]);
    const big = new Uint8Array(60_000).fill(0x78);
    const refs = repeat(Uint8Array.of(0x07, 0x00, 0x01), count - 1, new Uint8Array(0));
    const bytes = Uint8Array.from([...head, ...big, 0, 0, 9, ...refs]);
    const fits = Math.floor(MAX_REFERENCED_BYTES / 60_000);
    expect(() => decodeAmf0(bytes)).toThrow(ProtocolError);
    const ok = Uint8Array.from([0x0a, ...u32(fits + 1), ...head.subarray(5), ...big, 0, 0, 9, ...refs.subarray(0, 3 * fits)]);
    expect((decodeAmf0(ok)[0] as AmfValue[]).length).toBe(fits + 1);
  });

  test('a reference cannot place a deep value deeper than maxDepth', () => {
    // [ [[[null]]], [ref 1] ] with maxDepth 4: the referenced value has height 3, placed at depth 2.
    const deep = Uint8Array.of(0x0a, 0, 0, 0, 1, 0x0a, 0, 0, 0, 1, 0x0a, 0, 0, 0, 1, 0x05);
    const bytes = Uint8Array.from([0x0a, 0, 0, 0, 2, ...deep, 0x0a, 0, 0, 0, 1, 0x07, 0, 1]);
    expect(() => decodeAmf0(bytes, { maxDepth: 4 })).toThrow(ProtocolError);
    expect(decodeAmf0(bytes, { maxDepth: 5 })).toHaveLength(1);
  });
});

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
