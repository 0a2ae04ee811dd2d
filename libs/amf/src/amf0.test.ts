import { ProtocolError } from '@headwater/bytes';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_AMF_LIMITS } from './amf-limits.js';
import { amfClassName, amfObjectOf, ecmaArray, isEcmaArray, typedObject } from './amf-value.js';
import type { AmfValue } from './amf-value.js';
import { decodeAmf0 } from './amf0-decoder.js';
import { encodeAmf0 } from './amf0-encoder.js';

/** Hex digits (spaces ignored) to bytes. */
function h(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}
/** ASCII text to bytes. */
function a(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'latin1'));
}
function cat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}
/** An AMF0 property name: UI16 length + bytes. */
function key(name: string): Uint8Array {
  return cat(h((name.length).toString(16).padStart(4, '0')), a(name));
}
/** An AMF0 short string value (marker 0x02). */
function str(s: string): Uint8Array {
  return cat(h('02'), key(s));
}
const END = h('00 00 09');

interface Case {
  name: string;
  bytes: Uint8Array;
  value: AmfValue[];
  /** False when the encoder writes other (canonical) bytes for this value. */
  encodes?: boolean;
}

const longText = 'x'.repeat(70_000);

/** OBS (librtmp SendConnectPacket) connect for rtmp://localhost/live, reference §4. */
const obsConnect: Case = {
  name: 'OBS connect command',
  bytes: cat(
    str('connect'),
    h('00 3ff0000000000000'), // transaction id 1
    h('03'),
    key('app'), str('live'),
    key('type'), str('nonprivate'),
    key('flashVer'), str('FMLE/3.0 (compatible; FMSc/1.0)'),
    key('swfUrl'), str('rtmp://localhost/live'),
    key('tcUrl'), str('rtmp://localhost/live'),
    END,
  ),
  value: [
    'connect',
    1,
    amfObjectOf({
      app: 'live',
      type: 'nonprivate',
      flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)',
      swfUrl: 'rtmp://localhost/live',
      tcUrl: 'rtmp://localhost/live',
    }),
  ],
};

/** FFmpeg flvenc metadata as sent by rtmpproto (type 18): @setDataFrame, onMetaData, ECMA array (§4, §6). */
const ffmpegMetadataBody = cat(
  key('duration'), h('00 0000000000000000'),
  key('width'), h('00 4094000000000000'),
  key('height'), h('00 4086800000000000'),
  key('videodatarate'), h('00 40a3880000000000'),
  key('framerate'), h('00 403e000000000000'),
  key('videocodecid'), h('00 401c000000000000'),
  key('audiodatarate'), h('00 4060000000000000'),
  key('audiosamplerate'), h('00 40e7700000000000'),
  key('audiosamplesize'), h('00 4030000000000000'),
  key('stereo'), h('01 01'),
  key('audiocodecid'), h('00 4024000000000000'),
  key('encoder'), str('Lavf60.16.100'),
  key('filesize'), h('00 0000000000000000'),
  END,
);
const ffmpegMetadataValue = ecmaArray({
  duration: 0,
  width: 1280,
  height: 720,
  videodatarate: 2500,
  framerate: 30,
  videocodecid: 7,
  audiodatarate: 128,
  audiosamplerate: 48000,
  audiosamplesize: 16,
  stereo: true,
  audiocodecid: 10,
  encoder: 'Lavf60.16.100',
  filesize: 0,
});

const sharedObject = amfObjectOf({ a: 1 });

const cases: Case[] = [
  { name: 'number 1', bytes: h('00 3ff0000000000000'), value: [1] },
  { name: 'number -0', bytes: h('00 8000000000000000'), value: [-0] },
  { name: 'number 1.5', bytes: h('00 3ff8000000000000'), value: [1.5] },
  { name: 'boolean true', bytes: h('01 01'), value: [true] },
  { name: 'boolean false', bytes: h('01 00'), value: [false] },
  { name: 'boolean any non-zero byte is true', bytes: h('01 02'), value: [true], encodes: false },
  { name: 'empty string', bytes: h('02 0000'), value: [''] },
  { name: 'string', bytes: str('hello'), value: ['hello'] },
  { name: 'utf-8 string', bytes: h('02 0002 c3a9'), value: ['é'] },
  { name: 'invalid utf-8 becomes U+FFFD', bytes: h('02 0001 ff'), value: ['\ufffd'], encodes: false },
  { name: 'long string', bytes: cat(h('0c 00011170'), a(longText)), value: [longText] },
  { name: 'short text in a long string', bytes: cat(h('0c 00000002'), a('hi')), value: ['hi'], encodes: false },
  { name: 'xml document as string', bytes: cat(h('0f 00000004'), a('<a/>')), value: ['<a/>'], encodes: false },
  { name: 'null', bytes: h('05'), value: [null] },
  { name: 'undefined', bytes: h('06'), value: [undefined] },
  { name: 'unsupported is undefined', bytes: h('0d'), value: [undefined], encodes: false },
  { name: 'empty object', bytes: cat(h('03'), END), value: [amfObjectOf()] },
  {
    name: 'nested object',
    bytes: cat(h('03'), key('o'), h('03'), key('n'), h('05'), END, key('s'), str('x'), END),
    value: [amfObjectOf({ o: amfObjectOf({ n: null }), s: 'x' })],
  },
  { name: 'ECMA array', bytes: cat(h('08 00000001'), key('k'), h('01 01'), END), value: [ecmaArray({ k: true })] },
  { name: 'ECMA array with a wrong count hint', bytes: cat(h('08 00000063'), key('k'), h('01 01'), END), value: [ecmaArray({ k: true })], encodes: false },
  { name: 'ECMA array ending at the end of the message', bytes: cat(h('08 00000001'), key('k'), h('01 01')), value: [ecmaArray({ k: true })], encodes: false },
  { name: 'strict array', bytes: cat(h('0a 00000003 00 3ff0000000000000'), str('a'), h('05')), value: [[1, 'a', null]] },
  { name: 'empty strict array', bytes: h('0a 00000000'), value: [[]] },
  { name: 'date', bytes: h('0b 4278bcfe56800000 0000'), value: [new Date(1_700_000_000_000)] },
  { name: 'date with a time zone', bytes: h('0b 4278bcfe56800000 fe20'), value: [new Date(1_700_000_000_000)], encodes: false },
  { name: 'typed object', bytes: cat(h('10'), key('Foo'), key('x'), h('00 4014000000000000'), END), value: [typedObject('Foo', { x: 5 })] },
  {
    // Table: [0] the strict array, [1] the object; 0x07 0001 repeats the object.
    name: 'reference to an earlier object',
    bytes: cat(h('0a 00000002 03'), key('a'), h('00 3ff0000000000000'), END, h('07 0001')),
    value: [[sharedObject, sharedObject]],
    encodes: false,
  },
  { name: 'AVM+ switch to an AMF3 integer', bytes: h('11 04 05'), value: [5], encodes: false },
  { name: 'byte array via AMF3', bytes: h('11 0c 07 010203'), value: [Uint8Array.of(1, 2, 3)] },
  { name: 'several values', bytes: cat(str('onBWDone'), h('00 0000000000000000 05 00 40c0000000000000')), value: ['onBWDone', 0, null, 8192] },
  obsConnect,
  {
    name: 'FFmpeg @setDataFrame onMetaData',
    bytes: cat(str('@setDataFrame'), str('onMetaData'), h('08 0000000d'), ffmpegMetadataBody),
    value: ['@setDataFrame', 'onMetaData', ffmpegMetadataValue],
  },
  {
    // flvenc writes the count before it knows it and patches it later; a stale hint must not matter.
    name: 'FFmpeg onMetaData with a zero count hint',
    bytes: cat(str('@setDataFrame'), str('onMetaData'), h('08 00000000'), ffmpegMetadataBody),
    value: ['@setDataFrame', 'onMetaData', ffmpegMetadataValue],
    encodes: false,
  },
];

interface ErrorCase {
  name: string;
  bytes: Uint8Array;
  code: string;
}

const errorCases: ErrorCase[] = [
  { name: 'truncated number', bytes: h('00 3ff0'), code: 'truncated' },
  { name: 'truncated string', bytes: h('02 0005 6869'), code: 'truncated' },
  { name: 'object without end', bytes: cat(h('03'), key('a'), h('05')), code: 'truncated' },
  { name: 'movie clip marker', bytes: h('04'), code: 'amf0-bad-marker' },
  { name: 'record set marker', bytes: h('0e'), code: 'amf0-bad-marker' },
  { name: 'stray object end', bytes: h('09'), code: 'amf0-bad-marker' },
  { name: 'marker past AVM+', bytes: h('12'), code: 'amf0-bad-marker' },
  { name: 'empty name without end marker', bytes: h('03 0000 05'), code: 'amf0-bad-object-end' },
  { name: 'reference to nothing', bytes: h('07 0000'), code: 'amf0-bad-reference' },
  { name: 'reference cycle', bytes: cat(h('03'), key('a'), h('07 0000'), END), code: 'amf0-bad-reference' },
  { name: 'strict array count over the limit', bytes: h('0a ffffffff'), code: 'limit-exceeded' },
  { name: 'strict array count over the bytes left', bytes: h('0a 00000010 05'), code: 'truncated' },
  { name: 'long string over the limit', bytes: h('0c 7fffffff'), code: 'limit-exceeded' },
  { name: 'AMF3 externalizable', bytes: cat(h('11 0a 07 07'), a('Foo')), code: 'amf3-externalizable' },
  { name: 'AMF3 vector', bytes: h('11 0d 03 00 00000001'), code: 'amf3-unsupported' },
];

function decodeError(bytes: Uint8Array): ProtocolError {
  try {
    decodeAmf0(bytes);
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error('decoded without error');
}

describe('AMF0 case table', () => {
  test('case names are unique', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  test.each(cases)('decode: $name', ({ bytes, value }) => {
    expect(decodeAmf0(bytes)).toEqual(value);
  });

  test.each(cases.filter((c) => c.encodes !== false))('encode: $name', ({ bytes, value }) => {
    expect(Buffer.from(encodeAmf0(value)).toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
  });

  test.each(cases)('re-encoding the decoded value decodes the same: $name', ({ bytes }) => {
    const decoded = decodeAmf0(bytes);
    expect(decodeAmf0(encodeAmf0(decoded))).toEqual(decoded);
  });

  test.each(errorCases)('error $code: $name', ({ bytes, code }) => {
    expect(decodeError(bytes).code).toBe(code);
  });

  fcTest.prop([fc.constantFrom(...cases), fc.nat(), fc.integer({ min: 0, max: 255 })])('a mutated case decodes or fails with ProtocolError', (c, at, byte) => {
    const bytes = c.bytes.slice();
    if (bytes.length > 0) bytes[at % bytes.length] = byte;
    try {
      decodeAmf0(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
    }
  });

  fcTest.prop([fc.constantFrom(...cases), fc.nat()])('a truncated case fails with ProtocolError or decodes a prefix', (c, cut) => {
    const bytes = c.bytes.subarray(0, cut % (c.bytes.length + 1));
    try {
      decodeAmf0(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
    }
  });
});

describe('AMF0 decoding details', () => {
  test('ECMA arrays and typed objects keep their marks', () => {
    const [meta] = decodeAmf0(cases.find((c) => c.name === 'ECMA array')!.bytes);
    expect(isEcmaArray(meta)).toBe(true);
    const [typed] = decodeAmf0(cases.find((c) => c.name === 'typed object')!.bytes);
    expect(amfClassName(typed)).toBe('Foo');
    expect(isEcmaArray(typed)).toBe(false);
  });

  test('a reference yields the same object', () => {
    const [arr] = decodeAmf0(cases.find((c) => c.name === 'reference to an earlier object')!.bytes) as [AmfValue[]];
    expect(arr[0]).toBe(arr[1]);
  });

  test('hostile keys are plain data on a null-prototype object', () => {
    const bytes = cat(h('03'), key('__proto__'), cat(h('03'), key('polluted'), h('01 01'), END), key('constructor'), h('05'), END);
    const [obj] = decodeAmf0(bytes) as [Record<string, unknown>];
    expect(Object.getPrototypeOf(obj)).toBeNull();
    expect(Object.keys(obj)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((obj as { polluted?: unknown }).polluted).toBeUndefined();
  });

  test('decoded strings are limited by maxStringBytes', () => {
    expect(() => decodeAmf0(str('hello'), { maxStringBytes: 4 })).toThrow(ProtocolError);
    expect(decodeAmf0(str('hell'), { maxStringBytes: 4 })).toEqual(['hell']);
  });

  test('strict arrays are limited by maxArrayLength', () => {
    const three = h('0a 00000003 05 05 05');
    expect(decodeAmf0(three, { maxArrayLength: 3 })).toEqual([[null, null, null]]);
    expect(() => decodeAmf0(three, { maxArrayLength: 2 })).toThrow(ProtocolError);
  });

  test('the value count is limited by maxValues', () => {
    expect(() => decodeAmf0(h('05 05 05 05'), { maxValues: 3 })).toThrow(ProtocolError);
    expect(decodeAmf0(h('05 05 05'), { maxValues: 3 })).toHaveLength(3);
  });

  test('the default limits are the documented ones', () => {
    expect(DEFAULT_AMF_LIMITS.maxDepth).toBe(32);
  });
});

describe('AMF0 encoding details', () => {
  test('a property name AMF0 cannot carry is rejected', () => {
    expect(() => encodeAmf0([amfObjectOf({ '': 1 })])).toThrow(ProtocolError);
    expect(() => encodeAmf0([amfObjectOf({ ['k'.repeat(70_000)]: 1 })])).toThrow(ProtocolError);
  });

  test('a cycle is rejected, not a stack overflow', () => {
    const obj = amfObjectOf();
    obj.self = obj;
    expect(() => encodeAmf0([obj])).toThrow(ProtocolError);
  });

  test('a plain JS object encodes as an anonymous object', () => {
    expect(encodeAmf0([{ a: null }])).toEqual(cat(h('03'), key('a'), h('05'), END));
  });

  test('the long string switch happens above 65535 UTF-8 bytes', () => {
    expect(encodeAmf0(['x'.repeat(65_535)])[0]).toBe(0x02);
    expect(encodeAmf0(['x'.repeat(65_536)])[0]).toBe(0x0c);
    expect(encodeAmf0(['é'.repeat(32_768)])[0]).toBe(0x0c); // 65536 bytes in 32768 characters
  });
});
