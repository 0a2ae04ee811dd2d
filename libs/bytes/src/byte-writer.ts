import { ProtocolError } from './protocol-error.js';

/** Growable big-endian writer. `finish()` returns a view of exactly the bytes written. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  /**
   * Makes room for `n` more bytes and returns where they go. It may replace `buf` and `view`,
   * so callers must call it BEFORE reading either: `this.view.setX(this.reserve(n), v)` would
   * evaluate the old view first and write into the discarded buffer.
   */
  private reserve(n: number): number {
    const need = this.length + n;
    if (need > this.buf.length) {
      let cap = Math.max(64, this.buf.length * 2);
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length = need;
    return at;
  }

  u8(v: number): this {
    const at = this.reserve(1);
    this.view.setUint8(at, v);
    return this;
  }

  u16(v: number): this {
    const at = this.reserve(2);
    this.view.setUint16(at, v);
    return this;
  }

  u24(v: number): this {
    const at = this.reserve(3);
    this.view.setUint8(at, (v >>> 16) & 0xff);
    this.view.setUint16(at + 1, v & 0xffff);
    return this;
  }

  /** Signed 24-bit, two's complement. */
  i24(v: number): this {
    return this.u24(v < 0 ? v + 0x1000000 : v);
  }

  u32(v: number): this {
    const at = this.reserve(4);
    this.view.setUint32(at, v >>> 0);
    return this;
  }

  u32le(v: number): this {
    const at = this.reserve(4);
    this.view.setUint32(at, v >>> 0, true);
    return this;
  }

  i16(v: number): this {
    const at = this.reserve(2);
    this.view.setInt16(at, v);
    return this;
  }

  f64(v: number): this {
    const at = this.reserve(8);
    this.view.setFloat64(at, v);
    return this;
  }

  bytes(b: Uint8Array): this {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
    return this;
  }

  fourcc(s: string): this {
    const at = this.reserve(4);
    for (let i = 0; i < 4; i++) this.buf[at + i] = s.charCodeAt(i) & 0xff;
    return this;
  }

  /** Overwrites a big-endian UI24 already written at `at` (for back-patched sizes). */
  patchU24(at: number, v: number): void {
    this.checkPatch(at, 3);
    this.view.setUint8(at, (v >>> 16) & 0xff);
    this.view.setUint16(at + 1, v & 0xffff);
  }

  /** Overwrites a big-endian UI32 already written at `at`. */
  patchU32(at: number, v: number): void {
    this.checkPatch(at, 4);
    this.view.setUint32(at, v >>> 0);
  }

  /** A patch past `length` would land in spare capacity and silently vanish from `finish()`. */
  private checkPatch(at: number, n: number): void {
    if (!Number.isInteger(at) || at < 0 || at + n > this.length) {
      throw new ProtocolError('bad-argument', `cannot patch ${n} bytes at ${at}, only ${this.length} written`);
    }
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
