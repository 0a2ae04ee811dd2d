import { describe, expect, it } from 'vitest';
import { ProtocolError } from '@headwater/bytes';
import {
  ebmlBinary,
  ebmlByteLength,
  ebmlFloat,
  ebmlMaster,
  ebmlString,
  ebmlUint,
  elementIdLength,
  encodeEbml,
  encodeVint,
  vintLength,
} from './ebml-writer.js';
import type { EbmlElement } from './ebml-writer.js';
import { readVint, walkEbml } from './testing/ebml-reader.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.split(/\s+/).filter(Boolean).map((b) => parseInt(b, 16)));
const toHex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

/** RFC 8794 §4: the shortest VINT for each value; all-ones VINT_DATA is reserved, so 127 needs 2 bytes. */
const vintCases: { name: string; value: number; width?: number; bytes: string }[] = [
  { name: 'zero', value: 0, bytes: '80' },
  { name: 'one', value: 1, bytes: '81' },
  { name: 'largest 1-byte', value: 126, bytes: 'fe' },
  { name: '127 is reserved in 1 byte', value: 127, bytes: '40 7f' },
  { name: '128', value: 128, bytes: '40 80' },
  { name: 'largest 2-byte', value: 2 ** 14 - 2, bytes: '7f fe' },
  { name: 'smallest 3-byte', value: 2 ** 14 - 1, bytes: '20 3f ff' },
  { name: 'largest 3-byte', value: 2 ** 21 - 2, bytes: '3f ff fe' },
  { name: 'smallest 4-byte', value: 2 ** 21 - 1, bytes: '10 1f ff ff' },
  { name: 'largest 4-byte', value: 2 ** 28 - 2, bytes: '1f ff ff fe' },
  { name: 'smallest 5-byte', value: 2 ** 28 - 1, bytes: '08 0f ff ff ff' },
  { name: 'above 32 bits', value: 2 ** 32, bytes: '09 00 00 00 00' },
  { name: 'largest 5-byte', value: 2 ** 35 - 2, bytes: '0f ff ff ff fe' },
  { name: 'largest 6-byte', value: 2 ** 42 - 2, bytes: '07 ff ff ff ff fe' },
  { name: 'largest 7-byte', value: 2 ** 49 - 2, bytes: '03 ff ff ff ff ff fe' },
  { name: 'largest safe integer', value: Number.MAX_SAFE_INTEGER, bytes: '01 1f ff ff ff ff ff ff' },
  { name: 'explicit 8-byte width', value: 5, width: 8, bytes: '01 00 00 00 00 00 00 05' },
  { name: 'explicit 2-byte zero', value: 0, width: 2, bytes: '40 00' },
];

describe('VINT', () => {
  it.each(vintCases)('$name', ({ value, width, bytes }) => {
    const encoded = encodeVint(value, width);
    expect(toHex(encoded)).toBe(toHex(hex(bytes)));
    if (width === undefined) expect(vintLength(value)).toBe(encoded.length);
    const decoded = readVint(encoded, 0);
    expect(decoded).toEqual({ value, length: encoded.length, unknown: false });
  });

  it.each([
    { name: 'negative', value: -1 },
    { name: 'fraction', value: 1.5 },
    { name: 'unsafe integer', value: 2 ** 53 },
    { name: 'NaN', value: NaN },
    { name: '127 in 1 byte', value: 127, width: 1 },
    { name: 'width 0', value: 0, width: 0 },
    { name: 'width 9', value: 0, width: 9 },
  ])('rejects $name', ({ value, width }) => {
    expect(() => encodeVint(value, width)).toThrow(ProtocolError);
  });
});

describe('element IDs', () => {
  it.each([
    { id: 0x81, length: 1 },
    { id: 0x86, length: 1 },
    { id: 0xfe, length: 1 },
    { id: 0x407f, length: 2 },
    { id: 0x4286, length: 2 },
    { id: 0x7ffe, length: 2 },
    { id: 0x203fff, length: 3 },
    { id: 0x2ad7b1, length: 3 },
    { id: 0x101fffff, length: 4 },
    { id: 0x1a45dfa3, length: 4 },
    { id: 0x1ffffffe, length: 4 },
  ])('ID $id has $length bytes', ({ id, length }) => {
    expect(elementIdLength(id)).toBe(length);
  });

  it.each([
    { name: 'VINT_DATA zero', id: 0x80 },
    { name: 'VINT_DATA all ones', id: 0xff },
    { name: 'no marker', id: 0x7f },
    { name: '2-byte zero', id: 0x4000 },
    { name: 'fits in 1 byte', id: 0x4001 },
    { name: '2-byte all ones', id: 0x7fff },
    { name: 'marker misplaced', id: 0x0100 },
    { name: 'fits in 3 bytes', id: 0x10000001 },
    { name: 'too long', id: 0x20000000 },
    { name: 'fraction', id: 134.5 },
  ])('rejects $name', ({ id }) => {
    expect(() => ebmlUint(id, 0)).toThrow(ProtocolError);
  });
});

const elementCases: { name: string; element: EbmlElement; bytes: string }[] = [
  { name: 'uint 0 takes one byte', element: ebmlUint(0xd7, 0), bytes: 'd7 81 00' },
  { name: 'uint 1', element: ebmlUint(0xd7, 1), bytes: 'd7 81 01' },
  { name: 'uint 256', element: ebmlUint(0xd7, 256), bytes: 'd7 82 01 00' },
  { name: 'TimestampScale 1 ms', element: ebmlUint(0x2ad7b1, 1_000_000), bytes: '2a d7 b1 83 0f 42 40' },
  { name: 'uint above 32 bits', element: ebmlUint(0xd7, 2 ** 40), bytes: 'd7 86 01 00 00 00 00 00' },
  { name: 'float 1.5 as a double', element: ebmlFloat(0x4489, 1.5), bytes: '44 89 88 3f f8 00 00 00 00 00 00' },
  { name: 'string', element: ebmlString(0x4282, 'matroska'), bytes: '42 82 88 6d 61 74 72 6f 73 6b 61' },
  { name: 'UTF-8 string', element: ebmlString(0x4d80, 'é'), bytes: '4d 80 82 c3 a9' },
  { name: 'binary in parts', element: ebmlBinary(0xa3, hex('01 02'), hex('03')), bytes: 'a3 83 01 02 03' },
  { name: 'empty binary', element: ebmlBinary(0xa3), bytes: 'a3 80' },
  {
    name: 'master',
    element: ebmlMaster(0xe0, [ebmlUint(0xb0, 640), ebmlUint(0xba, 360)]),
    bytes: 'e0 88 b0 82 02 80 ba 82 01 68',
  },
  { name: 'empty master', element: ebmlMaster(0xe0, []), bytes: 'e0 80' },
  { name: 'nested masters', element: ebmlMaster(0xae, [ebmlMaster(0xe0, [ebmlUint(0xb0, 1)])]), bytes: 'ae 85 e0 83 b0 81 01' },
];

describe('elements', () => {
  it.each(elementCases)('$name', ({ element, bytes }) => {
    const encoded = encodeEbml([element]);
    expect(toHex(encoded)).toBe(toHex(hex(bytes)));
    expect(ebmlByteLength([element])).toBe(encoded.length);
    expect(walkEbml(encoded)).toHaveLength(1);
  });

  it('writes a 127-byte payload with a 2-byte size', () => {
    const encoded = encodeEbml([ebmlBinary(0xa3, new Uint8Array(127))]);
    expect(toHex(encoded.subarray(0, 3))).toBe('a3 40 7f');
    expect(encoded.length).toBe(130);
  });

  it('writes one shared child once per parent', () => {
    const shared = ebmlMaster(0xe0, [ebmlUint(0xb0, 7)]);
    const encoded = encodeEbml([ebmlMaster(0xae, [shared, shared])]);
    expect(toHex(encoded)).toBe('ae 8a e0 83 b0 81 07 e0 83 b0 81 07');
  });

  it.each([
    { name: 'negative uint', make: () => ebmlUint(0xd7, -1) },
    { name: 'fractional uint', make: () => ebmlUint(0xd7, 0.5) },
    { name: 'unsafe uint', make: () => ebmlUint(0xd7, 2 ** 60) },
    { name: 'infinite float', make: () => ebmlFloat(0x4489, Infinity) },
    { name: 'NaN float', make: () => ebmlFloat(0x4489, NaN) },
  ])('rejects $name', ({ make }) => {
    expect(make).toThrow(ProtocolError);
  });
});
