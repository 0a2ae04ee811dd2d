import { createHash, timingSafeEqual } from 'node:crypto';

/** Longer Authorization headers are refused before any hashing. */
const MAX_AUTHORIZATION_CHARS = 4096;

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length > MAX_AUTHORIZATION_CHARS) return undefined;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  return m?.[1];
}

/**
 * Checks a presented admin token in constant time: both sides are hashed first, so neither the
 * content nor the length of the expected token shows in the time taken.
 */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  const a = createHash('sha256').update(presented ?? '', 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  // `presented !== undefined` after the compare: no early exit on a missing header either.
  return timingSafeEqual(a, b) && presented !== undefined && expected.length > 0;
}
