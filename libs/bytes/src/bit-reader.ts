import { ProtocolError } from './protocol-error.js';

/** MSB-first bit reader with Exp-Golomb codes (H.264/H.265 SPS, AV1 OBU headers). */
export class BitReader {
  private bitOffset = 0;

  constructor(private readonly data: Uint8Array) {}

  get bitsLeft(): number {
    return this.data.length * 8 - this.bitOffset;
  }

  /** Reads up to 32 bits as an unsigned number. */
  bits(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > 32) throw new ProtocolError('bad-argument', `cannot read ${n} bits at once`);
    if (n > this.bitsLeft) throw new ProtocolError('truncated', `needed ${n} bits, only ${this.bitsLeft} left`);
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.data[this.bitOffset >> 3]!;
      v = v * 2 + ((byte >> (7 - (this.bitOffset & 7))) & 1);
      this.bitOffset++;
    }
    return v;
  }

  bit(): number {
    return this.bits(1);
  }

  flag(): boolean {
    return this.bits(1) === 1;
  }

  skip(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new ProtocolError('bad-argument', `cannot skip ${n} bits`);
    if (n > this.bitsLeft) throw new ProtocolError('truncated', `cannot skip ${n} bits, only ${this.bitsLeft} left`);
    this.bitOffset += n;
  }

  /** Unsigned Exp-Golomb ue(v). */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new ProtocolError('bad-exp-golomb', 'Exp-Golomb code longer than 32 bits');
    }
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.bits(zeros);
  }

  /** Signed Exp-Golomb se(v). */
  se(): number {
    const k = this.ue();
    if (k & 1) return (k + 1) / 2;
    return k === 0 ? 0 : -(k / 2); // not -0: toEqual/Object.is would tell it from 0
  }

  /**
   * AV1 leb128() (§4.10.5): at most 8 bytes, padding bytes allowed. Values above 2^32 - 1 are
   * non-conformant and rejected (as libaom does): they size buffers, and 8 bytes can carry 56
   * bits, which a double cannot hold exactly.
   */
  leb128(): number {
    let value = 0;
    for (let i = 0; i < 8; i++) {
      const byte = this.bits(8);
      value += (byte & 0x7f) * 2 ** (7 * i);
      if (!(byte & 0x80)) {
        if (value > 0xffffffff) throw new ProtocolError('bad-leb128', 'leb128 value above 2^32 - 1');
        return value;
      }
    }
    throw new ProtocolError('bad-leb128', 'leb128 longer than 8 bytes');
  }

  /**
   * AV1 uvlc() (§4.10.3). Like libaom and dav1d, stops after 32 leading zeros and returns
   * 2^32 - 1 without consuming the rest of the code (values that large are non-conformant).
   */
  uvlc(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros >= 32) return 2 ** 32 - 1;
    }
    return zeros === 0 ? 0 : this.bits(zeros) + 2 ** zeros - 1;
  }

  byteAlign(): void {
    this.bitOffset = (this.bitOffset + 7) & ~7;
  }
}

/** Removes H.264/H.265 emulation-prevention bytes (00 00 03 -> 00 00) from a NAL unit payload. */
export function unescapeRbsp(nal: Uint8Array): Uint8Array {
  let zeros = 0;
  let needsCopy = false;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      needsCopy = true;
      break;
    }
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (!needsCopy) return nal;
  const out = new Uint8Array(nal.length);
  let n = 0;
  zeros = 0;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}
