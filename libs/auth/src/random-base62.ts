import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Bytes at or above this are rejected so that `byte % 62` stays uniform (248 = 4 × 62). */
const REJECT_FROM = 248;

/** `length` uniformly random base62 characters (log2(62) ≈ 5.95 bits each) from the CSPRNG. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length - out.length + 8)) {
      if (b < REJECT_FROM && out.length < length) out += ALPHABET.charAt(b % 62);
    }
  }
  return out;
}
