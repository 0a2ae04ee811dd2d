import { describe, expect, it } from 'vitest';
import { av1Level, h264Level, hevcLevel } from './codec-levels.js';

/** [width, height, fps, maxrate bps] → expected level, per codec. */
const h264: Array<[number, number, number, number, number | undefined]> = [
  [284, 160, 30, 330_000, 1.2],
  [160, 90, 30, 200_000, 1.1],
  [640, 360, 30, 880_000, 3],
  [854, 480, 30, 1_320_000, 3.1],
  [1280, 720, 30, 3_300_000, 3.1],
  [1280, 720, 60, 4_950_000, 3.2],
  [1920, 1080, 30, 4_950_000, 4],
  [1920, 1080, 30, 30_000_000, 4.1],
  [1920, 1080, 60, 6_600_000, 4.2],
  [3840, 2160, 30, 20_000_000, 5.1],
  [3840, 2160, 60, 40_000_000, 5.2],
  [7680, 4320, 60, 100_000_000, 6.1],
  // MaxFS allows it but a side is wider than sqrt(8 × MaxFS) macroblocks at 3.1: needs 4.
  [3600, 16, 30, 1_000_000, 4],
  [16384, 16384, 30, 1_000_000, undefined],
];

const hevc: Array<[number, number, number, number, number | undefined]> = [
  [640, 360, 30, 880_000, 2.1],
  [1280, 720, 30, 3_300_000, 3.1],
  [1920, 1080, 30, 4_400_000, 4],
  [1920, 1080, 60, 6_600_000, 4.1],
  [3840, 2160, 60, 20_000_000, 5.1],
  [1920, 1080, 30, 15_000_000, 4.1],
];

const av1: Array<[number, number, number, number, number | undefined]> = [
  [640, 360, 30, 880_000, 2.1],
  [1280, 720, 30, 3_300_000, 3.1],
  [1920, 1080, 30, 4_950_000, 4],
  [1920, 1080, 60, 6_600_000, 4.1],
  [3840, 2160, 60, 20_000_000, 5.1],
];

describe('codec levels', () => {
  it.each(h264)('H.264 %ix%i@%i %i b/s → %s', (width, height, frameRate, maxrateBps, level) => {
    expect(h264Level({ width, height, frameRate, maxrateBps })?.level).toBe(level);
  });
  it.each(hevc)('HEVC %ix%i@%i %i b/s → %s', (width, height, frameRate, maxrateBps, level) => {
    const l = hevcLevel({ width, height, frameRate, maxrateBps });
    expect(l?.level).toBe(level);
    if (l) expect(l.idc).toBe(Math.round(l.level * 30));
  });
  it.each(av1)('AV1 %ix%i@%i %i b/s → %s', (width, height, frameRate, maxrateBps, level) => {
    expect(av1Level({ width, height, frameRate, maxrateBps })?.level).toBe(level);
  });
  it('numbers AV1 levels as seq_level_idx', () => {
    expect(av1Level({ width: 640, height: 360, frameRate: 30, maxrateBps: 1e6 })?.idx).toBe(1);
    expect(av1Level({ width: 3840, height: 2160, frameRate: 60, maxrateBps: 20e6 })?.idx).toBe(13);
  });
});
