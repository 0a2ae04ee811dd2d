import { describe, expect, test } from 'vitest';
import {
  amfArray,
  amfBoolean,
  amfClassName,
  amfNumber,
  amfObject,
  amfObjectOf,
  amfString,
  ecmaArray,
  isAmfObject,
  isEcmaArray,
  typedObject,
} from './amf-value.js';
import type { AmfValue } from './amf-value.js';

describe('AmfValue helpers', () => {
  const obj = amfObjectOf({ s: 'x', n: 3, b: false, o: amfObjectOf({}), arr: [1] });

  test.each<[string, (v: AmfValue, k: string) => unknown, string, unknown]>([
    ['amfString on a string', amfString, 's', 'x'],
    ['amfString on a number', amfString, 'n', undefined],
    ['amfNumber on a number', amfNumber, 'n', 3],
    ['amfNumber on a missing key', amfNumber, 'missing', undefined],
    ['amfBoolean on false', amfBoolean, 'b', false],
    ['amfBoolean on a string', amfBoolean, 's', undefined],
  ])('%s', (_name, get, key, expected) => {
    expect(get(obj, key)).toBe(expected);
  });

  test('getters ignore non-objects and inherited properties', () => {
    expect(amfString(null, 's')).toBeUndefined();
    expect(amfString(['x'], '0')).toBeUndefined();
    expect(amfString({}, 'toString')).toBeUndefined();
    expect(amfNumber(new Date(0), 'getTime')).toBeUndefined();
  });

  test.each<[string, AmfValue, boolean]>([
    ['object', amfObjectOf(), true],
    ['plain JS object', { a: 1 }, true],
    ['ECMA array', ecmaArray(), true],
    ['array', [], false],
    ['date', new Date(0), false],
    ['bytes', new Uint8Array(1), false],
    ['null', null, false],
    ['string', 's', false],
  ])('isAmfObject / amfObject: %s', (_name, v, expected) => {
    expect(isAmfObject(v)).toBe(expected);
    expect(amfObject(v)).toBe(expected ? v : undefined);
  });

  test('amfArray', () => {
    expect(amfArray([1])).toEqual([1]);
    expect(amfArray(amfObjectOf())).toBeUndefined();
  });

  test('marks: ECMA array and class name survive object spread, not JSON', () => {
    const meta = ecmaArray({ width: 1 });
    expect(isEcmaArray(meta)).toBe(true);
    expect(isEcmaArray({ ...meta })).toBe(true);
    expect(isEcmaArray(amfObjectOf({ width: 1 }))).toBe(false);
    expect(Object.keys(meta)).toEqual(['width']);
    expect(JSON.stringify(meta)).toBe('{"width":1}');
    const typed = typedObject('Foo', { a: 1 });
    expect(amfClassName(typed)).toBe('Foo');
    expect(amfClassName(meta)).toBeUndefined();
    expect(amfClassName('Foo')).toBeUndefined();
  });

  test('toEqual sees the marks (so round-trip tests check them)', () => {
    expect(ecmaArray({ a: 1 })).not.toEqual(amfObjectOf({ a: 1 }));
    expect(typedObject('A', { a: 1 })).not.toEqual(typedObject('B', { a: 1 }));
    expect(ecmaArray({ a: 1 })).toEqual(ecmaArray({ a: 1 }));
  });

  test('amfObjectOf makes a null-prototype copy', () => {
    const src = { a: 1 };
    const copy = amfObjectOf(src);
    expect(Object.getPrototypeOf(copy)).toBeNull();
    copy.a = 2;
    expect(src.a).toBe(1);
  });
});
