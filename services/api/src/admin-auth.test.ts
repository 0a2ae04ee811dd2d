import { describe, expect, test } from 'vitest';
import { bearerToken, tokenMatches } from './admin-auth.js';

describe('bearerToken', () => {
  test.each<[string | undefined, string | undefined]>([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Bearer   abc  ', 'abc'],
    ['Bearer', undefined],
    ['Bearer ', undefined],
    ['Basic abc', undefined],
    ['Bearer a b', undefined],
    ['abc', undefined],
    [undefined, undefined],
    [`Bearer ${'x'.repeat(5000)}`, undefined],
  ])('%j → %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe('tokenMatches', () => {
  test('only the exact token matches', () => {
    expect(tokenMatches('s3cret-token', 's3cret-token')).toBe(true);
    expect(tokenMatches('s3cret-toke', 's3cret-token')).toBe(false);
    expect(tokenMatches('s3cret-token!', 's3cret-token')).toBe(false);
    expect(tokenMatches('', 's3cret-token')).toBe(false);
    expect(tokenMatches(undefined, 's3cret-token')).toBe(false);
  });
  test('an empty expected token matches nothing', () => {
    expect(tokenMatches('', '')).toBe(false);
    expect(tokenMatches(undefined, '')).toBe(false);
  });
});
