import { describe, expect, test } from 'vitest';
import { BitReader, unescapeRbsp } from './bit-reader.js';
import { ProtocolError } from './protocol-error.js';

/** '0010 1' -> bytes, MSB first, zero-padded to a whole byte (spaces are ignored). */
function fromBits(bits: string): Uint8Array {
  const s = bits.replace(/\s/g, '');
  const out = new Uint8Array(Math.ceil(s.length / 8));
  for (let i = 0; i < s.length; i++) if (s[i] === '1') out[i >> 3]! |= 0x80 >> (i & 7);
  return out;
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

const zeros = (n: number): string => '0'.repeat(n);
const ones = (n: number): string => '1'.repeat(n);

/** H.264 §9.1 Table 9-2 and its extremes: (name, code bits, codeNum). */
const ueCases: { name: string; bits: string; value: number }[] = [
  { name: '0', bits: '1', value: 0 },
  { name: '1', bits: '010', value: 1 },
  { name: '2', bits: '011', value: 2 },
  { name: '3', bits: '00100', value: 3 },
  { name: '6', bits: '00111', value: 6 },
  { name: '7', bits: '0001000', value: 7 },
  { name: '14', bits: '0001111', value: 14 },
  { name: '255', bits: `${zeros(8)}1${zeros(8)}`, value: 255 },
  { name: '2^16 - 1', bits: `${zeros(16)}1${zeros(16)}`, value: 65535 },
  { name: '2^31 - 1', bits: `${zeros(31)}1${zeros(31)}`, value: 2 ** 31 - 1 },
  { name: 'max 2^32 - 2 (31 leading zeros)', bits: `${zeros(31)}${ones(32)}`, value: 2 ** 32 - 2 },
];

/** §9.1.1 Table 9-3: codeNum k -> (-1)^(k+1) * ceil(k / 2). */
const seCases: { name: string; bits: string; value: number }[] = [
  { name: 'k=0', bits: '1', value: 0 },
  { name: 'k=1', bits: '010', value: 1 },
  { name: 'k=2', bits: '011', value: -1 },
  { name: 'k=3', bits: '00100', value: 2 },
  { name: 'k=4', bits: '00101', value: -2 },
  { name: 'k=2^32-3', bits: `${zeros(31)}${ones(31)}0`, value: 2 ** 31 - 1 },
  { name: 'k=2^32-2', bits: `${zeros(31)}${ones(32)}`, value: -(2 ** 31 - 1) },
];

/** AV1 §4.10.5 leb128: (name, bytes, value). */
const lebCases: { name: string; bytes: number[]; value: number }[] = [
  { name: '0', bytes: [0x00], value: 0 },
  { name: '127', bytes: [0x7f], value: 127 },
  { name: '128', bytes: [0x80, 0x01], value: 128 },
  { name: '624485', bytes: [0xe5, 0x8e, 0x26], value: 624485 },
  { name: 'padded 0', bytes: [0x80, 0x80, 0x00], value: 0 },
  { name: 'padded to 8 bytes', bytes: [0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], value: 5 },
  { name: '2^32 - 1', bytes: [0xff, 0xff, 0xff, 0xff, 0x0f], value: 2 ** 32 - 1 },
];

/** AV1 §4.10.3 uvlc: (name, bits, value, bits consumed). */
const uvlcCases: { name: string; bits: string; value: number; consumed: number }[] = [
  { name: '0', bits: '1', value: 0, consumed: 1 },
  { name: '1', bits: '010', value: 1, consumed: 3 },
  { name: '2', bits: '011', value: 2, consumed: 3 },
  { name: '5', bits: '00110', value: 5, consumed: 5 },
  { name: '2^32 - 2', bits: `${zeros(31)}${ones(32)}`, value: 2 ** 32 - 2, consumed: 63 },
  { name: '32 zeros saturate', bits: `${zeros(32)}1`, value: 2 ** 32 - 1, consumed: 32 },
  { name: '40 zeros saturate', bits: `${zeros(40)}1`, value: 2 ** 32 - 1, consumed: 32 },
];

describe('BitReader.bits', () => {
  test('reads MSB first across byte boundaries', () => {
    const br = new BitReader(Uint8Array.from([0b10110011, 0b01011100]));
    expect(br.bitsLeft).toBe(16);
    expect(br.bits(3)).toBe(0b101);
    expect(br.bits(7)).toBe(0b1001101);
    expect(br.bits(6)).toBe(0b011100);
    expect(br.bitsLeft).toBe(0);
  });

  test('bits(0) is 0 and consumes nothing, even at the end', () => {
    const br = new BitReader(new Uint8Array(0));
    expect(br.bits(0)).toBe(0);
    expect(br.bitsLeft).toBe(0);
  });

  test('bits(32) is unsigned, even with the top bit set', () => {
    const br = new BitReader(Uint8Array.from([0xff, 0xff, 0xff, 0xfe, 0x80, 0, 0, 0, 1]));
    expect(br.bits(32)).toBe(0xfffffffe);
    expect(br.bits(1)).toBe(1);
    expect(br.bits(32)).toBe(0);
    expect(br.bits(7)).toBe(1);
  });

  test('bit() and flag()', () => {
    const br = new BitReader(Uint8Array.from([0b10000000]));
    expect(br.bit()).toBe(1);
    expect(br.flag()).toBe(false);
    expect(br.bitsLeft).toBe(6);
  });

  test.each([33, -1, 1.5, NaN, Infinity])('bits(%s) is ProtocolError(bad-argument)', (n) => {
    const br = new BitReader(new Uint8Array(8));
    expect(thrown(() => br.bits(n)).code).toBe('bad-argument');
    expect(br.bitsLeft).toBe(64);
  });

  test('reading past the end is ProtocolError(truncated) and consumes nothing', () => {
    const br = new BitReader(Uint8Array.from([0xff]));
    br.bits(5);
    expect(thrown(() => br.bits(4)).code).toBe('truncated');
    expect(br.bitsLeft).toBe(3);
    expect(br.bits(3)).toBe(7);
    expect(thrown(() => br.bit()).code).toBe('truncated');
    expect(thrown(() => br.flag()).code).toBe('truncated');
  });

  test('reads through a view with a non-zero byteOffset', () => {
    const backing = Uint8Array.from([0xff, 0xff, 0x0f, 0xf0, 0xff]);
    const br = new BitReader(backing.subarray(2, 4));
    expect(br.bitsLeft).toBe(16);
    expect(br.bits(16)).toBe(0x0ff0);
    expect(thrown(() => br.bits(1)).code).toBe('truncated');
  });
});

describe('BitReader.skip and byteAlign', () => {
  test('skip moves by bits and checks the end', () => {
    const br = new BitReader(Uint8Array.from([0b00010000, 0xff]));
    br.skip(3);
    expect(br.bit()).toBe(1);
    br.skip(12);
    expect(br.bitsLeft).toBe(0);
    br.skip(0);
    expect(thrown(() => br.skip(1)).code).toBe('truncated');
  });

  test('skip past the end is truncated and leaves the position alone', () => {
    const br = new BitReader(Uint8Array.from([0b01000000]));
    br.skip(1);
    expect(thrown(() => br.skip(8)).code).toBe('truncated');
    expect(br.bit()).toBe(1);
  });

  test.each([-1, 0.5, NaN])('skip(%s) is ProtocolError(bad-argument)', (n) => {
    const br = new BitReader(Uint8Array.from([0x80]));
    expect(thrown(() => br.skip(n)).code).toBe('bad-argument');
    expect(br.bit()).toBe(1);
  });

  test('byteAlign moves to the next byte boundary, and is a no-op on one', () => {
    const br = new BitReader(Uint8Array.from([0xff, 0xab, 0xcd]));
    br.byteAlign();
    expect(br.bitsLeft).toBe(24);
    br.bits(1);
    br.byteAlign();
    expect(br.bitsLeft).toBe(16);
    expect(br.bits(8)).toBe(0xab);
    br.bits(7);
    br.byteAlign();
    expect(br.bitsLeft).toBe(0);
    br.byteAlign();
    expect(br.bitsLeft).toBe(0);
  });
});

describe('BitReader Exp-Golomb', () => {
  test.each(ueCases)('ue $name', ({ bits, value }) => {
    const br = new BitReader(fromBits(bits));
    expect(br.ue()).toBe(value);
    expect(br.bitsLeft).toBe(fromBits(bits).length * 8 - bits.replace(/\s/g, '').length);
  });

  test.each(seCases)('se $name', ({ bits, value }) => {
    expect(Object.is(new BitReader(fromBits(bits)).se(), value)).toBe(true);
  });

  test('se of codeNum 0 is +0, not -0', () => {
    expect(Object.is(new BitReader(fromBits('1')).se(), 0)).toBe(true);
  });

  test('ue codes back to back, unaligned', () => {
    const br = new BitReader(fromBits('1 010 011 00100 0001000 1'));
    expect([br.ue(), br.ue(), br.ue(), br.ue(), br.ue(), br.ue()]).toEqual([0, 1, 2, 3, 7, 0]);
  });

  test('32 leading zeros is ProtocolError(bad-exp-golomb)', () => {
    expect(thrown(() => new BitReader(fromBits(`${zeros(32)}1${zeros(32)}`)).ue()).code).toBe('bad-exp-golomb');
    expect(thrown(() => new BitReader(fromBits(`${zeros(32)}1${zeros(32)}`)).se()).code).toBe('bad-exp-golomb');
  });

  test.each([
    ['no terminating 1', [0x00, 0x00]],
    ['empty', []],
    ['value bits cut off', [0b00000010]],
  ])('ue with %s is ProtocolError(truncated)', (_name, bytes) => {
    expect(thrown(() => new BitReader(Uint8Array.from(bytes)).ue()).code).toBe('truncated');
  });
});

describe('BitReader.leb128', () => {
  test.each(lebCases)('leb128 $name', ({ bytes, value }) => {
    const br = new BitReader(Uint8Array.from(bytes));
    expect(br.leb128()).toBe(value);
    expect(br.bitsLeft).toBe(0);
  });

  test('reads unaligned (OBU header fields precede it bitwise)', () => {
    // 3 bits 101, then leb128 300 = AC 02, then 5 bits 11111.
    const br = new BitReader(fromBits(`101 10101100 00000010 11111`));
    expect(br.bits(3)).toBe(5);
    expect(br.leb128()).toBe(300);
    expect(br.bits(5)).toBe(31);
  });

  test('nine bytes long (continuation bit on the 8th) is ProtocolError(bad-leb128)', () => {
    const br = new BitReader(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]));
    expect(thrown(() => br.leb128()).code).toBe('bad-leb128');
  });

  test.each([
    ['2^32', [0x80, 0x80, 0x80, 0x80, 0x10]],
    ['2^56 - 1 (not even exact as a double)', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
  ])('a value above 2^32 - 1 (%s) is ProtocolError(bad-leb128)', (_name, bytes) => {
    expect(thrown(() => new BitReader(Uint8Array.from(bytes)).leb128()).code).toBe('bad-leb128');
  });

  test.each([
    ['empty', []],
    ['continuation then end', [0x80]],
    ['three continuations then end', [0xff, 0xff, 0xff]],
  ])('leb128 %s is ProtocolError(truncated)', (_name, bytes) => {
    expect(thrown(() => new BitReader(Uint8Array.from(bytes)).leb128()).code).toBe('truncated');
  });
});

describe('BitReader.uvlc', () => {
  test.each(uvlcCases)('uvlc $name', ({ bits, value, consumed }) => {
    const data = fromBits(bits);
    const br = new BitReader(data);
    expect(br.uvlc()).toBe(value);
    expect(data.length * 8 - br.bitsLeft).toBe(consumed);
  });

  test.each([
    ['empty', []],
    ['all zeros', [0, 0, 0]],
    ['value bits cut off', [0b00000100]],
  ])('uvlc with %s is ProtocolError(truncated)', (_name, bytes) => {
    expect(thrown(() => new BitReader(Uint8Array.from(bytes)).uvlc()).code).toBe('truncated');
  });
});

/** H.264 §7.3.1 / H.265 §7.3.1.1: (name, NAL payload, RBSP). */
const rbspCases: { name: string; nal: number[]; rbsp: number[] }[] = [
  { name: 'empty', nal: [], rbsp: [] },
  { name: 'no zeros', nal: [0x67, 0x42, 0xc0, 0x1e], rbsp: [0x67, 0x42, 0xc0, 0x1e] },
  { name: '00 00 03 00', nal: [0x00, 0x00, 0x03, 0x00], rbsp: [0x00, 0x00, 0x00] },
  { name: '00 00 03 01', nal: [0x11, 0x00, 0x00, 0x03, 0x01], rbsp: [0x11, 0x00, 0x00, 0x01] },
  { name: '00 00 03 03 (second 03 is data)', nal: [0x00, 0x00, 0x03, 0x03], rbsp: [0x00, 0x00, 0x03] },
  { name: 'two escapes in a row', nal: [0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x02], rbsp: [0x00, 0x00, 0x00, 0x00, 0x02] },
  { name: 'zeros counted afresh after an escape', nal: [0x00, 0x00, 0x03, 0x00, 0x03], rbsp: [0x00, 0x00, 0x00, 0x03] },
  { name: 'three zeros then 03', nal: [0x00, 0x00, 0x00, 0x03, 0x01], rbsp: [0x00, 0x00, 0x00, 0x01] },
  { name: 'trailing 00 00 03 (cabac_zero_word)', nal: [0x05, 0x00, 0x00, 0x03], rbsp: [0x05, 0x00, 0x00] },
  { name: 'single zero then 03 is data', nal: [0x01, 0x00, 0x03, 0x00], rbsp: [0x01, 0x00, 0x03, 0x00] },
  { name: '00 00 04 is not an escape', nal: [0x00, 0x00, 0x04], rbsp: [0x00, 0x00, 0x04] },
];

describe('unescapeRbsp', () => {
  test.each(rbspCases)('$name', ({ nal, rbsp }) => {
    expect([...unescapeRbsp(Uint8Array.from(nal))]).toEqual(rbsp);
  });

  test('returns the input itself when there is nothing to remove', () => {
    const nal = Uint8Array.from([0x67, 0x00, 0x00, 0x01]);
    expect(unescapeRbsp(nal)).toBe(nal);
  });

  test('copies when it removes bytes, leaving the input untouched', () => {
    const nal = Uint8Array.from([0x00, 0x00, 0x03, 0x01]);
    const out = unescapeRbsp(nal);
    expect(out.buffer).not.toBe(nal.buffer);
    expect([...nal]).toEqual([0x00, 0x00, 0x03, 0x01]);
  });

  test('honours the byteOffset of a view', () => {
    const backing = Uint8Array.from([0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00]);
    expect([...unescapeRbsp(backing.subarray(3, 7))]).toEqual([0x00, 0x00, 0x01]);
  });
});
