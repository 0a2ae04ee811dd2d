/** MSB-first bit writer for building bitstreams by hand in tests (the inverse of BitReader). */
export class BitWriter {
  private readonly out: number[] = [];
  private cur = 0;
  private n = 0;

  bits(count: number, value: number): this {
    for (let i = count - 1; i >= 0; i--) this.bit(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  bit(b: number): this {
    this.cur = (this.cur << 1) | (b & 1);
    if (++this.n === 8) {
      this.out.push(this.cur);
      this.cur = 0;
      this.n = 0;
    }
    return this;
  }

  flag(b: boolean): this {
    return this.bit(b ? 1 : 0);
  }

  ue(v: number): this {
    const x = v + 1;
    const len = Math.floor(Math.log2(x));
    this.bits(len, 0);
    return this.bits(len + 1, x);
  }

  se(v: number): this {
    return this.ue(v > 0 ? 2 * v - 1 : -2 * v);
  }

  leb128(v: number): this {
    let rest = v;
    do {
      const byte = rest % 128;
      rest = Math.floor(rest / 128);
      this.bits(8, byte | (rest > 0 ? 0x80 : 0));
    } while (rest > 0);
    return this;
  }

  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.bits(8, b[i]!);
    return this;
  }

  /** rbsp_trailing_bits(): a 1 then zeros to the byte boundary. */
  trailing(): this {
    this.bit(1);
    return this.align();
  }

  align(): this {
    while (this.n !== 0) this.bit(0);
    return this;
  }

  get bitLength(): number {
    return this.out.length * 8 + this.n;
  }

  finish(): Uint8Array {
    this.align();
    return Uint8Array.from(this.out);
  }
}

/** Inserts emulation prevention bytes (00 00 0x -> 00 00 03 0x for x <= 3), as an encoder does. */
export function escapeRbsp(rbsp: Uint8Array): Uint8Array {
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

export function hex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-f]/gi, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
