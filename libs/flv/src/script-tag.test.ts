import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import { ProtocolError } from '@headwater/bytes';
import { amfObjectOf, ecmaArray, encodeAmf0, isEcmaArray } from '@headwater/amf';
import { FOURCC_NUMBERS } from './fourcc.js';
import { metadataInfo, parseScriptTag, stripSetDataFrame } from './script-tag.js';

const obsMeta = ecmaArray({
  duration: 0,
  fileSize: 0,
  width: 1920,
  height: 1080,
  videocodecid: FOURCC_NUMBERS.hvc1,
  videodatarate: 6000,
  framerate: 60,
  audiocodecid: 10,
  audiodatarate: 160,
  audiosamplerate: 48000,
  audiosamplesize: 16,
  audiochannels: 2,
  stereo: true,
  '2.1': false,
  encoder: 'obs-output module (libobs version 30.2.0)',
});

describe('parseScriptTag', () => {
  test('strips @setDataFrame and returns onMetaData with its ECMA array', () => {
    const tag = parseScriptTag(encodeAmf0(['@setDataFrame', 'onMetaData', obsMeta]));
    expect(tag.name).toBe('onMetaData');
    expect(isEcmaArray(tag.value)).toBe(true);
    expect(tag.args).toHaveLength(1);
  });

  test('accepts onMetaData stored directly (FLV files) and an object instead of an ECMA array', () => {
    const tag = parseScriptTag(encodeAmf0(['onMetaData', amfObjectOf({ width: 640 })]));
    expect(tag.name).toBe('onMetaData');
    expect(metadataInfo(tag.value)).toEqual({ width: 640 });
  });

  test('keeps every argument (|RtmpSampleAccess)', () => {
    const tag = parseScriptTag(encodeAmf0(['|RtmpSampleAccess', false, false]));
    expect(tag).toEqual({ name: '|RtmpSampleAccess', value: false, args: [false, false] });
  });

  test('a name alone has an undefined value', () => {
    expect(parseScriptTag(encodeAmf0(['onCuePoint']))).toEqual({ name: 'onCuePoint', value: undefined, args: [] });
  });

  test.each([
    ['a number first', encodeAmf0([1, 'onMetaData'])],
    ['only @setDataFrame', encodeAmf0(['@setDataFrame'])],
    ['an empty body', new Uint8Array(0)],
  ])('rejects %s', (_name, body) => {
    expect(() => parseScriptTag(body)).toThrow(expect.objectContaining({ name: 'ProtocolError' }));
  });
});

describe('stripSetDataFrame', () => {
  test('returns a view of the AMF after @setDataFrame', () => {
    const body = encodeAmf0(['@setDataFrame', 'onMetaData', obsMeta]);
    const stripped = stripSetDataFrame(body);
    expect(stripped).toEqual(encodeAmf0(['onMetaData', obsMeta]));
    expect(stripped.buffer).toBe(body.buffer);
  });

  test.each([
    ['no prefix', encodeAmf0(['onMetaData', obsMeta])],
    ['a longer string that starts the same', encodeAmf0(['@setDataFrameX', 'onMetaData'])],
    ['a short body', Uint8Array.of(2, 0)],
  ])('leaves a body with %s untouched', (_name, body) => {
    expect(stripSetDataFrame(body)).toBe(body);
  });
});

describe('metadataInfo', () => {
  test('OBS 30 onMetaData: FourCC videocodecid, legacy audiocodecid', () => {
    expect(metadataInfo(obsMeta)).toEqual({
      width: 1920,
      height: 1080,
      framerate: 60,
      videodatarate: 6000,
      audiodatarate: 160,
      videocodecid: FOURCC_NUMBERS.hvc1,
      videoCodec: 'hvc1',
      audiocodecid: 10,
      audioCodec: 'mp4a',
      audiosamplerate: 48000,
      audiosamplesize: 16,
      audiochannels: 2,
      stereo: true,
      duration: 0,
      filesize: 0,
      encoder: 'obs-output module (libobs version 30.2.0)',
    });
  });

  test.each([
    [7, 'avc1'],
    [12, 'hvc1'],
    [4, 'legacy:4'],
    [FOURCC_NUMBERS.av01, 'av01'],
    [FOURCC_NUMBERS.vvc1, 'vvc1'],
    [1, undefined],
    [0x41414141, undefined],
    [-1, undefined],
    [1.5, undefined],
  ])('videocodecid %d resolves to %s', (id, codec) => {
    expect(metadataInfo(ecmaArray({ videocodecid: id })).videoCodec).toBe(codec);
  });

  test.each([
    [10, 'mp4a'],
    [2, '.mp3'],
    [14, '.mp3'],
    [11, 'legacy:11'],
    [9, undefined],
    [FOURCC_NUMBERS.Opus, 'Opus'],
    [FOURCC_NUMBERS['ec-3'], 'ec-3'],
  ])('audiocodecid %d resolves to %s', (id, codec) => {
    expect(metadataInfo(ecmaArray({ audiocodecid: id })).audioCodec).toBe(codec);
  });

  test('FourCC strings some muxers write', () => {
    expect(metadataInfo(ecmaArray({ videocodecid: 'hvc1', audiocodecid: 'Opus' }))).toEqual({
      videocodecid: 'hvc1',
      videoCodec: 'hvc1',
      audiocodecid: 'Opus',
      audioCodec: 'Opus',
    });
  });

  test('v2 track info maps keyed by track id', () => {
    const value = ecmaArray({
      width: 1920,
      videoTrackIdInfoMap: amfObjectOf({
        '1': amfObjectOf({ width: 1280, height: 720, videodatarate: 3000, videocodecid: FOURCC_NUMBERS.avc1 }),
        '2': amfObjectOf({ width: 640 }),
        nope: amfObjectOf({ width: 1 }),
        '01': amfObjectOf({ width: 1 }),
        '3': 'not an object',
      }),
      audioTrackIdInfoMap: amfObjectOf({ '1': amfObjectOf({ audiodatarate: 96, audiocodecid: FOURCC_NUMBERS.Opus }) }),
    });
    const info = metadataInfo(value);
    expect(info.videoTrackIdInfoMap).toEqual(
      new Map([
        [1, { width: 1280, height: 720, videodatarate: 3000, videocodecid: FOURCC_NUMBERS.avc1, videoCodec: 'avc1' }],
        [2, { width: 640 }],
      ]),
    );
    expect(info.audioTrackIdInfoMap).toEqual(new Map([[1, { audiodatarate: 96, audiocodecid: FOURCC_NUMBERS.Opus, audioCodec: 'Opus' }]]));
  });

  test('mistyped fields are left out; non-objects give {}', () => {
    expect(metadataInfo(ecmaArray({ width: '1920', stereo: 1, encoder: 5 }))).toEqual({});
    expect(metadataInfo('onMetaData')).toEqual({});
    expect(metadataInfo(undefined)).toEqual({});
  });

  test('hostile keys are plain data', () => {
    const hostile = ecmaArray();
    hostile['__proto__'] = amfObjectOf({ width: 1 });
    hostile['constructor'] = 1;
    const map = amfObjectOf();
    map['__proto__'] = amfObjectOf({ width: 1 });
    hostile['videoTrackIdInfoMap'] = map;
    const info = metadataInfo(parseScriptTag(encodeAmf0(['onMetaData', hostile])).value);
    expect(info).toEqual({ videoTrackIdInfoMap: new Map() });
    expect(Object.getPrototypeOf(info)).toBe(Object.prototype);
  });
});

describe('script tag properties', () => {
  const prefixes = fc.constantFrom(
    new Uint8Array(0),
    encodeAmf0(['@setDataFrame']),
    encodeAmf0(['@setDataFrame', 'onMetaData']),
    encodeAmf0(['onMetaData']),
  );
  fcTest.prop([prefixes, fc.uint8Array({ maxLength: 64 })])('hostile bodies give a value or a ProtocolError; metadataInfo never throws', (prefix, rest) => {
    const body = Uint8Array.of(...prefix, ...rest);
    let tag;
    try {
      tag = parseScriptTag(body);
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      return;
    }
    expect(typeof tag.name).toBe('string');
    metadataInfo(tag.value);
  });

  fcTest.prop([fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.oneof(fc.double(), fc.boolean(), fc.string({ maxLength: 8 })), { maxKeys: 8 })])(
    'stripSetDataFrame(@setDataFrame + x) is x',
    (props) => {
      const stored = encodeAmf0(['onMetaData', ecmaArray(props)]);
      expect(stripSetDataFrame(Uint8Array.of(...encodeAmf0(['@setDataFrame']), ...stored))).toEqual(stored);
      expect(parseScriptTag(stored).name).toBe('onMetaData');
    },
  );
});
