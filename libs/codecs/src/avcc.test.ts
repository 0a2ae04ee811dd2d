import { describe, expect, it } from 'vitest';
import { ProtocolError } from '@headwater/bytes';
import { parseAvcc } from './avcc.js';
import { describeVideoConfig } from './describe.js';
import type { VideoDescription } from './description.js';
import { parseH264Sps } from './h264-sps.js';
import { concat } from './testing/bit-writer.js';
import { buildAvcc, buildH264Sps } from './testing/video-builders.js';
import type { H264SpsSpec } from './testing/video-builders.js';

const PPS = Uint8Array.from([0x68, 0xee, 0x3c, 0x80]);

interface Case {
  name: string;
  sps: H264SpsSpec;
  ext?: boolean;
  value: Partial<VideoDescription>;
}

/** One table feeds SPS parsing, avcC parsing and describe (and the property seeds). */
const H264_CASES: Case[] = [
  {
    name: 'Constrained Baseline 1280x720, no VUI',
    sps: { profileIdc: 66, constraintFlags: 0xc0, levelIdc: 31, widthMbs: 80, heightMapUnits: 45 },
    value: { codecString: 'avc1.42c01f', profile: 'Constrained Baseline', level: 3.1, width: 1280, height: 720, bitDepth: 8, chromaFormat: '4:2:0' },
  },
  {
    name: 'Main 1920x1080 cropped from 1088, 29.97 fps, BT.709 limited range',
    sps: {
      profileIdc: 77,
      levelIdc: 40,
      widthMbs: 120,
      heightMapUnits: 68,
      crop: [0, 0, 0, 4],
      vui: { sarIdc: 1, signal: { fullRange: false, colour: { primaries: 1, transfer: 1, matrix: 1 } }, timing: { numUnitsInTick: 1001, timeScale: 60000 } },
    },
    value: {
      codecString: 'avc1.4d0028',
      profile: 'Main',
      level: 4,
      width: 1920,
      height: 1080,
      frameRate: 60000 / 2002,
      colour: { primaries: 1, transfer: 1, matrix: 1, fullRange: false },
    },
  },
  {
    name: 'High 10 4:2:2 with scaling matrices, PQ full range (HDR)',
    sps: {
      profileIdc: 122,
      levelIdc: 51,
      chromaFormatIdc: 2,
      bitDepthLuma: 10,
      bitDepthChroma: 10,
      scalingLists: true,
      widthMbs: 240,
      heightMapUnits: 135,
      vui: { sar: [4, 3], signal: { fullRange: true, colour: { primaries: 9, transfer: 16, matrix: 9 } }, chromaLoc: true, timing: { numUnitsInTick: 1, timeScale: 120 } },
    },
    ext: true,
    value: {
      codecString: 'avc1.7a0033',
      profile: 'High 4:2:2',
      width: 3840,
      height: 2160,
      frameRate: 60,
      bitDepth: 10,
      chromaFormat: '4:2:2',
      colour: { primaries: 9, transfer: 16, matrix: 9, fullRange: true },
      hdr: 'pq',
    },
  },
  {
    name: 'High 4:4:4 with 12 scaling lists, odd crop in luma units',
    sps: { profileIdc: 244, levelIdc: 42, chromaFormatIdc: 3, scalingLists: true, widthMbs: 40, heightMapUnits: 30, crop: [1, 1, 3, 0] },
    value: { codecString: 'avc1.f4002a', profile: 'High 4:4:4 Predictive', width: 638, height: 477, chromaFormat: '4:4:4' },
  },
  {
    name: 'interlaced 1080i (frame_mbs_only 0, POC type 1 with a cycle), video signal without colour description',
    sps: {
      profileIdc: 100,
      levelIdc: 40,
      pocType: 1,
      pocCycle: [2, -3, 5],
      widthMbs: 120,
      heightMapUnits: 34,
      frameMbsOnly: false,
      crop: [0, 0, 0, 2],
      vui: { signal: { fullRange: false }, timing: { numUnitsInTick: 1, timeScale: 50 } },
    },
    value: { codecString: 'avc1.640028', width: 1920, height: 1080, frameRate: 25, colour: { primaries: 2, transfer: 2, matrix: 2, fullRange: false } },
  },
  {
    name: 'monochrome High (chroma_format_idc 0) with POC type 2',
    sps: { profileIdc: 100, levelIdc: 30, chromaFormatIdc: 0, pocType: 2, widthMbs: 20, heightMapUnits: 15, crop: [2, 2, 2, 2] },
    value: { width: 316, height: 236, chromaFormat: '4:0:0' },
  },
];

describe('parseH264Sps / parseAvcc / describeVideoConfig(avc1)', () => {
  it.each(H264_CASES)('$name', ({ sps, ext, value }) => {
    const nal = buildH264Sps(sps);
    const parsed = parseH264Sps(nal);
    expect(parsed.profileIdc).toBe(sps.profileIdc);
    expect(parsed.levelIdc).toBe(sps.levelIdc);
    const config = buildAvcc({
      profile: sps.profileIdc,
      compat: sps.constraintFlags ?? 0,
      level: sps.levelIdc,
      sps: [nal],
      pps: [PPS],
      ...(ext ? { ext: { chromaFormat: sps.chromaFormatIdc ?? 1, bitDepthLuma: sps.bitDepthLuma ?? 8, bitDepthChroma: sps.bitDepthChroma ?? 8 } } : {}),
    });
    const record = parseAvcc(config);
    expect(record.sps[0]).toEqual(nal);
    expect(record.pps[0]).toEqual(PPS);
    expect(record.highProfile !== undefined).toBe(ext === true);
    expect(describeVideoConfig('avc1', config)).toMatchObject({ codec: 'avc1', lengthSizeMinusOne: 3, ...value });
  });

  it('reads through emulation prevention bytes', () => {
    // 0 crops and a huge time_scale put 00 00 0x runs into the RBSP.
    const nal = buildH264Sps({ profileIdc: 66, levelIdc: 30, widthMbs: 1, heightMapUnits: 1, vui: { timing: { numUnitsInTick: 1, timeScale: 0x00000100 } } });
    expect(Array.from(nal).join(',')).toMatch(/(^|,)0,0,3(,|$)/);
    expect(parseH264Sps(nal)).toMatchObject({ width: 16, height: 16, frameRate: 128 });
  });

  it('keeps the avcC high-profile extension and 1-byte length size', () => {
    const sps = buildH264Sps({ profileIdc: 100, levelIdc: 31, widthMbs: 80, heightMapUnits: 45 });
    const config = buildAvcc({
      profile: 100,
      compat: 0,
      level: 31,
      lengthSizeMinusOne: 0,
      sps: [sps],
      pps: [PPS, PPS],
      ext: { chromaFormat: 1, bitDepthLuma: 8, bitDepthChroma: 8, spsExt: [Uint8Array.from([0x6d, 1])] },
    });
    const record = parseAvcc(config);
    expect(record.lengthSizeMinusOne).toBe(0);
    expect(record.pps).toHaveLength(2);
    expect(record.highProfile).toEqual({ chromaFormat: 1, bitDepthLuma: 8, bitDepthChroma: 8, spsExt: [Uint8Array.from([0x6d, 1])] });
  });

  it('describes a record without SPS from its header bytes', () => {
    const config = buildAvcc({ profile: 77, compat: 0x40, level: 31, sps: [], pps: [] });
    expect(describeVideoConfig('avc1', config)).toEqual({
      codec: 'avc1',
      codecString: 'avc1.4d401f',
      profile: 'Main',
      level: 3.1,
      lengthSizeMinusOne: 3,
    });
  });

  it.each([
    ['configurationVersion 0', Uint8Array.from([0, 0x64, 0, 0x1f, 0xff, 0xe0, 0]), 'bad-avcc'],
    ['truncated header', Uint8Array.from([1, 0x64, 0]), 'truncated'],
    ['SPS length past the end', Uint8Array.from([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0x00, 0x20, 0x67]), 'truncated'],
    ['255 PPS', concat([1, 0x64, 0, 0x1f, 0xff, 0xe0, 0xff], new Uint8Array(16)), 'limit-exceeded'],
  ])('rejects %s', (_name, bytes, code) => {
    expect(() => parseAvcc(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });

  it.each([
    ['a PPS', Uint8Array.from([0x68, 0xee, 0x3c, 0x80]), 'bad-h264-sps'],
    ['a cycle of 256 POC offsets', buildH264Sps({ profileIdc: 66, levelIdc: 30, pocType: 1, pocCycle: new Array<number>(256).fill(1), widthMbs: 1, heightMapUnits: 1 }), 'limit-exceeded'],
    ['a 20000-pixel-wide picture', buildH264Sps({ profileIdc: 66, levelIdc: 30, widthMbs: 1250, heightMapUnits: 1 }), 'limit-exceeded'],
    ['cropping past the picture', buildH264Sps({ profileIdc: 66, levelIdc: 30, widthMbs: 1, heightMapUnits: 1, crop: [4, 4, 0, 0] }), 'bad-h264-sps'],
    ['a cut-off SPS', buildH264Sps({ profileIdc: 100, levelIdc: 30, widthMbs: 10, heightMapUnits: 10 }).subarray(0, 6), 'truncated'],
  ])('rejects an SPS that is %s', (_name, nal, code) => {
    expect(() => parseH264Sps(nal)).toThrow(ProtocolError);
    expect(() => parseH264Sps(nal)).toThrow(expect.objectContaining({ code }));
  });
});
