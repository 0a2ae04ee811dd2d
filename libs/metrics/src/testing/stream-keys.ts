import { expect } from 'vitest';
import { labelValues, type Sample } from './exposition.js';

/** Shaped like @headwater/auth keys (`hw_<12 base62>_<33 base62>`, `hw1.<channel>.<exp>.<mac>`). */
export const STREAM_KEY = 'hw_Ab3dEf6hIj9k_Q2w3e4r5t6y7u8i9o0pA1s2d3f4g5h6j7k8l';
export const HMAC_KEY = 'hw1.studio-a.1893456000.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd';

/** No label of any sample holds a key, nor does the text at all. */
export function expectNoKeys(text: string, all: readonly Sample[]): void {
  expect(text).not.toContain(STREAM_KEY);
  expect(text).not.toContain(HMAC_KEY);
  expect(text).not.toContain('Q2w3e4r5t6y7u8i9o0p');
  for (const v of labelValues(all)) expect(v).not.toMatch(/^hw_[0-9A-Za-z]+_[0-9A-Za-z]{16,}$|^hw1\./);
}
