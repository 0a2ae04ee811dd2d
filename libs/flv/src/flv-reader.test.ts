import { describe, expect, test } from 'vitest';
import { decodeAmf0, ecmaArray, isEcmaArray } from '@headwater/amf';
import { FlvReader, MAX_TAG_BYTES } from './flv-reader.js';
import { buildFlvHeader, parseFlvHeader } from './flv-header.js';
import { flvHeader, flvTag, onMetaDataTag } from './flv-writer.js';

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const file = concat([
  flvHeader({ audio: true, video: true }),
  ...onMetaDataTag({ width: 640, height: 360 }),
  ...flvTag(9, 0, Uint8Array.of(0x17, 0x00, 0, 0, 0, 1, 2)),
  ...flvTag(8, 0x12345678, Uint8Array.of(0xaf, 0x01, 0x21)),
  ...flvTag(8, 40, new Uint8Array(0)),
]);

describe('flv header', () => {
  test('build and parse', () => {
    expect(buildFlvHeader({ audio: true, video: true })).toEqual(Uint8Array.of(0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9));
    expect(buildFlvHeader({ audio: false, video: true })[4]).toBe(0x01);
    expect(buildFlvHeader({ audio: true, video: false })[4]).toBe(0x04);
    expect(parseFlvHeader(buildFlvHeader({ audio: true, video: false }))).toEqual({ version: 1, audio: true, video: false, dataOffset: 9 });
    expect(flvHeader({ audio: true, video: true })).toEqual(Uint8Array.of(0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0));
  });

  test.each([
    ['a wrong signature', Uint8Array.of(0x46, 0x4c, 0x57, 1, 5, 0, 0, 0, 9), 'flv-bad-signature'],
    ['version 2', Uint8Array.of(0x46, 0x4c, 0x56, 2, 5, 0, 0, 0, 9), 'flv-bad-version'],
    ['a DataOffset inside the header', Uint8Array.of(0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 8), 'flv-bad-header'],
    ['8 bytes', Uint8Array.of(0x46, 0x4c, 0x56, 1, 5, 0, 0, 0), 'truncated'],
  ])('rejects %s', (_name, bytes, code) => {
    expect(() => parseFlvHeader(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });
});

describe('flvTag', () => {
  test('header, body view and PreviousTagSize', () => {
    const body = Uint8Array.of(1, 2, 3);
    const [head, view, size] = flvTag(9, 0x01020304, body);
    // TagType, DataSize UI24, Timestamp low 24 bits, TimestampExtended = high byte, StreamID 0.
    expect(head).toEqual(Uint8Array.of(9, 0, 0, 3, 0x02, 0x03, 0x04, 0x01, 0, 0, 0));
    expect(view).toBe(body);
    expect(size).toEqual(Uint8Array.of(0, 0, 0, 14));
  });

  test.each([-1, 2 ** 32, 1.5, Number.NaN])('rejects timestamp %d', (ts) => {
    expect(() => flvTag(8, ts, new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'bad-argument' }));
  });

  test('onMetaDataTag stores onMetaData + ECMA array without @setDataFrame', () => {
    const [, body] = onMetaDataTag({ duration: 10 });
    const values = decodeAmf0(body!);
    expect(values[0]).toBe('onMetaData');
    expect(isEcmaArray(values[1])).toBe(true);
    expect(values[1]).toEqual(ecmaArray({ duration: 10 }));
  });
});

describe('FlvReader', () => {
  test('reads the header and every tag with offsets and extended timestamps', () => {
    const reader = new FlvReader();
    const tags = reader.push(file);
    reader.end();
    expect(reader.header).toEqual({ version: 1, audio: true, video: true, dataOffset: 9 });
    expect(tags.map((t) => [t.type, t.timestampMs, t.body.length, t.offset, t.streamId])).toEqual([
      [18, 0, tags[0]!.body.length, 13, 0],
      [9, 0, 7, 13 + 15 + tags[0]!.body.length, 0],
      [8, 0x12345678, 3, 13 + 15 + tags[0]!.body.length + 22, 0],
      [8, 40, 0, 13 + 15 + tags[0]!.body.length + 22 + 18, 0],
    ]);
  });

  test('bodies are copies that survive reuse of the pushed buffer', () => {
    const input = file.slice();
    const reader = new FlvReader();
    const tags = reader.push(input);
    input.fill(0);
    expect(tags[1]!.body).toEqual(Uint8Array.of(0x17, 0x00, 0, 0, 0, 1, 2));
  });

  test('byte-by-byte pushes give the same tags', () => {
    const whole = new FlvReader().push(file);
    const reader = new FlvReader();
    const tags = Array.from(file).flatMap((b) => reader.push(Uint8Array.of(b)));
    reader.end();
    expect(tags).toEqual(whole);
  });

  test('skips header bytes past the 9 when DataOffset says so', () => {
    const header = Uint8Array.of(0x46, 0x4c, 0x56, 1, 1, 0, 0, 0, 12, 0xaa, 0xbb, 0xcc, 0, 0, 0, 0);
    const reader = new FlvReader();
    const tags = reader.push(concat([header, ...flvTag(9, 5, Uint8Array.of(0x27, 1, 0, 0, 0))]));
    expect(tags).toEqual([{ type: 9, timestampMs: 5, streamId: 0, body: Uint8Array.of(0x27, 1, 0, 0, 0), offset: 16 }]);
  });

  test('a tag is held back until its PreviousTagSize arrives', () => {
    const reader = new FlvReader();
    expect(reader.push(file.subarray(0, file.length - 1))).toHaveLength(3);
    expect(reader.push(file.subarray(file.length - 1))).toHaveLength(1);
  });

  test.each([
    ['an empty file', 0],
    ['a partial header', 5],
    ['a missing PreviousTagSize0', 11],
    ['a partial tag header', 13 + 4],
    ['a partial body', file.length - 6],
    ['a missing final PreviousTagSize', file.length - 4],
  ])('end() throws on %s', (_name, cut) => {
    const reader = new FlvReader();
    reader.push(file.subarray(0, cut));
    expect(() => reader.end()).toThrow(expect.objectContaining({ name: 'ProtocolError', code: 'flv-truncated' }));
  });

  test('a wrong PreviousTagSize is rejected', () => {
    const bad = file.slice();
    bad[bad.length - 1] = 99;
    expect(() => new FlvReader().push(bad)).toThrow(expect.objectContaining({ code: 'flv-bad-previous-tag-size' }));
  });

  test('a non-zero PreviousTagSize0 is rejected', () => {
    const bad = file.slice();
    bad[12] = 1;
    expect(() => new FlvReader().push(bad)).toThrow(expect.objectContaining({ code: 'flv-bad-previous-tag-size' }));
  });

  test.each([
    ['an unknown TagType', 7, 'flv-unknown-tag-type'],
    ['an encrypted tag (Filter bit)', 0x29, 'flv-encrypted-tag'],
    ['reserved bits set', 0x48, 'flv-unknown-tag-type'],
  ])('rejects %s', (_name, typeByte, code) => {
    const bad = file.slice();
    bad[13] = typeByte;
    expect(() => new FlvReader().push(bad)).toThrow(expect.objectContaining({ code }));
  });

  test('DataSize is checked against the limit before the body is buffered', () => {
    const header = Uint8Array.of(0x46, 0x4c, 0x56, 1, 1, 0, 0, 0, 9, 0, 0, 0, 0);
    const bigTag = Uint8Array.of(9, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0);
    expect(() => new FlvReader().push(concat([header, bigTag]))).toThrow(expect.objectContaining({ code: 'limit-exceeded' }));
    const small = Uint8Array.of(9, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0);
    expect(() => new FlvReader({ maxTagBytes: 99 }).push(concat([header, small]))).toThrow(expect.objectContaining({ code: 'limit-exceeded' }));
    expect(new FlvReader({ maxTagBytes: 100 }).push(concat([header, small]))).toEqual([]);
    expect(MAX_TAG_BYTES).toBeLessThan(0xffffff);
  });

  test('after an error every call throws the same error', () => {
    const reader = new FlvReader();
    expect(() => reader.push(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0))).toThrow(expect.objectContaining({ code: 'flv-bad-signature' }));
    expect(() => reader.push(file)).toThrow(expect.objectContaining({ code: 'flv-bad-signature' }));
    expect(() => reader.end()).toThrow(expect.objectContaining({ code: 'flv-bad-signature' }));
  });
});
