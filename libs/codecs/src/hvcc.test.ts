import { describe, expect, it } from 'vitest';
import { describeVideoConfig } from './describe.js';
import type { VideoDescription } from './description.js';
import { parseHevcSps } from './hevc-sps.js';
import { HEVC_NAL_TYPE, hvccNalUnits, parseHvcc } from './hvcc.js';
import { buildHevcSps, buildHvcc } from './testing/video-builders.js';
import type { HevcSpsSpec, PtlSpec } from './testing/video-builders.js';

const VPS = Uint8Array.from([0x40, 0x01, 0x0c, 0x01, 0xff, 0xff]);
const PPS = Uint8Array.from([0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40]);

const MAIN: PtlSpec = { profileIdc: 1, compat: 0x60000000, constraints: [0x90], levelIdc: 93 };
const MAIN10: PtlSpec = { profileIdc: 2, compat: 0x20000000, constraints: [0xb0], levelIdc: 153 };

interface Case {
  name: string;
  sps: HevcSpsSpec;
  value: Partial<VideoDescription>;
}

const CASES: Case[] = [
  {
    name: 'Main 1280x720 without VUI',
    sps: { ptl: MAIN, width: 1280, height: 720 },
    value: { codecString: 'hvc1.1.6.L93.90', profile: 'Main', level: 3.1, width: 1280, height: 720, bitDepth: 8, chromaFormat: '4:2:0' },
  },
  {
    name: 'Main 10 HDR10 3840x2160 with conformance window, scaling lists, PCM, 3 sub-layers, 59.94 fps',
    sps: {
      ptl: { ...MAIN10, tier: true },
      maxSubLayersMinus1: 2,
      subLayers: [
        [true, true],
        [false, true],
      ],
      width: 3840,
      height: 2176,
      conformance: [0, 0, 0, 8],
      bitDepthLuma: 10,
      bitDepthChroma: 10,
      scalingListData: true,
      pcm: true,
      vui: { sarIdc: 1, signal: { fullRange: false, colour: { primaries: 9, transfer: 16, matrix: 9 } }, chromaLoc: true, timing: { numUnitsInTick: 1001, timeScale: 60000 } },
    },
    value: {
      codecString: 'hvc1.2.4.H153.B0',
      profile: 'Main 10',
      level: 5.1,
      width: 3840,
      height: 2160,
      bitDepth: 10,
      frameRate: 60000 / 1001,
      colour: { primaries: 9, transfer: 16, matrix: 9, fullRange: false },
      hdr: 'pq',
    },
  },
  {
    name: 'short-term RPS sets with inter prediction, long-term refs, HLG, sub-layer ordering for the top layer only',
    sps: {
      ptl: MAIN,
      maxSubLayersMinus1: 1,
      subLayers: [[true, false]],
      subLayerOrderingInfo: false,
      width: 1920,
      height: 1080,
      stRps: [
        { negative: [-1, -2, -4], positive: [2] },
        { predict: { deltaRps: -1, flags: [[true, false], [true, false], [false, true], [true, false], [true, false]] } },
        { predict: { deltaRps: 2, flags: [[false, false], [true, false], [false, true], [true, false], [false, false], [true, false]] } },
        { negative: [], positive: [1, 3] },
      ],
      longTerm: 2,
      vui: { signal: { fullRange: true, colour: { primaries: 9, transfer: 18, matrix: 9 } }, defaultDisplayWindow: true, timing: { numUnitsInTick: 1, timeScale: 50 } },
    },
    value: { width: 1920, height: 1080, frameRate: 50, colour: { primaries: 9, transfer: 18, matrix: 9, fullRange: true }, hdr: 'hlg' },
  },
  {
    name: '4:2:2 10-bit range extensions with field_seq timing (fields -> frames)',
    sps: {
      ptl: { profileIdc: 4, compat: 0x08000000, constraints: [0x9d, 0x08], levelIdc: 120 },
      chromaFormatIdc: 2,
      bitDepthLuma: 10,
      bitDepthChroma: 10,
      width: 1920,
      height: 544,
      conformance: [1, 1, 2, 2],
      vui: { fieldSeq: true, timing: { numUnitsInTick: 1, timeScale: 60 } },
    },
    value: { codecString: 'hvc1.4.10.L120.9D.8', profile: 'Range Extensions', width: 1916, height: 540, frameRate: 30, chromaFormat: '4:2:2' },
  },
  {
    name: 'profile space 1 and 4:4:4 with separate colour planes',
    sps: {
      ptl: { profileSpace: 1, profileIdc: 4, compat: 0x08000000, constraints: [0, 0, 0, 0, 0, 0], levelIdc: 90 },
      chromaFormatIdc: 3,
      separateColourPlane: true,
      width: 640,
      height: 480,
      conformance: [2, 2, 2, 2],
    },
    value: { codecString: 'hvc1.A4.10.L90.0', width: 636, height: 476, chromaFormat: '4:4:4' },
  },
];

describe('parseHvcc / parseHevcSps / describeVideoConfig(hvc1)', () => {
  it.each(CASES)('$name', ({ sps, value }) => {
    const nal = buildHevcSps(sps);
    const parsed = parseHevcSps(nal);
    expect(parsed.profileTierLevel.profileIdc).toBe(sps.ptl.profileIdc);
    expect(parsed.maxSubLayersMinus1).toBe(sps.maxSubLayersMinus1 ?? 0);
    const config = buildHvcc({
      ptl: sps.ptl,
      chromaFormat: sps.chromaFormatIdc ?? 1,
      bitDepthLuma: sps.bitDepthLuma ?? 8,
      bitDepthChroma: sps.bitDepthChroma ?? 8,
      arrays: [
        { type: HEVC_NAL_TYPE.VPS, nalus: [VPS] },
        { type: HEVC_NAL_TYPE.SPS, nalus: [nal] },
        { type: HEVC_NAL_TYPE.PPS, nalus: [PPS] },
      ],
    });
    const record = parseHvcc(config);
    expect(hvccNalUnits(record, HEVC_NAL_TYPE.SPS)).toEqual([nal]);
    expect(describeVideoConfig('hvc1', config)).toMatchObject({ codec: 'hvc1', lengthSizeMinusOne: 3, ...value });
  });

  it('reads every hvcC field', () => {
    const config = buildHvcc({
      ptl: { ...MAIN10, tier: true, profileSpace: 2 },
      chromaFormat: 1,
      bitDepthLuma: 10,
      bitDepthChroma: 10,
      avgFrameRate: 30 * 256,
      numTemporalLayers: 3,
      lengthSizeMinusOne: 1,
      arrays: [
        { type: HEVC_NAL_TYPE.VPS, nalus: [VPS], complete: false },
        { type: HEVC_NAL_TYPE.PREFIX_SEI, nalus: [Uint8Array.from([0x4e, 0x01, 5]), Uint8Array.from([0x4e, 0x01, 6])] },
      ],
    });
    const r = parseHvcc(config);
    expect(r).toMatchObject({
      configurationVersion: 1,
      profileSpace: 2,
      tierFlag: true,
      profileIdc: 2,
      profileCompatibilityFlags: 0x20000000,
      levelIdc: 153,
      chromaFormat: 1,
      bitDepthLuma: 10,
      bitDepthChroma: 10,
      avgFrameRate: 7680,
      numTemporalLayers: 3,
      temporalIdNested: true,
      lengthSizeMinusOne: 1,
    });
    expect(Array.from(r.constraintIndicatorFlags)).toEqual([0xb0, 0, 0, 0, 0, 0]);
    expect(r.arrays.map((a) => [a.nalUnitType, a.arrayCompleteness, a.nalUnits.length])).toEqual([
      [32, false, 1],
      [39, true, 2],
    ]);
    // No SPS: the record alone describes the stream.
    expect(describeVideoConfig('hvc1', config)).toEqual({
      codec: 'hvc1',
      codecString: 'hvc1.B2.4.H153.B0',
      profile: 'Main 10',
      level: 5.1,
      frameRate: 30,
      bitDepth: 10,
      chromaFormat: '4:2:0',
      lengthSizeMinusOne: 1,
    });
  });

  it('falls back to hvcC avgFrameRate when the SPS has no timing', () => {
    const sps = buildHevcSps({ ptl: MAIN, width: 640, height: 360 });
    const config = buildHvcc({ ptl: MAIN, avgFrameRate: 25 * 256, arrays: [{ type: 33, nalus: [sps] }] });
    expect(describeVideoConfig('hvc1', config).frameRate).toBe(25);
  });

  it('describes the base layer when an enhancement-layer SPS comes first', () => {
    const layer1 = buildHevcSps({ ptl: MAIN, width: 1920, height: 1080, layerId: 1 });
    const base = buildHevcSps({ ptl: MAIN, width: 960, height: 540 });
    expect(() => parseHevcSps(layer1)).toThrow(expect.objectContaining({ code: 'bad-hevc-sps' }));
    const config = buildHvcc({ ptl: MAIN, arrays: [{ type: 33, nalus: [layer1, base] }] });
    expect(describeVideoConfig('hvc1', config)).toMatchObject({ width: 960, height: 540 });
  });

  it.each([
    ['configurationVersion 2', Uint8Array.from([2, ...new Array<number>(22).fill(0)]), 'bad-hvcc'],
    ['a truncated header', Uint8Array.from([1, 1, 0x60, 0, 0, 0]), 'truncated'],
    ['33 arrays', Uint8Array.from([1, ...new Array<number>(21).fill(0), 33]), 'limit-exceeded'],
    ['a NAL unit past the end', Uint8Array.from([1, ...new Array<number>(21).fill(0), 1, 33, 0, 1, 0, 9, 0x42]), 'truncated'],
  ])('rejects an hvcC with %s', (_name, bytes, code) => {
    expect(() => parseHvcc(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });

  it.each([
    ['a PPS', PPS, 'bad-hevc-sps'],
    ['65 short-term RPS', buildHevcSps({ ptl: MAIN, width: 64, height: 64, stRps: new Array(65).fill({ negative: [-1], positive: [] }) }), 'limit-exceeded'],
    ['an RPS with 17 pictures', buildHevcSps({ ptl: MAIN, width: 64, height: 64, stRps: [{ negative: Array.from({ length: 17 }, (_, i) => -1 - i), positive: [] }] }), 'limit-exceeded'],
    ['a conformance window past the picture', buildHevcSps({ ptl: MAIN, width: 64, height: 64, conformance: [16, 16, 0, 0] }), 'bad-hevc-sps'],
    ['a 20000-pixel-wide picture', buildHevcSps({ ptl: MAIN, width: 20000, height: 64 }), 'limit-exceeded'],
  ])('rejects an SPS with %s', (_name, nal, code) => {
    expect(() => parseHevcSps(nal)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });
});
