import { describe, expect, it } from 'vitest';
import type { Av1CodecConfigurationRecord } from './av1c.js';
import { aacCodecString, av1CodecString, avcCodecString, hevcCodecString, vpCodecString } from './codec-string.js';
import type { HevcProfileTierLevel } from './hevc-sps.js';
import type { VpCodecConfigurationRecord } from './vpcc.js';

const ptl = (p: Partial<HevcProfileTierLevel> & { constraints?: number[] }): HevcProfileTierLevel => ({
  profileSpace: p.profileSpace ?? 0,
  tierFlag: p.tierFlag ?? false,
  profileIdc: p.profileIdc ?? 1,
  profileCompatibilityFlags: p.profileCompatibilityFlags ?? 0x60000000,
  constraintIndicatorFlags: Uint8Array.from(p.constraints ?? [0x90, 0, 0, 0, 0, 0]),
  levelIdc: p.levelIdc ?? 93,
});

const av1 = (p: Partial<Av1CodecConfigurationRecord>): Av1CodecConfigurationRecord => ({
  version: 1,
  seqProfile: 0,
  seqLevelIdx0: 4,
  seqTier0: 0,
  highBitdepth: false,
  twelveBit: false,
  monochrome: false,
  chromaSubsamplingX: true,
  chromaSubsamplingY: true,
  chromaSamplePosition: 0,
  configObus: new Uint8Array(0),
  ...p,
});

const vp = (p: Partial<VpCodecConfigurationRecord>): VpCodecConfigurationRecord => ({
  form: 'flv',
  profile: 0,
  level: 31,
  bitDepth: 8,
  chromaSubsampling: 1,
  videoFullRangeFlag: false,
  colourPrimaries: 2,
  transferCharacteristics: 2,
  matrixCoefficients: 2,
  codecInitializationData: new Uint8Array(0),
  ...p,
});

describe('codec strings', () => {
  it.each([
    [100, 0, 31, 'avc1.64001f'],
    [66, 0xe0, 10, 'avc1.42e00a'],
    [77, 0x40, 40, 'avc1.4d4028'],
  ])('avc1 %i/%i/%i -> %s', (p, c, l, s) => {
    expect(avcCodecString(p, c, l)).toBe(s);
  });

  it.each([
    ['Main L3.1 (14496-15 example)', ptl({ constraints: [0xb0, 0, 0, 0, 0, 0] }), 'hvc1.1.6.L93.B0'],
    ['Main 10 high tier', ptl({ profileIdc: 2, profileCompatibilityFlags: 0x20000000, tierFlag: true, levelIdc: 120, constraints: [0x90, 0, 0, 0, 0, 0] }), 'hvc1.2.4.H120.90'],
    ['profile space 1, compat 0x41 reversed, 2 constraint bytes (14496-15 example)', ptl({ profileSpace: 1, profileIdc: 4, profileCompatibilityFlags: 0x82000000, tierFlag: true, levelIdc: 120, constraints: [0xb0, 0x23, 0, 0, 0, 0] }), 'hvc1.A4.41.H120.B0.23'],
    ['all-zero constraints keep one byte', ptl({ constraints: [0, 0, 0, 0, 0, 0] }), 'hvc1.1.6.L93.0'],
    ['a non-zero last byte keeps the zeros before it', ptl({ constraints: [0x90, 0, 0, 0, 0, 1] }), 'hvc1.1.6.L93.90.0.0.0.0.1'],
    ['all compatibility flags', ptl({ profileCompatibilityFlags: 0xffffffff }), 'hvc1.1.FFFFFFFF.L93.90'],
  ])('hvc1: %s', (_name, p, s) => {
    expect(hevcCodecString(p)).toBe(s);
  });

  it('hev1 uses the same layout', () => {
    expect(hevcCodecString(ptl({}), 'hev1')).toBe('hev1.1.6.L93.90');
  });

  it.each([
    ['Main 3.0 8-bit', av1({}), 'av01.0.04M.08'],
    ['High tier 10-bit', av1({ seqLevelIdx0: 13, seqTier0: 1, highBitdepth: true }), 'av01.0.13H.10'],
    ['monochrome needs the long form', av1({ monochrome: true }), 'av01.0.04M.08.1.110.01.01.01.0'],
    ['chroma sample position 1 needs the long form', av1({ chromaSamplePosition: 1 }), 'av01.0.04M.08.0.111.01.01.01.0'],
  ])('av01: %s', (_name, r, s) => {
    expect(av1CodecString(r)).toBe(s);
  });

  it.each([
    ['FFmpeg default (unspecified colour)', vp({}), 'vp09.00.31.08'],
    ['BT.709 limited, 4:2:0 colocated = defaults', vp({ colourPrimaries: 1, transferCharacteristics: 1, matrixCoefficients: 1 }), 'vp09.00.31.08'],
    ['HDR10 (VP9 binding example)', vp({ profile: 2, level: 10, bitDepth: 10, colourPrimaries: 9, transferCharacteristics: 16, matrixCoefficients: 9, chromaSubsampling: 1, videoFullRangeFlag: true }), 'vp09.02.10.10.01.09.16.09.01'],
    ['4:2:0 vertical', vp({ chromaSubsampling: 0 }), 'vp09.00.31.08.00.02.02.02.00'],
  ])('vp09: %s', (_name, r, s) => {
    expect(vpCodecString('vp09', r)).toBe(s);
  });

  it('mp4a.40.<aot>', () => {
    expect(aacCodecString(2)).toBe('mp4a.40.2');
    expect(aacCodecString(29)).toBe('mp4a.40.29');
  });
});
