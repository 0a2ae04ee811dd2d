import { describe, expect, test } from 'vitest';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { ProtocolError } from './protocol-error.js';

type NumberKind = 'u8' | 'u16' | 'u24' | 'i24' | 'u32' | 'u32le' | 'i16' | 'f64';

/** One table drives decode (ByteReader) and encode (ByteWriter): name, wire bytes, value. */
const cases: { name: string; kind: NumberKind; bytes: number[]; value: number }[] = [
  { name: 'u8 zero', kind: 'u8', bytes: [0x00], value: 0 },
  { name: 'u8 max', kind: 'u8', bytes: [0xff], value: 255 },
  { name: 'u16 big-endian', kind: 'u16', bytes: [0x12, 0x34], value: 0x1234 },
  { name: 'u16 max', kind: 'u16', bytes: [0xff, 0xff], value: 0xffff },
  { name: 'u24 big-endian', kind: 'u24', bytes: [0x12, 0x34, 0x56], value: 0x123456 },
  { name: 'u24 max (FLV DataSize)', kind: 'u24', bytes: [0xff, 0xff, 0xff], value: 0xffffff },
  { name: 'i24 positive', kind: 'i24', bytes: [0x00, 0x00, 0x21], value: 33 },
  { name: 'i24 max', kind: 'i24', bytes: [0x7f, 0xff, 0xff], value: 0x7fffff },
  { name: 'i24 -1 (negative CTS)', kind: 'i24', bytes: [0xff, 0xff, 0xff], value: -1 },
  { name: 'i24 -33', kind: 'i24', bytes: [0xff, 0xff, 0xdf], value: -33 },
  { name: 'i24 min', kind: 'i24', bytes: [0x80, 0x00, 0x00], value: -0x800000 },
  { name: 'u32 big-endian', kind: 'u32', bytes: [0x12, 0x34, 0x56, 0x78], value: 0x12345678 },
  { name: 'u32 above 2^31 stays unsigned', kind: 'u32', bytes: [0xff, 0xff, 0xff, 0xfe], value: 0xfffffffe },
  { name: 'u32le (RTMP message stream id)', kind: 'u32le', bytes: [0x01, 0x00, 0x00, 0x00], value: 1 },
  { name: 'u32le max', kind: 'u32le', bytes: [0xff, 0xff, 0xff, 0xff], value: 0xffffffff },
  { name: 'u32le byte order', kind: 'u32le', bytes: [0x78, 0x56, 0x34, 0x12], value: 0x12345678 },
  { name: 'i16 positive', kind: 'i16', bytes: [0x7f, 0xff], value: 0x7fff },
  { name: 'i16 -1', kind: 'i16', bytes: [0xff, 0xff], value: -1 },
  { name: 'i16 min', kind: 'i16', bytes: [0x80, 0x00], value: -0x8000 },
  { name: 'f64 1.0 (AMF0 number)', kind: 'f64', bytes: [0x3f, 0xf0, 0, 0, 0, 0, 0, 0], value: 1 },
  { name: 'f64 -2.5', kind: 'f64', bytes: [0xc0, 0x04, 0, 0, 0, 0, 0, 0], value: -2.5 },
  { name: 'f64 30000/1001', kind: 'f64', bytes: [0x40, 0x3d, 0xf8, 0x53, 0xe2, 0x55, 0x6b, 0x28], value: 30000 / 1001 },
  { name: 'f64 -0', kind: 'f64', bytes: [0x80, 0, 0, 0, 0, 0, 0, 0], value: -0 },
  { name: 'f64 Infinity', kind: 'f64', bytes: [0x7f, 0xf0, 0, 0, 0, 0, 0, 0], value: Infinity },
];

function read(r: ByteReader, kind: NumberKind): number {
  switch (kind) {
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
    default: {
      const never: never = kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
}

function write(w: ByteWriter, kind: NumberKind, v: number): ByteWriter {
  switch (kind) {
    case 'u8':
      return w.u8(v);
    case 'u16':
      return w.u16(v);
    case 'u24':
      return w.u24(v);
    case 'i24':
      return w.i24(v);
    case 'u32':
      return w.u32(v);
    case 'u32le':
      return w.u32le(v);
    case 'i16':
      return w.i16(v);
    case 'f64':
      return w.f64(v);
    default: {
      const never: never = kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('ByteReader/ByteWriter case table', () => {
  test.each(cases)('decode $name', ({ kind, bytes, value }) => {
    const r = new ByteReader(Uint8Array.from(bytes));
    expect(Object.is(read(r, kind), value)).toBe(true);
    expect(r.done).toBe(true);
    expect(r.remaining).toBe(0);
  });

  test.each(cases)('encode $name', ({ kind, bytes, value }) => {
    expect([...write(new ByteWriter(), kind, value).finish()]).toEqual(bytes);
  });

  test.each(cases)('truncated $name: one byte short is ProtocolError(truncated), cursor unmoved', ({ kind, bytes }) => {
    const r = new ByteReader(Uint8Array.from(bytes.slice(0, -1)));
    const e = thrown(() => read(r, kind));
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).code).toBe('truncated');
    expect(r.offset).toBe(0);
  });
});

describe('ByteReader', () => {
  test('reads fields in sequence and tracks offset, remaining and done', () => {
    const r = new ByteReader(Uint8Array.from([0x01, 0x00, 0x02, 0x00, 0x00, 0x03, 0xaa, 0xbb]));
    expect(r.u8()).toBe(1);
    expect(r.offset).toBe(1);
    expect(r.u16()).toBe(2);
    expect(r.u24()).toBe(3);
    expect(r.remaining).toBe(2);
    expect(r.done).toBe(false);
    expect(r.peekU8()).toBe(0xaa);
    expect(r.offset).toBe(6);
    expect([...r.rest()]).toEqual([0xaa, 0xbb]);
    expect(r.done).toBe(true);
    expect(r.rest().length).toBe(0);
  });

  test('u64 reads an unsigned big-endian bigint', () => {
    const r = new ByteReader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0, 0, 0, 1, 0]));
    expect(r.u64()).toBe(0xfffffffffffffffen);
    expect(r.u64()).toBe(256n);
  });

  test('fourcc reads four ASCII characters', () => {
    const r = new ByteReader(new TextEncoder().encode('hvc1av01.mp3'));
    expect(r.fourcc()).toBe('hvc1');
    expect(r.fourcc()).toBe('av01');
    expect(r.fourcc()).toBe('.mp3');
  });

  test('bytes() and rest() are views, not copies', () => {
    const data = Uint8Array.from([1, 2, 3, 4, 5]);
    const r = new ByteReader(data);
    r.skip(1);
    const b = r.bytes(2);
    expect([...b]).toEqual([2, 3]);
    expect(b.buffer).toBe(data.buffer);
    data[1] = 0x42;
    expect(b[0]).toBe(0x42);
    const rest = r.rest();
    expect(rest.buffer).toBe(data.buffer);
    expect(rest.byteOffset).toBe(3);
  });

  test('bytes(0) and skip(0) succeed even at the end', () => {
    const r = new ByteReader(new Uint8Array(0));
    expect(r.bytes(0).length).toBe(0);
    r.skip(0);
    expect(r.done).toBe(true);
  });

  test('reads through a view with a non-zero byteOffset into a larger ArrayBuffer', () => {
    const backing = new Uint8Array(64).fill(0xee);
    const payload = [0x01, 0x02, 0x03, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x61, 0x76, 0x63, 0x31, 0x09];
    backing.set(payload, 13);
    const view = backing.subarray(13, 13 + payload.length);
    const r = new ByteReader(view);
    expect(r.u16()).toBe(0x0102);
    expect(r.u8()).toBe(3);
    expect(r.f64()).toBe(1);
    expect(r.fourcc()).toBe('avc1');
    expect(r.peekU8()).toBe(9);
    const last = r.bytes(1);
    expect(last.byteOffset).toBe(13 + payload.length - 1);
    expect([...last]).toEqual([9]);
    // The 0xee bytes after the view must never be reachable.
    expect(() => r.u8()).toThrow(expect.objectContaining({ code: 'truncated' }));
  });

  test('reads a Node Buffer from the shared pool (non-zero byteOffset)', () => {
    Buffer.from([0xaa, 0xbb, 0xcc]); // occupy the start of the pool
    const buf = Buffer.from([0x00, 0x00, 0x01, 0x00, 0xff, 0xff, 0xfe]);
    const r = new ByteReader(buf);
    expect(r.u32()).toBe(256);
    expect(r.i24()).toBe(-2);
    expect(r.done).toBe(true);
    // And one with an explicit offset into a slab, as TCP hands them out.
    const slab = new ArrayBuffer(8192);
    new Uint8Array(slab).fill(0x55);
    const sliced = Buffer.from(slab, 4097, 4);
    new Uint8Array(slab, 4097, 4).set([0x12, 0x34, 0x56, 0x78]);
    expect(new ByteReader(sliced).u32()).toBe(0x12345678);
    expect(new ByteReader(sliced).u32le()).toBe(0x78563412);
  });

  test('every read past the end is ProtocolError(truncated) and leaves the cursor where it was', () => {
    // [name, bytes needed, read]: each runs with exactly one byte too few left.
    const reads: [string, number, (r: ByteReader) => unknown][] = [
      ['u8', 1, (r) => r.u8()],
      ['peekU8', 1, (r) => r.peekU8()],
      ['u16', 2, (r) => r.u16()],
      ['u24', 3, (r) => r.u24()],
      ['i24', 3, (r) => r.i24()],
      ['u32', 4, (r) => r.u32()],
      ['u32le', 4, (r) => r.u32le()],
      ['i16', 2, (r) => r.i16()],
      ['u64', 8, (r) => r.u64()],
      ['f64', 8, (r) => r.f64()],
      ['fourcc', 4, (r) => r.fourcc()],
      ['bytes(5)', 5, (r) => r.bytes(5)],
      ['skip(5)', 5, (r) => r.skip(5)],
      ['bytes(2^40)', 2 ** 40, (r) => r.bytes(2 ** 40)],
    ];
    for (const [name, size, fn] of reads) {
      const r = new ByteReader(new Uint8Array(9).fill(0xff));
      const start = 9 - Math.min(size - 1, 9);
      r.skip(start);
      const e = thrown(() => fn(r));
      expect(e, name).toBeInstanceOf(ProtocolError);
      expect((e as ProtocolError).code, name).toBe('truncated');
      expect(r.offset, name).toBe(start);
    }
  });

  test.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', NaN],
    ['infinite', Infinity],
  ])('bytes/skip with a %s count is ProtocolError(bad-argument) and never moves the cursor', (_name, n) => {
    const r = new ByteReader(Uint8Array.from([1, 2, 3, 4]));
    r.skip(2);
    for (const fn of [() => r.bytes(n), () => r.skip(n)]) {
      const e = thrown(fn);
      expect(e).toBeInstanceOf(ProtocolError);
      expect((e as ProtocolError).code).toBe('bad-argument');
      expect(r.offset).toBe(2);
    }
    expect(r.u8()).toBe(3);
  });
});
