import { VIDEO_CODECS } from '@headwater/codecs';
import type { VideoCodec } from '@headwater/codecs';

/** Codecs the ladder can encode renditions in (libx264, libx265, libsvtav1). */
export const LADDER_VIDEO_CODECS = ['h264', 'hevc', 'av1'] as const;
export type LadderVideoCodec = (typeof LADDER_VIDEO_CODECS)[number];

/** What HDR sources become in HEVC/AV1 renditions. H.264 renditions are always tone-mapped to SDR. */
export const HDR_OUTPUTS = ['preserve', 'tonemap'] as const;
export type HdrOutput = (typeof HDR_OUTPUTS)[number];

/** One rung of the ladder, named by the short side of the picture. */
export interface LadderRung {
  /**
   * Nominal size in pixels: the picture height of landscape video, the width of portrait
   * video (so `720` is 1280x720 or 720x1280). Even.
   */
  height: number;
  /** Target average bitrate at up to 30 fps, bits per second. */
  bitrateBps: number;
  /** Target average bitrate above 30 fps; defaults to `bitrateBps`. */
  highFrameRateBitrateBps?: number;
  /**
   * Highest frame rate of this rung: the source rate is halved until it fits, so every kept
   * frame is a source frame. Defaults to {@link LadderConfig.maxFrameRate}.
   */
  maxFrameRate?: number;
}

/** Encoder speed presets per codec (x264/x265 preset names; SVT-AV1 preset number 0..13). */
export interface EncoderPresets {
  h264: string;
  hevc: string;
  av1: number;
}

/** How a session's renditions are chosen and encoded. */
export interface LadderConfig {
  /**
   * Transcoded rungs. Any order; taller rungs must not have lower bitrates.
   * @defaultValue 1080p 4.5 Mb/s (6 Mb/s above 30 fps), 720p 3 Mb/s (4.5 Mb/s above 30 fps),
   * 480p 1.2 Mb/s, 360p 0.8 Mb/s, 160p 0.3 Mb/s; rungs below 720p at most 30 fps.
   */
  rungs: readonly LadderRung[];
  /** @defaultValue `'h264'` */
  videoCodec: LadderVideoCodec;
  /** Offer the source (and any extra multitrack tracks) as renditions without re-encoding. @defaultValue true */
  passthrough: boolean;
  /** Source codecs a CMAF player can play as they are. @defaultValue `['avc1', 'hvc1', 'av01']` */
  passthroughCodecs: readonly VideoCodec[];
  /**
   * Let the main source passthrough replace the transcoded rung of its own height (±
   * {@link LadderConfig.coverTolerance}). Extra multitrack tracks always do; the main track
   * also does whenever the source is multitrack. @defaultValue false
   */
  skipRungsCoveredBySource: boolean;
  /** How close (fraction of the rung height) a passthrough track must be to cover a rung. @defaultValue 0.1 */
  coverTolerance: number;
  /** Target segment duration; the keyframe interval of every transcoded rendition. @defaultValue 2000 */
  segmentDurationMs: number;
  /** Highest output frame rate; faster sources are halved until they fit. @defaultValue 60 */
  maxFrameRate: number;
  /** VBV maxrate as a multiple of the target bitrate. @defaultValue 1.1 */
  maxrateRatio: number;
  /** VBV buffer, as milliseconds at maxrate. @defaultValue 2000 */
  vbvBufferMs: number;
  /** HDR sources in HEVC/AV1 renditions. @defaultValue `'preserve'` */
  hdrOutput: HdrOutput;
  /** @defaultValue `{ h264: 'veryfast', hevc: 'veryfast', av1: 10 }` */
  presets: EncoderPresets;
  /** Copy AAC-LC / HE-AAC source audio instead of re-encoding it. @defaultValue true */
  audioPassthrough: boolean;
  /** AAC bitrate for stereo (and downmixed multichannel) audio. @defaultValue 128000 */
  audioBitrateBps: number;
  /** AAC bitrate for mono sources, which stay mono. @defaultValue 64000 */
  monoAudioBitrateBps: number;
  /**
   * Transcoded audio segments end this long before the video segment boundary (then down to
   * the AAC frame grid), so the encoder of segment N has real signal under its last frames
   * even when the ingest cut the source audio a little before the keyframe. @defaultValue 100
   */
  audioBoundaryAdvanceMs: number;
}

/** The default ladder (see {@link LadderConfig.rungs}). */
export const DEFAULT_RUNGS: readonly LadderRung[] = Object.freeze([
  { height: 1080, bitrateBps: 4_500_000, highFrameRateBitrateBps: 6_000_000 },
  { height: 720, bitrateBps: 3_000_000, highFrameRateBitrateBps: 4_500_000 },
  { height: 480, bitrateBps: 1_200_000, maxFrameRate: 30 },
  { height: 360, bitrateBps: 800_000, maxFrameRate: 30 },
  { height: 160, bitrateBps: 300_000, maxFrameRate: 30 },
]);

/** Every default, as {@link planLadder} applies them. */
export const DEFAULT_LADDER_CONFIG: Readonly<LadderConfig> = Object.freeze({
  rungs: DEFAULT_RUNGS,
  videoCodec: 'h264',
  passthrough: true,
  passthroughCodecs: Object.freeze(['avc1', 'hvc1', 'av01'] as const),
  skipRungsCoveredBySource: false,
  coverTolerance: 0.1,
  segmentDurationMs: 2000,
  maxFrameRate: 60,
  maxrateRatio: 1.1,
  vbvBufferMs: 2000,
  hdrOutput: 'preserve',
  presets: Object.freeze({ h264: 'veryfast', hevc: 'veryfast', av1: 10 }),
  audioPassthrough: true,
  audioBitrateBps: 128_000,
  monoAudioBitrateBps: 64_000,
  audioBoundaryAdvanceMs: 100,
});

/** A ladder configuration that cannot be used; `field` names the offending key path. */
export class LadderConfigError extends Error {
  override readonly name = 'LadderConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`ladder config ${field}: ${message}`);
  }
}

/** Limits the validation enforces. */
export const LADDER_LIMITS = {
  MIN_RUNG_HEIGHT: 16,
  MAX_RUNG_HEIGHT: 4320,
  MAX_RUNGS: 16,
  MIN_VIDEO_BPS: 16_000,
  MAX_VIDEO_BPS: 400_000_000,
  MIN_AUDIO_BPS: 16_000,
  MAX_AUDIO_BPS: 512_000,
  MIN_SEGMENT_MS: 500,
  MAX_SEGMENT_MS: 30_000,
  MAX_FRAME_RATE: 240,
  MAX_MAXRATE_RATIO: 4,
  MIN_VBV_BUFFER_MS: 100,
  MAX_VBV_BUFFER_MS: 30_000,
  MAX_AUDIO_ADVANCE_MS: 1000,
} as const;

const KEYS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_LADDER_CONFIG));
const RUNG_KEYS: ReadonlySet<string> = new Set(['height', 'bitrateBps', 'highFrameRateBitrateBps', 'maxFrameRate']);
const PRESET_KEYS: ReadonlySet<string> = new Set(['h264', 'hevc', 'av1']);
/** x264/x265 preset names (the same list for both). */
const X26X_PRESETS: ReadonlySet<string> = new Set([
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
  'placebo',
]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkNumber(field: string, v: unknown, min: number, max: number, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new LadderConfigError(field, `must be a finite number (got ${String(v)})`);
  if (integer && !Number.isInteger(v)) throw new LadderConfigError(field, `must be an integer (got ${v})`);
  if (v < min || v > max) throw new LadderConfigError(field, `must be from ${min} to ${max} (got ${v})`);
  return v;
}

function checkBoolean(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new LadderConfigError(field, `must be true or false (got ${String(v)})`);
  return v;
}

function checkOneOf<T extends string>(field: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new LadderConfigError(field, `must be one of ${allowed.join(', ')} (got ${String(v)})`);
  }
  return v as T;
}

function checkKeys(field: string, v: Record<string, unknown>, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(v)) {
    if (!allowed.has(key)) throw new LadderConfigError(field === '' ? key : `${field}.${key}`, 'is not a ladder setting');
  }
}

function checkRung(i: number, v: unknown): LadderRung {
  const field = `rungs[${i}]`;
  if (!isRecord(v)) throw new LadderConfigError(field, 'must be an object { height, bitrateBps, ... }');
  checkKeys(field, v, RUNG_KEYS);
  const height = checkNumber(`${field}.height`, v.height, LADDER_LIMITS.MIN_RUNG_HEIGHT, LADDER_LIMITS.MAX_RUNG_HEIGHT, true);
  if (height % 2 !== 0) throw new LadderConfigError(`${field}.height`, `must be even (4:2:0 chroma) (got ${height})`);
  const bitrateBps = checkNumber(`${field}.bitrateBps`, v.bitrateBps, LADDER_LIMITS.MIN_VIDEO_BPS, LADDER_LIMITS.MAX_VIDEO_BPS, true);
  const rung: LadderRung = { height, bitrateBps };
  if (v.highFrameRateBitrateBps !== undefined) {
    const hfr = checkNumber(`${field}.highFrameRateBitrateBps`, v.highFrameRateBitrateBps, bitrateBps, LADDER_LIMITS.MAX_VIDEO_BPS, true);
    rung.highFrameRateBitrateBps = hfr;
  }
  if (v.maxFrameRate !== undefined) {
    rung.maxFrameRate = checkNumber(`${field}.maxFrameRate`, v.maxFrameRate, 1, LADDER_LIMITS.MAX_FRAME_RATE, false);
  }
  return rung;
}

/** The bitrate a rung runs at, given whether its output frame rate is above 30 fps. */
export function rungBitrateBps(rung: LadderRung, highFrameRate: boolean): number {
  return highFrameRate ? (rung.highFrameRateBitrateBps ?? rung.bitrateBps) : rung.bitrateBps;
}

/**
 * Merges `config` over {@link DEFAULT_LADDER_CONFIG} and checks every field; throws
 * {@link LadderConfigError} naming the first bad one. Unknown keys are errors (typos would
 * otherwise silently fall back to defaults).
 */
export function resolveLadderConfig(config: Partial<LadderConfig> = {}): LadderConfig {
  if (!isRecord(config)) throw new LadderConfigError('(root)', 'must be an object');
  checkKeys('', config, KEYS);
  const d = DEFAULT_LADDER_CONFIG;
  const pick = <K extends keyof LadderConfig>(key: K): unknown => (config[key] === undefined ? d[key] : config[key]);

  const maxFrameRate = checkNumber('maxFrameRate', pick('maxFrameRate'), 1, LADDER_LIMITS.MAX_FRAME_RATE, false);
  const rawRungs = pick('rungs');
  if (!Array.isArray(rawRungs)) throw new LadderConfigError('rungs', 'must be an array');
  if (rawRungs.length === 0) throw new LadderConfigError('rungs', 'must have at least one rung');
  if (rawRungs.length > LADDER_LIMITS.MAX_RUNGS) throw new LadderConfigError('rungs', `must have at most ${LADDER_LIMITS.MAX_RUNGS} rungs (got ${rawRungs.length})`);
  const rungs = rawRungs.map((r: unknown, i) => checkRung(i, r));
  const byHeight = [...rungs].sort((a, b) => b.height - a.height);
  for (let i = 1; i < byHeight.length; i++) {
    const taller = byHeight[i - 1] as LadderRung;
    const shorter = byHeight[i] as LadderRung;
    if (taller.height === shorter.height) throw new LadderConfigError('rungs', `two rungs have height ${shorter.height}`);
    if (rungBitrateBps(taller, false) <= rungBitrateBps(shorter, false) || rungBitrateBps(taller, true) <= rungBitrateBps(shorter, true)) {
      throw new LadderConfigError('rungs', `the ${taller.height} rung must have a higher bitrate than the ${shorter.height} rung, at and above 30 fps`);
    }
    // Otherwise a shorter rung could run at a higher frame rate (and bitrate) than a taller one.
    if ((taller.maxFrameRate ?? Infinity) < (shorter.maxFrameRate ?? Infinity)) {
      throw new LadderConfigError('rungs', `the ${taller.height} rung must not have a lower maxFrameRate than the ${shorter.height} rung`);
    }
  }

  const rawPresets = pick('presets');
  if (!isRecord(rawPresets)) throw new LadderConfigError('presets', 'must be an object { h264, hevc, av1 }');
  checkKeys('presets', rawPresets, PRESET_KEYS);
  const mergedPresets = { ...d.presets, ...rawPresets };
  const presets: EncoderPresets = {
    h264: checkOneOf('presets.h264', mergedPresets.h264, [...X26X_PRESETS]),
    hevc: checkOneOf('presets.hevc', mergedPresets.hevc, [...X26X_PRESETS]),
    av1: checkNumber('presets.av1', mergedPresets.av1, 0, 13, true),
  };

  const rawCodecs = pick('passthroughCodecs');
  if (!Array.isArray(rawCodecs)) throw new LadderConfigError('passthroughCodecs', 'must be an array of FourCCs');
  const passthroughCodecs = rawCodecs.map((c: unknown, i) => checkOneOf(`passthroughCodecs[${i}]`, c, VIDEO_CODECS));

  const audioBitrateBps = checkNumber('audioBitrateBps', pick('audioBitrateBps'), LADDER_LIMITS.MIN_AUDIO_BPS, LADDER_LIMITS.MAX_AUDIO_BPS, true);
  const monoAudioBitrateBps = checkNumber('monoAudioBitrateBps', pick('monoAudioBitrateBps'), LADDER_LIMITS.MIN_AUDIO_BPS, LADDER_LIMITS.MAX_AUDIO_BPS, true);

  return {
    rungs,
    videoCodec: checkOneOf('videoCodec', pick('videoCodec'), LADDER_VIDEO_CODECS),
    passthrough: checkBoolean('passthrough', pick('passthrough')),
    passthroughCodecs,
    skipRungsCoveredBySource: checkBoolean('skipRungsCoveredBySource', pick('skipRungsCoveredBySource')),
    coverTolerance: checkNumber('coverTolerance', pick('coverTolerance'), 0, 0.5, false),
    segmentDurationMs: checkNumber('segmentDurationMs', pick('segmentDurationMs'), LADDER_LIMITS.MIN_SEGMENT_MS, LADDER_LIMITS.MAX_SEGMENT_MS, true),
    maxFrameRate,
    maxrateRatio: checkNumber('maxrateRatio', pick('maxrateRatio'), 1, LADDER_LIMITS.MAX_MAXRATE_RATIO, false),
    vbvBufferMs: checkNumber('vbvBufferMs', pick('vbvBufferMs'), LADDER_LIMITS.MIN_VBV_BUFFER_MS, LADDER_LIMITS.MAX_VBV_BUFFER_MS, true),
    hdrOutput: checkOneOf('hdrOutput', pick('hdrOutput'), HDR_OUTPUTS),
    presets,
    audioPassthrough: checkBoolean('audioPassthrough', pick('audioPassthrough')),
    audioBitrateBps,
    monoAudioBitrateBps,
    audioBoundaryAdvanceMs: checkNumber('audioBoundaryAdvanceMs', pick('audioBoundaryAdvanceMs'), 0, LADDER_LIMITS.MAX_AUDIO_ADVANCE_MS, true),
  };
}
