import { ProtocolError } from './protocol-error.js';

/**
 * A FIFO of byte slices as TCP delivers them. Consumers peek at the front and take exactly
 * what they need; a take that lies within one slice is a zero-copy view, one that straddles
 * slices is copied once. Nothing is retained after it is consumed.
 *
 * Asking for more than `length` bytes throws a `truncated` ProtocolError and leaves the queue
 * untouched (a partial consume would desynchronise every later read).
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // offset into chunks[0]
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /** Byte at position `i` from the front (i < length). */
  at(i: number): number {
    if (!Number.isInteger(i) || i < 0) throw new ProtocolError('bad-argument', `no byte at position ${i}`);
    if (i >= this.length) throw new ProtocolError('truncated', `needed byte ${i}, only ${this.length} queued`);
    let idx = 0;
    let pos = this.head + i;
    while (pos >= this.chunks[idx]!.length) {
      pos -= this.chunks[idx]!.length;
      idx++;
    }
    return this.chunks[idx]![pos]!;
  }

  /** Takes `n` bytes (n <= length): a view when contiguous, else a fresh copy. */
  take(n: number): Uint8Array {
    this.check(n);
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[0]!;
    const avail = first.length - this.head;
    if (n <= avail) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = new Uint8Array(n);
    this.copyTo(out, 0, n);
    return out;
  }

  /** Copies the next `n` bytes into `dst` at `dstOffset` and consumes them. */
  copyTo(dst: Uint8Array, dstOffset: number, n: number): void {
    this.check(n);
    if (!Number.isInteger(dstOffset) || dstOffset < 0 || dstOffset + n > dst.length) {
      throw new ProtocolError('bad-argument', `cannot copy ${n} bytes to offset ${dstOffset} of ${dst.length}`);
    }
    let written = 0;
    while (written < n) {
      const c = this.chunks[0]!;
      const k = Math.min(n - written, c.length - this.head);
      dst.set(c.subarray(this.head, this.head + k), dstOffset + written);
      written += k;
      this.advance(k);
    }
  }

  /** Drops the next `n` bytes (n <= length). */
  skip(n: number): void {
    this.check(n);
    this.advance(n);
  }

  private check(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new ProtocolError('bad-argument', `cannot consume ${n} bytes`);
    if (n > this.length) throw new ProtocolError('truncated', `needed ${n} bytes, only ${this.length} queued`);
  }

  private advance(n: number): void {
    this.length -= n;
    this.head += n;
    while (this.chunks.length > 0 && this.head >= this.chunks[0]!.length) {
      this.head -= this.chunks[0]!.length;
      this.chunks.shift();
    }
  }
}
