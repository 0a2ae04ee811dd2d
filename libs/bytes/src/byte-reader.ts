import { ProtocolError } from './protocol-error.js';

/**
 * Big-endian cursor over a Uint8Array. Reads never copy: `bytes()` returns a subarray view.
 * Running past the end throws a `truncated` ProtocolError, never a RangeError.
 */
export class ByteReader {
  private readonly view: DataView;
  offset = 0;

  constructor(readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get remaining(): number {
    return this.data.length - this.offset;
  }

  get done(): boolean {
    return this.offset >= this.data.length;
  }

  private need(n: number): number {
    // A negative or fractional count (e.g. a wire size smaller than its header) would otherwise
    // move the cursor backwards or let DataView truncate the offset.
    if (!Number.isInteger(n) || n < 0) throw new ProtocolError('bad-argument', `cannot read ${n} bytes`);
    if (n > this.data.length - this.offset) {
      throw new ProtocolError('truncated', `needed ${n} bytes at offset ${this.offset}, only ${this.remaining} left`);
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }

  u16(): number {
    return this.view.getUint16(this.need(2));
  }

  u24(): number {
    const at = this.need(3);
    return (this.view.getUint8(at) << 16) | this.view.getUint16(at + 1);
  }

  /** Signed 24-bit (FLV CompositionTime). */
  i24(): number {
    const v = this.u24();
    return v & 0x800000 ? v - 0x1000000 : v;
  }

  u32(): number {
    return this.view.getUint32(this.need(4));
  }

  u32le(): number {
    return this.view.getUint32(this.need(4), true);
  }

  i16(): number {
    return this.view.getInt16(this.need(2));
  }

  u64(): bigint {
    return this.view.getBigUint64(this.need(8));
  }

  f64(): number {
    return this.view.getFloat64(this.need(8));
  }

  /** A view of the next `n` bytes (no copy). */
  bytes(n: number): Uint8Array {
    const at = this.need(n);
    return this.data.subarray(at, at + n);
  }

  /** A view of everything left (no copy). */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  skip(n: number): void {
    this.need(n);
  }

  /** Peeks one byte without consuming it. */
  peekU8(): number {
    if (this.offset >= this.data.length) throw new ProtocolError('truncated', `needed 1 byte at offset ${this.offset}`);
    return this.data[this.offset]!;
  }

  /** Reads a FourCC as its 4-character ASCII string. */
  fourcc(): string {
    const b = this.bytes(4);
    return String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!);
  }
}
