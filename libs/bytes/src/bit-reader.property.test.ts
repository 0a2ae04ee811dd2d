import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import { BitReader, unescapeRbsp } from './bit-reader.js';
import { ProtocolError } from './protocol-error.js';

/** Reference encoder, written from the specs as a string of '0'/'1' so it shares nothing with BitReader. */
const ref = {
  bits: (n: number, v: number): string => (n === 0 ? '' : v.toString(2).padStart(n, '0')),
  /** H.264 §9.1: leadingZeroBits zeros, then codeNum + 1 in binary. */
  ue: (v: number): string => {
    const b = (v + 1).toString(2);
    return '0'.repeat(b.length - 1) + b;
  },
  /** §9.1.1: k = 2|v| - 1 for v > 0, 2|v| otherwise. */
  se: (v: number): string => ref.ue(v > 0 ? 2 * v - 1 : -2 * v),
  /** AV1 §4.10.3: identical to ue for values below 2^32 - 1. */
  uvlc: (v: number): string => ref.ue(v),
  /** AV1 §4.10.5: 7 bits per byte, least significant group first; `pad` extra 0x80.. bytes. */
  leb128: (v: number, pad: number): string => {
    const groups: number[] = [];
    let rest = v;
    do {
      groups.push(rest % 128);
      rest = Math.floor(rest / 128);
    } while (rest > 0);
    for (let i = 0; i < pad && groups.length < 8; i++) groups.push(0);
    return groups.map((g, i) => ref.bits(8, g + (i < groups.length - 1 ? 128 : 0))).join('');
  },
};

function toBytes(bits: string, padBit: '0' | '1'): Uint8Array {
  const padded = bits + padBit.repeat((8 - (bits.length % 8)) % 8);
  const out = new Uint8Array(padded.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(padded.slice(i * 8, i * 8 + 8), 2);
  return out;
}

type Code =
  | { kind: 'bits'; n: number; value: number }
  | { kind: 'ue' | 'uvlc'; value: number }
  | { kind: 'se'; value: number }
  | { kind: 'leb128'; value: number; pad: number };

const u32 = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })).map(([hi, lo]) => hi * 0x10000 + lo);
/** Small values are what SPS fields carry; the full range checks the long codes. */
const ueValue = fc.oneof(fc.integer({ min: 0, max: 300 }), u32.filter((v) => v <= 2 ** 32 - 2));

const codeArb: fc.Arbitrary<Code> = fc.oneof(
  fc.integer({ min: 0, max: 32 }).chain((n) => u32.map((v) => ({ kind: 'bits' as const, n, value: v % 2 ** n }))),
  fc.record({ kind: fc.constant('ue' as const), value: ueValue }),
  fc.record({ kind: fc.constant('uvlc' as const), value: ueValue }),
  fc.record({
    kind: fc.constant('se' as const),
    value: fc.oneof(fc.integer({ min: -150, max: 150 }), fc.integer({ min: -(2 ** 31 - 1), max: 2 ** 31 - 1 })),
  }),
  fc.record({ kind: fc.constant('leb128' as const), value: fc.oneof(fc.integer({ min: 0, max: 300 }), u32), pad: fc.integer({ min: 0, max: 3 }) }),
);

function encode(c: Code): string {
  switch (c.kind) {
    case 'bits':
      return ref.bits(c.n, c.value);
    case 'ue':
      return ref.ue(c.value);
    case 'uvlc':
      return ref.uvlc(c.value);
    case 'se':
      return ref.se(c.value);
    case 'leb128':
      return ref.leb128(c.value, c.pad);
    default: {
      const never: never = c;
      throw new Error(`unknown code ${String(never)}`);
    }
  }
}

function decode(br: BitReader, c: Code): number {
  switch (c.kind) {
    case 'bits':
      return br.bits(c.n);
    case 'ue':
      return br.ue();
    case 'uvlc':
      return br.uvlc();
    case 'se':
      return br.se();
    case 'leb128':
      return br.leb128();
    default: {
      const never: never = c;
      throw new Error(`unknown code ${String(never)}`);
    }
  }
}

describe('BitReader against the reference encoder', () => {
  fcTest.prop([fc.array(codeArb, { maxLength: 30 }), fc.constantFrom('0' as const, '1' as const)], { numRuns: 300 })(
    'decodes any sequence of bits/ue/se/uvlc/leb128 codes, unaligned, back to their values',
    (codes, padBit) => {
      const bits = codes.map(encode).join('');
      const br = new BitReader(toBytes(bits, padBit));
      for (const c of codes) expect(decode(br, c)).toBe(c.value);
      expect(br.bitsLeft).toBe((8 - (bits.length % 8)) % 8);
    },
  );

  fcTest.prop([ueValue])('the reference ue code agrees with H.264 Table 9-2 lengths', (v) => {
    // 2 * floor(log2(v + 1)) + 1 bits.
    expect(ref.ue(v).length).toBe(2 * Math.floor(Math.log2(v + 1)) + 1);
  });

  fcTest.prop([fc.array(codeArb, { minLength: 1, maxLength: 10 }), fc.nat()])(
    'cutting the stream at a byte gives the whole codes before the cut, then ProtocolError(truncated)',
    (codes, cutSeed) => {
      const bits = codes.map(encode).join('');
      const cutBytes = cutSeed % (Math.ceil(bits.length / 8) + 1);
      const br = new BitReader(toBytes(bits, '0').subarray(0, cutBytes));
      let end = 0;
      for (const c of codes) {
        end += encode(c).length;
        if (end <= cutBytes * 8) {
          expect(decode(br, c)).toBe(c.value);
          continue;
        }
        let caught: unknown;
        try {
          decode(br, c);
        } catch (e) {
          caught = e;
        }
        // Prefix codes: the reader follows the writer bit for bit, so it must hit the cut.
        expect(caught).toBeInstanceOf(ProtocolError);
        expect((caught as ProtocolError).code).toBe('truncated');
        return;
      }
    },
  );
});

type Op = { op: 'bits'; n: number } | { op: 'skip'; n: number } | { op: 'ue' | 'se' | 'uvlc' | 'leb128' | 'byteAlign' | 'flag' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('bits' as const), n: fc.integer({ min: 0, max: 32 }) }),
  fc.record({ op: fc.constant('skip' as const), n: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ op: fc.constantFrom('ue' as const, 'se' as const, 'uvlc' as const, 'leb128' as const, 'byteAlign' as const, 'flag' as const) }),
);

function run(br: BitReader, o: Op): void {
  switch (o.op) {
    case 'bits':
      br.bits(o.n);
      return;
    case 'skip':
      br.skip(o.n);
      return;
    case 'ue':
      br.ue();
      return;
    case 'se':
      br.se();
      return;
    case 'uvlc':
      br.uvlc();
      return;
    case 'leb128':
      br.leb128();
      return;
    case 'byteAlign':
      br.byteAlign();
      return;
    case 'flag':
      br.flag();
      return;
    default: {
      const never: never = o;
      throw new Error(`unknown op ${String(never)}`);
    }
  }
}

/** Bytes biased towards zeros, which make the long Exp-Golomb prefixes. */
const hostileBytes = fc.uint8Array({ maxLength: 48 }).chain((b) =>
  fc.array(fc.constantFrom(0x00, 0x00, 0x01, 0x80, 0xff), { maxLength: 48 }).map((extra) => Uint8Array.from([...extra, ...b])),
);

describe('BitReader on hostile input', () => {
  fcTest.prop([hostileBytes, fc.array(opArb, { maxLength: 30 })], { numRuns: 1000 })(
    'any sequence of reads returns values or throws only ProtocolError, and never runs past the end',
    (data, ops) => {
      const br = new BitReader(data);
      for (const o of ops) {
        try {
          run(br, o);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
          expect(['truncated', 'bad-exp-golomb', 'bad-leb128']).toContain((e as ProtocolError).code);
        }
        expect(br.bitsLeft).toBeGreaterThanOrEqual(0);
        expect(br.bitsLeft).toBeLessThanOrEqual(data.length * 8);
      }
    },
  );

  fcTest.prop([fc.uint8Array({ maxLength: 40 })])('ue/uvlc values are integers in [0, 2^32 - 1]', (data) => {
    for (const read of [(b: BitReader) => b.ue(), (b: BitReader) => b.uvlc(), (b: BitReader) => b.leb128()]) {
      const br = new BitReader(data);
      try {
        const v = read(br);
        expect(Number.isInteger(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(2 ** 32 - 1);
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
      }
    }
  });
});

/** H.264 §7.3.1 nal_unit() loop, transcribed: drop 0x03 when next_bits(24) == 0x000003 at i + 2. */
function unescapeRef(nal: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < nal.length; i++) {
    if (i + 2 < nal.length && nal[i] === 0 && nal[i + 1] === 0 && nal[i + 2] === 3) {
      out.push(0, 0);
      i += 2; // skips the emulation_prevention_three_byte
    } else {
      out.push(nal[i]!);
    }
  }
  return out;
}

/** The encoder side (§7.4.1): insert 0x03 after 00 00 when the next byte is 00..03. */
function escapeRef(rbsp: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Uint8Array.from(out);
}

/** NAL-ish bytes: lots of 00 and 03 so escapes actually occur. */
const nalBytes = fc.array(fc.oneof(fc.constantFrom(0x00, 0x00, 0x00, 0x03, 0x01, 0x02), fc.integer({ min: 0, max: 255 })), { maxLength: 80 }).map((a) => Uint8Array.from(a));

describe('unescapeRbsp', () => {
  fcTest.prop([nalBytes], { numRuns: 1000 })('matches the spec loop on any bytes', (nal) => {
    expect([...unescapeRbsp(nal)]).toEqual(unescapeRef(nal));
  });

  fcTest.prop([nalBytes])('undoes emulation prevention: unescape(escape(rbsp)) == rbsp', (rbsp) => {
    expect([...unescapeRbsp(escapeRef(rbsp))]).toEqual([...rbsp]);
  });

  fcTest.prop([nalBytes])('never grows, and returns the very input when nothing is escaped', (nal) => {
    const out = unescapeRbsp(nal);
    expect(out.length).toBeLessThanOrEqual(nal.length);
    if (out.length === nal.length) expect(out).toBe(nal);
  });
});
