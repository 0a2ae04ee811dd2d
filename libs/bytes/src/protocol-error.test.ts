import { describe, expect, test } from 'vitest';
import { ProtocolError, checkLimit } from './protocol-error.js';

describe('ProtocolError', () => {
  test('is an Error with a stable code, a name and a human message', () => {
    const e = new ProtocolError('truncated', 'needed 4 bytes');
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.name).toBe('ProtocolError');
    expect(e.code).toBe('truncated');
    expect(e.message).toBe('needed 4 bytes');
    expect(e.stack).toContain('ProtocolError');
    expect(String(e)).toBe('ProtocolError: needed 4 bytes');
  });

  test('can be caught by type and told apart by code', () => {
    const codes: string[] = [];
    for (const code of ['truncated', 'limit-exceeded']) {
      try {
        throw new ProtocolError(code, 'x');
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        codes.push(e.code);
      }
    }
    expect(codes).toEqual(['truncated', 'limit-exceeded']);
  });
});

describe('checkLimit', () => {
  test('accepts values up to and including the limit', () => {
    expect(() => checkLimit('message length', 0, 10)).not.toThrow();
    expect(() => checkLimit('message length', 10, 10)).not.toThrow();
    expect(() => checkLimit('message length', -1, 10)).not.toThrow();
  });

  test('rejects a value above the limit with limit-exceeded, naming what, value and limit', () => {
    let caught: unknown;
    try {
      checkLimit('message length', 11, 10);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    const e = caught as ProtocolError;
    expect(e.code).toBe('limit-exceeded');
    expect(e.message).toContain('message length');
    expect(e.message).toContain('11');
    expect(e.message).toContain('10');
  });

  test.each([
    ['Infinity', Infinity],
    ['NaN (fails closed)', NaN],
    ['just above a large limit', 2 ** 31],
  ])('rejects %s', (_name, value) => {
    expect(() => checkLimit('chunk size', value, 2 ** 31 - 1)).toThrow(expect.objectContaining({ code: 'limit-exceeded' }));
  });
});
