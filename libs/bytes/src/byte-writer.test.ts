import { describe, expect, test } from 'vitest';
import { ByteWriter } from './byte-writer.js';
import { ProtocolError } from './protocol-error.js';

describe('ByteWriter', () => {
  test('writes fields in order and chains', () => {
    const out = new ByteWriter()
      .u8(0x09)
      .fourcc('FLV\u0001')
      .u16(0x0102)
      .u24(0x030405)
      .u32(0x06070809)
      .u32le(0x0d0c0b0a)
      .i16(-2)
      .i24(-3)
      .bytes(Uint8Array.from([0xaa, 0xbb]))
      .finish();
    expect([...out]).toEqual([
      0x09, 0x46, 0x4c, 0x56, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
      0xff, 0xfe, 0xff, 0xff, 0xfd, 0xaa, 0xbb,
    ]);
  });

  test('length counts the bytes written and finish() is exactly that long', () => {
    const w = new ByteWriter(4);
    expect(w.length).toBe(0);
    expect(w.finish().length).toBe(0);
    w.u32(1).u8(2); // the u8 grows the buffer
    expect(w.length).toBe(5);
    expect([...w.finish()]).toEqual([0, 0, 0, 1, 2]);
    expect(w.finish().length).toBe(5);
  });

  test('finish() is a view of the internal buffer, not a copy', () => {
    const w = new ByteWriter(16);
    w.u32(0);
    const a = w.finish();
    w.patchU32(0, 0xdeadbeef);
    expect([...a]).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  test('u32 and u32le accept values at and above 2^31 as unsigned', () => {
    expect([...new ByteWriter().u32(0x80000000).u32le(0xffffffff).finish()]).toEqual([
      0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
    ]);
  });

  test.each([
    ['u8', (w: ByteWriter) => w.u8(0xab), [0xab]],
    ['u16', (w: ByteWriter) => w.u16(0xabcd), [0xab, 0xcd]],
    ['u24', (w: ByteWriter) => w.u24(0xabcdef), [0xab, 0xcd, 0xef]],
    ['i24', (w: ByteWriter) => w.i24(-2), [0xff, 0xff, 0xfe]],
    ['u32', (w: ByteWriter) => w.u32(0xabcdef01), [0xab, 0xcd, 0xef, 0x01]],
    ['u32le', (w: ByteWriter) => w.u32le(0xabcdef01), [0x01, 0xef, 0xcd, 0xab]],
    ['i16', (w: ByteWriter) => w.i16(-2), [0xff, 0xfe]],
    ['f64', (w: ByteWriter) => w.f64(1), [0x3f, 0xf0, 0, 0, 0, 0, 0, 0]],
    ['bytes', (w: ByteWriter) => w.bytes(Uint8Array.from([7, 8])), [7, 8]],
    ['fourcc', (w: ByteWriter) => w.fourcc('av01'), [0x61, 0x76, 0x30, 0x31]],
  ] as const)('%s that triggers a growth lands in the new buffer (regression: it wrote into the old one)', (_n, write, bytes) => {
    const w = new ByteWriter(1);
    w.u8(0x11);
    write(w);
    expect([...w.finish()]).toEqual([0x11, ...bytes]);
  });

  test('bytes() after a growth lands in the new buffer (regression: it wrote into the old one)', () => {
    const w = new ByteWriter(1);
    w.u8(1).bytes(Uint8Array.from([2, 3, 4]));
    expect([...w.finish()]).toEqual([1, 2, 3, 4]);
    const big = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    w.bytes(big).u8(0x55);
    const out = w.finish();
    expect(out.length).toBe(1005);
    expect([...out.subarray(4, 1004)]).toEqual([...big]);
    expect(out[1004]).toBe(0x55);
  });

  test.each([0, 1, 2, 3, 7])('grows from an initial capacity of %i without losing bytes', (cap) => {
    const w = new ByteWriter(cap);
    const expected: number[] = [];
    for (let i = 0; i < 300; i++) {
      w.u24(i * 0x010101);
      const v = (i * 0x010101) & 0xffffff;
      expected.push(v >>> 16, (v >>> 8) & 0xff, v & 0xff);
    }
    w.f64(0.5);
    expected.push(0x3f, 0xe0, 0, 0, 0, 0, 0, 0);
    expect([...w.finish()]).toEqual(expected);
  });

  test('bytes() of an empty array and of a view with a byteOffset', () => {
    const backing = Uint8Array.from([9, 9, 1, 2, 3, 9]);
    const out = new ByteWriter(0).bytes(new Uint8Array(0)).bytes(backing.subarray(2, 5)).finish();
    expect([...out]).toEqual([1, 2, 3]);
  });

  test('fourcc writes the low byte of each of four characters', () => {
    expect([...new ByteWriter().fourcc('hvc1').fourcc('ac-3').finish()]).toEqual([
      0x68, 0x76, 0x63, 0x31, 0x61, 0x63, 0x2d, 0x33,
    ]);
  });

  test('patchU24/patchU32 back-patch sizes without changing length', () => {
    const w = new ByteWriter(2);
    w.u8(0x12).u24(0).u32(0).u8(0xff);
    w.patchU24(1, 0xabcdef);
    w.patchU32(4, 0x01020304);
    expect(w.length).toBe(9);
    expect([...w.finish()]).toEqual([0x12, 0xab, 0xcd, 0xef, 0x01, 0x02, 0x03, 0x04, 0xff]);
  });

  test.each([
    ['u24 past the written bytes', 4, 3],
    ['u32 past the written bytes', 3, 4],
    ['at the end', 6, 3],
    ['negative', -1, 3],
    ['fractional', 0.5, 3],
  ])('patching %s throws ProtocolError(bad-argument) and writes nothing', (_name, at, size) => {
    const w = new ByteWriter(64);
    w.u32(0).u16(0);
    const patch = size === 3 ? () => w.patchU24(at, 0xffffff) : () => w.patchU32(at, 0xffffffff);
    let caught: unknown;
    try {
      patch();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).code).toBe('bad-argument');
    expect(() => w.patchU32(3, 0)).toThrow(ProtocolError);
    expect([...w.finish()]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
