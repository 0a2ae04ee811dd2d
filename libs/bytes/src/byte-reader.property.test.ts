import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { ProtocolError } from './protocol-error.js';

type Field =
  | { kind: 'u8' | 'u16' | 'u24' | 'i24' | 'u32' | 'u32le' | 'i16' | 'f64'; value: number }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'fourcc'; value: string };

const u32 = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })).map(([hi, lo]) => hi * 0x10000 + lo);
const latin1Char = fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c));

const fieldArb: fc.Arbitrary<Field> = fc.oneof(
  fc.record({ kind: fc.constant('u8' as const), value: fc.integer({ min: 0, max: 0xff }) }),
  fc.record({ kind: fc.constant('u16' as const), value: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ kind: fc.constant('u24' as const), value: fc.integer({ min: 0, max: 0xffffff }) }),
  fc.record({ kind: fc.constant('i24' as const), value: fc.integer({ min: -0x800000, max: 0x7fffff }) }),
  fc.record({ kind: fc.constant('u32' as const), value: u32 }),
  fc.record({ kind: fc.constant('u32le' as const), value: u32 }),
  fc.record({ kind: fc.constant('i16' as const), value: fc.integer({ min: -0x8000, max: 0x7fff }) }),
  fc.record({ kind: fc.constant('f64' as const), value: fc.double() }),
  fc.record({ kind: fc.constant('bytes' as const), value: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({ kind: fc.constant('fourcc' as const), value: fc.string({ unit: latin1Char, minLength: 4, maxLength: 4 }) }),
);

function write(w: ByteWriter, f: Field): void {
  switch (f.kind) {
    case 'u8':
      w.u8(f.value);
      return;
    case 'u16':
      w.u16(f.value);
      return;
    case 'u24':
      w.u24(f.value);
      return;
    case 'i24':
      w.i24(f.value);
      return;
    case 'u32':
      w.u32(f.value);
      return;
    case 'u32le':
      w.u32le(f.value);
      return;
    case 'i16':
      w.i16(f.value);
      return;
    case 'f64':
      w.f64(f.value);
      return;
    case 'bytes':
      w.bytes(f.value);
      return;
    case 'fourcc':
      w.fourcc(f.value);
      return;
    default: {
      const never: never = f;
      throw new Error(`unknown field ${String(never)}`);
    }
  }
}

function read(r: ByteReader, f: Field): number | string | Uint8Array {
  switch (f.kind) {
    case 'u8':
      return r.u8();
    case 'u16':
      return r.u16();
    case 'u24':
      return r.u24();
    case 'i24':
      return r.i24();
    case 'u32':
      return r.u32();
    case 'u32le':
      return r.u32le();
    case 'i16':
      return r.i16();
    case 'f64':
      return r.f64();
    case 'bytes':
      return r.bytes(f.value.length);
    case 'fourcc':
      return r.fourcc();
    default: {
      const never: never = f;
      throw new Error(`unknown field ${String(never)}`);
    }
  }
}

/** Reference encoding by shifts and masks, independent of DataView (except for f64). */
function encodeRef(f: Field): number[] {
  const be = (v: number, n: number): number[] => Array.from({ length: n }, (_, i) => Math.floor(v / 2 ** (8 * (n - 1 - i))) % 256);
  switch (f.kind) {
    case 'u8':
      return [f.value];
    case 'u16':
      return be(f.value, 2);
    case 'u24':
      return be(f.value, 3);
    case 'i24':
      return be(f.value < 0 ? f.value + 2 ** 24 : f.value, 3);
    case 'u32':
      return be(f.value, 4);
    case 'u32le':
      return be(f.value, 4).reverse();
    case 'i16':
      return be(f.value < 0 ? f.value + 2 ** 16 : f.value, 2);
    case 'f64': {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, f.value);
      return [...b];
    }
    case 'bytes':
      return [...f.value];
    case 'fourcc':
      return [...f.value].map((c) => c.charCodeAt(0));
    default: {
      const never: never = f;
      throw new Error(`unknown field ${String(never)}`);
    }
  }
}

function same(actual: number | string | Uint8Array, f: Field): boolean {
  if (f.kind === 'bytes') return actual instanceof Uint8Array && actual.length === f.value.length && actual.every((b, i) => b === f.value[i]);
  return Object.is(actual, f.value);
}

function writeAll(fields: Field[], capacity?: number): Uint8Array {
  const w = new ByteWriter(capacity);
  for (const f of fields) write(w, f);
  return w.finish();
}

const fieldsArb = fc.array(fieldArb, { maxLength: 40 });
const capacityArb = fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 16 }));

describe('ByteWriter -> ByteReader', () => {
  fcTest.prop([fieldsArb, capacityArb])('writer output equals the reference encoding, from any initial capacity', (fields, cap) => {
    const out = writeAll(fields, cap);
    expect([...out]).toEqual(fields.flatMap(encodeRef));
  });

  fcTest.prop([fieldsArb, capacityArb])('reads back every field written, then is done', (fields, cap) => {
    const r = new ByteReader(writeAll(fields, cap));
    for (const f of fields) expect(same(read(r, f), f)).toBe(true);
    expect(r.done).toBe(true);
  });

  fcTest.prop([fc.array(fieldArb, { minLength: 1, maxLength: 200 })], { numRuns: 50 })(
    'ByteWriter(1) grows through many fields without losing any',
    (fields) => {
      const r = new ByteReader(writeAll(fields, 1));
      for (const f of fields) expect(same(read(r, f), f)).toBe(true);
      expect(r.done).toBe(true);
    },
  );

  fcTest.prop([fc.array(fieldArb, { minLength: 1, maxLength: 30 }), fc.nat()])(
    'a truncated buffer reads every whole field, then throws only ProtocolError(truncated) without moving',
    (fields, cutSeed) => {
      const full = writeAll(fields);
      const cut = cutSeed % (full.length + 1);
      const r = new ByteReader(full.subarray(0, cut));
      let end = 0;
      for (const f of fields) {
        end += encodeRef(f).length;
        if (end <= cut) {
          expect(same(read(r, f), f)).toBe(true);
          continue;
        }
        const at = r.offset;
        let caught: unknown;
        try {
          read(r, f);
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(ProtocolError);
        expect((caught as ProtocolError).code).toBe('truncated');
        expect(r.offset).toBe(at);
        return;
      }
      expect(r.done).toBe(true);
    },
  );

  fcTest.prop([fieldsArb, fc.uint8Array({ maxLength: 32 }), fc.uint8Array({ maxLength: 32 })])(
    'a view at a non-zero byteOffset into a larger ArrayBuffer reads only its own bytes',
    (fields, before, after) => {
      const payload = writeAll(fields);
      const backing = new Uint8Array(before.length + payload.length + after.length);
      backing.set(before, 0);
      backing.set(payload, before.length);
      backing.set(after, before.length + payload.length);
      const view = backing.subarray(before.length, before.length + payload.length);
      const r = new ByteReader(view);
      for (const f of fields) expect(same(read(r, f), f)).toBe(true);
      expect(r.done).toBe(true);
      expect(() => r.u8()).toThrow(ProtocolError);
    },
  );
});

type Op =
  | { op: 'u8' | 'u16' | 'u24' | 'i24' | 'u32' | 'u32le' | 'i16' | 'u64' | 'f64' | 'fourcc' | 'peekU8' | 'rest' }
  | { op: 'bytes' | 'skip'; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constantFrom('u8', 'u16', 'u24', 'i24', 'u32', 'u32le', 'i16', 'u64', 'f64', 'fourcc', 'peekU8', 'rest'),
  }) as fc.Arbitrary<Op>,
  fc.record({ op: fc.constantFrom('bytes' as const, 'skip' as const), n: fc.integer({ min: 0, max: 80 }) }),
);

function run(r: ByteReader, o: Op): number {
  switch (o.op) {
    case 'u8':
      r.u8();
      return 1;
    case 'u16':
      r.u16();
      return 2;
    case 'u24':
      r.u24();
      return 3;
    case 'i24':
      r.i24();
      return 3;
    case 'u32':
      r.u32();
      return 4;
    case 'u32le':
      r.u32le();
      return 4;
    case 'i16':
      r.i16();
      return 2;
    case 'u64':
      r.u64();
      return 8;
    case 'f64':
      r.f64();
      return 8;
    case 'fourcc':
      r.fourcc();
      return 4;
    case 'peekU8':
      r.peekU8();
      return 0;
    case 'rest':
      return r.rest().length;
    case 'bytes':
      return r.bytes(o.n).length;
    case 'skip':
      r.skip(o.n);
      return o.n;
    default: {
      const never: never = o;
      throw new Error(`unknown op ${String(never)}`);
    }
  }
}

describe('ByteReader on hostile input', () => {
  fcTest.prop([fc.uint8Array({ maxLength: 64 }), fc.array(opArb, { maxLength: 30 })], { numRuns: 1000 })(
    'any sequence of reads either succeeds or throws ProtocolError(truncated), never RangeError',
    (data, ops) => {
      const r = new ByteReader(data);
      for (const o of ops) {
        const before = r.offset;
        try {
          const consumed = run(r, o);
          expect(r.offset).toBe(before + consumed);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
          expect((e as ProtocolError).code).toBe('truncated');
          expect(r.offset).toBe(before);
        }
        expect(r.offset).toBeLessThanOrEqual(data.length);
        expect(r.remaining).toBe(data.length - r.offset);
      }
    },
  );
});
