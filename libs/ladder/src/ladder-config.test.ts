import { describe, expect, it } from 'vitest';
import { DEFAULT_LADDER_CONFIG, LadderConfigError, resolveLadderConfig } from './ladder-config.js';
import type { LadderConfig } from './ladder-config.js';
import { planLadder } from './ladder-planner.js';

/** Bad configs: the field the error names and what its message says. */
const bad: Array<[name: string, config: unknown, field: string, message: RegExp]> = [
  ['unknown key (typo)', { segmentDuration: 2000 }, 'segmentDuration', /not a ladder setting/],
  ['unknown rung key', { rungs: [{ height: 720, bitrate: 1 }] }, 'rungs[0].bitrate', /not a ladder setting/],
  ['unknown preset key', { presets: { vp9: 'fast' } }, 'presets.vp9', /not a ladder setting/],
  ['not an object', 'fast', '(root)', /must be an object/],
  ['rungs not an array', { rungs: { height: 720 } }, 'rungs', /must be an array/],
  ['no rungs', { rungs: [] }, 'rungs', /at least one rung/],
  ['too many rungs', { rungs: Array.from({ length: 17 }, (_, i) => ({ height: 100 + 2 * i, bitrateBps: 100_000 + i })) }, 'rungs', /at most 16/],
  ['rung not an object', { rungs: [720] }, 'rungs[0]', /must be an object/],
  ['odd height', { rungs: [{ height: 721, bitrateBps: 3_000_000 }] }, 'rungs[0].height', /must be even/],
  ['fractional height', { rungs: [{ height: 720.5, bitrateBps: 3_000_000 }] }, 'rungs[0].height', /integer/],
  ['tiny height', { rungs: [{ height: 8, bitrateBps: 3_000_000 }] }, 'rungs[0].height', /from 16 to 4320/],
  ['height as string', { rungs: [{ height: '720', bitrateBps: 3_000_000 }] }, 'rungs[0].height', /finite number/],
  ['NaN bitrate', { rungs: [{ height: 720, bitrateBps: Number.NaN }] }, 'rungs[0].bitrateBps', /finite number/],
  ['zero bitrate', { rungs: [{ height: 720, bitrateBps: 0 }] }, 'rungs[0].bitrateBps', /from 16000/],
  ['HFR bitrate below the base', { rungs: [{ height: 720, bitrateBps: 3_000_000, highFrameRateBitrateBps: 2_000_000 }] }, 'rungs[0].highFrameRateBitrateBps', /from 3000000/],
  ['rung frame rate 0', { rungs: [{ height: 720, bitrateBps: 3_000_000, maxFrameRate: 0 }] }, 'rungs[0].maxFrameRate', /from 1/],
  [
    'duplicate heights',
    { rungs: [{ height: 720, bitrateBps: 3_000_000 }, { height: 720, bitrateBps: 2_000_000 }] },
    'rungs',
    /two rungs have height 720/,
  ],
  [
    'bitrate falls with height',
    { rungs: [{ height: 720, bitrateBps: 1_000_000 }, { height: 360, bitrateBps: 2_000_000 }] },
    'rungs',
    /720 rung must have a higher bitrate than the 360/,
  ],
  [
    'HFR bitrate falls with height',
    { rungs: [{ height: 720, bitrateBps: 3_000_000 }, { height: 360, bitrateBps: 800_000, highFrameRateBitrateBps: 4_000_000 }] },
    'rungs',
    /at and above 30 fps/,
  ],
  [
    'frame-rate cap falls with height',
    { rungs: [{ height: 720, bitrateBps: 3_000_000, maxFrameRate: 30 }, { height: 360, bitrateBps: 800_000 }] },
    'rungs',
    /lower maxFrameRate than the 360/,
  ],
  ['videoCodec vp9', { videoCodec: 'vp9' }, 'videoCodec', /one of h264, hevc, av1 \(got vp9\)/],
  ['passthrough as string', { passthrough: 'yes' }, 'passthrough', /true or false/],
  ['passthrough codec unknown', { passthroughCodecs: ['avc1', 'h264'] }, 'passthroughCodecs[1]', /one of avc1/],
  ['passthroughCodecs not an array', { passthroughCodecs: 'avc1' }, 'passthroughCodecs', /array/],
  ['segment too short', { segmentDurationMs: 100 }, 'segmentDurationMs', /from 500 to 30000/],
  ['segment fractional', { segmentDurationMs: 2000.5 }, 'segmentDurationMs', /integer/],
  ['maxFrameRate 0', { maxFrameRate: 0 }, 'maxFrameRate', /from 1 to 240/],
  ['maxrate below bitrate', { maxrateRatio: 0.9 }, 'maxrateRatio', /from 1 to 4/],
  ['VBV buffer huge', { vbvBufferMs: 60_000 }, 'vbvBufferMs', /from 100 to 30000/],
  ['hdrOutput unknown', { hdrOutput: 'hdr10' }, 'hdrOutput', /preserve, tonemap/],
  ['x264 preset unknown', { presets: { h264: 'warp' } }, 'presets.h264', /veryfast/],
  ['SVT preset out of range', { presets: { av1: 14 } }, 'presets.av1', /from 0 to 13/],
  ['presets not an object', { presets: 'fast' }, 'presets', /must be an object/],
  ['audio bitrate tiny', { audioBitrateBps: 8000 }, 'audioBitrateBps', /from 16000 to 512000/],
  ['mono bitrate huge', { monoAudioBitrateBps: 1_000_000 }, 'monoAudioBitrateBps', /to 512000/],
  ['cover tolerance 1', { coverTolerance: 1 }, 'coverTolerance', /from 0 to 0.5/],
  ['audio advance negative', { audioBoundaryAdvanceMs: -1 }, 'audioBoundaryAdvanceMs', /from 0 to 1000/],
];

describe('resolveLadderConfig', () => {
  it('returns the defaults for no config', () => {
    expect(resolveLadderConfig()).toEqual(DEFAULT_LADDER_CONFIG);
    expect(resolveLadderConfig({})).toEqual(DEFAULT_LADDER_CONFIG);
  });

  it('merges partial settings and presets over the defaults', () => {
    const cfg = resolveLadderConfig({ videoCodec: 'hevc', presets: { hevc: 'fast' } as LadderConfig['presets'] });
    expect(cfg.videoCodec).toBe('hevc');
    expect(cfg.presets).toEqual({ h264: 'veryfast', hevc: 'fast', av1: 10 });
    expect(cfg.rungs).toEqual(DEFAULT_LADDER_CONFIG.rungs);
  });

  it.each(bad)('rejects %s', (_name, config, field, message) => {
    let error: unknown;
    try {
      resolveLadderConfig(config as Partial<LadderConfig>);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LadderConfigError);
    expect((error as LadderConfigError).field).toBe(field);
    expect((error as LadderConfigError).message).toMatch(message);
    expect((error as LadderConfigError).message.startsWith(`ladder config ${field}: `)).toBe(true);
  });

  it('planLadder validates too', () => {
    expect(() => planLadder({}, { videoCodec: 'vp9' as never })).toThrow(LadderConfigError);
  });
});
