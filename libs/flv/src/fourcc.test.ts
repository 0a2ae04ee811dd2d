import { describe, expect, test } from 'vitest';
import {
  AUDIO_FOURCCS,
  FOURCC_NUMBERS,
  VIDEO_FOURCCS,
  audioCodecFromMetadataId,
  audioCodecFromSoundFormat,
  fourCcToNumber,
  legacyIdFromVideoCodec,
  numberToFourCc,
  videoCodecFromLegacyId,
  videoCodecFromMetadataId,
} from './fourcc.js';
import type { VideoCodec } from './fourcc.js';

describe('FourCC numbers (reference §8.6)', () => {
  test.each([...VIDEO_FOURCCS, ...AUDIO_FOURCCS])('%s', (fourcc) => {
    expect(fourCcToNumber(fourcc)).toBe(FOURCC_NUMBERS[fourcc]);
    expect(numberToFourCc(FOURCC_NUMBERS[fourcc])).toBe(fourcc);
  });

  test('hvc1 is 0x68766331', () => {
    expect(FOURCC_NUMBERS.hvc1).toBe(0x68766331);
    expect(videoCodecFromMetadataId(0x68766331)).toBe('hvc1');
    expect(audioCodecFromMetadataId(FOURCC_NUMBERS['.mp3'])).toBe('.mp3');
    expect(audioCodecFromMetadataId(FOURCC_NUMBERS.hvc1)).toBeUndefined();
  });

  test('rejects a string that is not 4 characters', () => {
    expect(() => fourCcToNumber('abc')).toThrow(expect.objectContaining({ code: 'bad-argument' }));
  });
});

describe('legacy ids (reference §6)', () => {
  test.each<[number, VideoCodec | undefined]>([
    [7, 'avc1'],
    [12, 'hvc1'],
    [2, 'legacy:2'],
    [3, 'legacy:3'],
    [4, 'legacy:4'],
    [5, 'legacy:5'],
    [6, 'legacy:6'],
    [0, undefined],
    [1, undefined],
    [8, undefined],
    [13, undefined],
    [15, undefined],
  ])('video CodecID %d -> %s', (id, codec) => {
    expect(videoCodecFromLegacyId(id)).toBe(codec);
    if (codec !== undefined) expect(legacyIdFromVideoCodec(codec)).toBe(id);
  });

  test('FourCC-only video codecs have no legacy id', () => {
    expect(['av01', 'vp09', 'vp08', 'vvc1'].map((c) => legacyIdFromVideoCodec(c as 'av01'))).toEqual([undefined, undefined, undefined, undefined]);
  });

  test.each([
    [10, 'mp4a'],
    [2, '.mp3'],
    [14, '.mp3'],
    [0, 'legacy:0'],
    [7, 'legacy:7'],
    [8, 'legacy:8'],
    [11, 'legacy:11'],
    [15, 'legacy:15'],
    [9, undefined],
    [16, undefined],
  ])('SoundFormat %d -> %s', (format, codec) => {
    expect(audioCodecFromSoundFormat(format)).toBe(codec);
  });
});
