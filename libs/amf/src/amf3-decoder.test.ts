import { ByteReader, ProtocolError } from '@headwater/bytes';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_AMF_LIMITS } from './amf-limits.js';
import { amfClassName, amfObjectOf, ecmaArray, isEcmaArray, typedObject } from './amf-value.js';
import type { AmfValue } from './amf-value.js';
import { decodeAmf0 } from './amf0-decoder.js';
import { decodeAmf3, decodeAmf3Value } from './amf3-decoder.js';

function h(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}
function a(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'latin1'));
}
function cat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

interface Case {
  name: string;
  /** One AMF3 value (a sequence of values for decodeAmf3). */
  bytes: Uint8Array;
  value: AmfValue;
}

const fooX5 = typedObject('Foo', { x: 5 });
const empty = amfObjectOf();

const cases: Case[] = [
  { name: 'undefined', bytes: h('00'), value: undefined },
  { name: 'null', bytes: h('01'), value: null },
  { name: 'false', bytes: h('02'), value: false },
  { name: 'true', bytes: h('03'), value: true },
  { name: 'integer 0', bytes: h('04 00'), value: 0 },
  { name: 'integer 127 (1 byte)', bytes: h('04 7f'), value: 127 },
  { name: 'integer 128 (2 bytes)', bytes: h('04 81 00'), value: 128 },
  { name: 'integer 2^21 (4 bytes)', bytes: h('04 80 c0 80 00'), value: 0x200000 },
  { name: 'integer max 2^28-1', bytes: h('04 bf ff ff ff'), value: 0x0fffffff },
  { name: 'integer -1 (sign of 29 bits)', bytes: h('04 ff ff ff ff'), value: -1 },
  { name: 'integer min -2^28', bytes: h('04 c0 80 80 00'), value: -0x10000000 },
  { name: 'double', bytes: h('05 3ff8000000000000'), value: 1.5 },
  { name: 'empty string', bytes: h('06 01'), value: '' },
  { name: 'string', bytes: cat(h('06 0b'), a('hello')), value: 'hello' },
  // Dense count 2 (header 0x05), empty associative part (0x01), then a string reference to index 0.
  { name: 'string reference', bytes: cat(h('09 05 01 06 0b'), a('hello'), h('06 00')), value: ['hello', 'hello'] },
  { name: 'XML document as string', bytes: cat(h('07 09'), a('<a/>')), value: '<a/>' },
  { name: 'XML as string', bytes: cat(h('0b 09'), a('<a/>')), value: '<a/>' },
  { name: 'date', bytes: h('08 01 4278bcfe56800000'), value: new Date(1_700_000_000_000) },
  { name: 'byte array', bytes: h('0c 07 010203'), value: Uint8Array.of(1, 2, 3) },
  { name: 'dense array', bytes: h('09 07 01 04 01 04 02 01'), value: [1, 2, null] },
  { name: 'mixed array', bytes: cat(h('09 03 03'), a('a'), h('04 01 01 04 02')), value: ecmaArray({ 0: 2, a: 1 }) },
  // 0x0b: inline object, inline traits, dynamic, 0 sealed; anonymous class; a = 1; end.
  { name: 'anonymous dynamic object', bytes: cat(h('0a 0b 01 03'), a('a'), h('04 01 01')), value: amfObjectOf({ a: 1 }) },
  // 0x13: inline object, inline traits, 1 sealed member; class "Foo"; member x = 5.
  { name: 'typed sealed object', bytes: cat(h('0a 13 07'), a('Foo'), h('03'), a('x'), h('04 05')), value: fooX5 },
  {
    name: 'traits reference',
    bytes: cat(h('09 05 01 0a 13 07'), a('Foo'), h('03'), a('x'), h('04 05 0a 01 04 06')),
    value: [fooX5, typedObject('Foo', { x: 6 })],
  },
  // Object table: [0] the array, [1] the object; 0x0a 0x02 repeats index 1.
  { name: 'object reference', bytes: h('09 05 01 0a 0b 01 01 0a 02'), value: [empty, empty] },
  { name: 'date reference', bytes: h('09 05 01 08 01 4278bcfe56800000 08 02'), value: [new Date(1_700_000_000_000), new Date(1_700_000_000_000)] },
];

interface ErrorCase {
  name: string;
  bytes: Uint8Array;
  code: string;
}

const errorCases: ErrorCase[] = [
  { name: 'externalizable object', bytes: cat(h('0a 07 07'), a('Foo')), code: 'amf3-externalizable' },
  { name: 'vector of int', bytes: h('0d 03 00 00000001'), code: 'amf3-unsupported' },
  { name: 'vector of object', bytes: h('10 01 00 01'), code: 'amf3-unsupported' },
  { name: 'dictionary', bytes: h('11 01 00'), code: 'amf3-unsupported' },
  { name: 'unknown marker', bytes: h('12'), code: 'amf3-bad-marker' },
  { name: 'string reference to nothing', bytes: h('06 00'), code: 'amf3-bad-reference' },
  { name: 'object reference to nothing', bytes: h('0a 00'), code: 'amf3-bad-reference' },
  { name: 'traits reference to nothing', bytes: h('0a 01'), code: 'amf3-bad-reference' },
  { name: 'object containing itself', bytes: cat(h('0a 0b 01 03'), a('a'), h('0a 00 01')), code: 'amf3-bad-reference' },
  { name: 'truncated U29', bytes: h('04 ff ff'), code: 'truncated' },
  { name: 'string over the limit', bytes: h('06 ff ff ff ff'), code: 'limit-exceeded' },
  { name: 'dense array over the limit', bytes: h('09 ff ff ff 01'), code: 'limit-exceeded' },
  { name: 'dense count over the bytes left', bytes: h('09 21 01 01'), code: 'truncated' },
  { name: 'sealed count over the limit', bytes: h('0a ff ff ff f3'), code: 'limit-exceeded' },
];

function decodeError(bytes: Uint8Array): ProtocolError {
  try {
    decodeAmf3(bytes);
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error('decoded without error');
}

describe('AMF3 case table', () => {
  test.each(cases)('decode: $name', ({ bytes, value }) => {
    expect(decodeAmf3(bytes)).toEqual([value]);
  });

  test.each(cases)('decode after an AMF0 AVM+ marker: $name', ({ bytes, value }) => {
    expect(decodeAmf0(cat(h('11'), bytes))).toEqual([value]);
  });

  test.each(errorCases)('error $code: $name', ({ bytes, code }) => {
    expect(decodeError(bytes).code).toBe(code);
  });

  fcTest.prop([fc.constantFrom(...cases), fc.nat(), fc.integer({ min: 0, max: 255 })])('a mutated case decodes or fails with ProtocolError', (c, at, byte) => {
    const bytes = c.bytes.slice();
    bytes[at % bytes.length] = byte;
    try {
      decodeAmf3(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
    }
  });
});

describe('AMF3 decoding details', () => {
  test('typed objects keep their class name, mixed arrays are ECMA arrays', () => {
    const [typed] = decodeAmf3(cases.find((c) => c.name === 'typed sealed object')!.bytes);
    expect(amfClassName(typed)).toBe('Foo');
    const [mixed] = decodeAmf3(cases.find((c) => c.name === 'mixed array')!.bytes);
    expect(isEcmaArray(mixed)).toBe(true);
  });

  test('an object reference yields the same object', () => {
    const [arr] = decodeAmf3(cases.find((c) => c.name === 'object reference')!.bytes) as [AmfValue[]];
    expect(arr[0]).toBe(arr[1]);
  });

  test('a byte array is a copy, not a view of the message', () => {
    const bytes = h('0c 07 010203');
    const [out] = decodeAmf3(bytes) as [Uint8Array];
    bytes[2] = 9;
    expect(Array.from(out)).toEqual([1, 2, 3]);
  });

  test('each AVM+ marker starts fresh reference tables', () => {
    // The second value's string reference 0 has nothing to point at in its own AMF3 context.
    const bytes = cat(h('11 06 0b'), a('hello'), h('11 06 00'));
    expect(() => decodeAmf0(bytes)).toThrow(ProtocolError);
  });

  test('decodeAmf3Value stops after one value', () => {
    const reader = new ByteReader(h('04 05 04 06'));
    expect(decodeAmf3Value(reader, DEFAULT_AMF_LIMITS)).toBe(5);
    expect(reader.offset).toBe(2);
  });

  test('string references cannot expand without bound', () => {
    // A 60 000-byte string then 100 000 references to it in one dense array.
    const count = 100_000;
    const big = new Uint8Array(60_000).fill(0x78);
    const header = [0x09, ...u29((count << 1) | 1), 0x01, 0x06, ...u29((60_000 << 1) | 1)];
    const refs = new Uint8Array((count - 1) * 2);
    for (let i = 0; i < count - 1; i++) refs.set([0x06, 0x00], i * 2);
    expect(() => decodeAmf3(Uint8Array.from([...header, ...big, ...refs]))).toThrow(ProtocolError);
  });

  test('deep AMF3 nesting hits the depth limit', () => {
    const unit = [0x0a, 0x0b, 0x01, 0x03, 0x61]; // {a: {a: ...
    const bytes = new Uint8Array(unit.length * 50_000 + 1);
    for (let i = 0; i < 50_000; i++) bytes.set(unit, i * unit.length);
    bytes[bytes.length - 1] = 0x01;
    expect(() => decodeAmf3(bytes)).toThrow(ProtocolError);
  });

  fcTest.prop([fc.uint8Array({ maxLength: 256 })], { numRuns: 1000 })('random bytes decode or fail with ProtocolError', (bytes) => {
    try {
      decodeAmf3(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
    }
  });
});

function u29(v: number): number[] {
  if (v < 0x80) return [v];
  if (v < 0x4000) return [(v >>> 7) | 0x80, v & 0x7f];
  if (v < 0x200000) return [(v >>> 14) | 0x80, ((v >>> 7) & 0x7f) | 0x80, v & 0x7f];
  return [(v >>> 22) | 0x80, ((v >>> 15) & 0x7f) | 0x80, ((v >>> 8) & 0x7f) | 0x80, v & 0xff];
}
