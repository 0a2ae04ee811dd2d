import type { AudioDescription, VideoCodec, VideoDescription } from '@headwater/codecs';
import { avcCodecString } from '@headwater/codecs';
import { av1Level, h264Level, hevcLevel } from './codec-levels.js';
import type { LevelDemand } from './codec-levels.js';
import { resolveLadderConfig, rungBitrateBps } from './ladder-config.js';
import type { LadderConfig, LadderRung, LadderVideoCodec } from './ladder-config.js';
import type {
  AudioRendition,
  LadderPlan,
  LadderSource,
  LadderSourceAudio,
  PassthroughRendition,
  SkippedRendition,
  TranscodeRendition,
  VideoRendition,
} from './ladder-plan.js';
import { capFrameRate, formatFrameRate, frameRateFromNumber, frameRateValue } from './frame-rate.js';
import type { FrameRate } from './frame-rate.js';

/** Frame rates above this use a rung's high-frame-rate bitrate. */
const HIGH_FRAME_RATE_ABOVE = 30;
/** GOP length and level estimates for sources whose frame rate nobody reported. */
const ASSUMED_FRAME_RATE = 30;
/** Source frame rates outside (0, this] are treated as unknown. */
const MAX_PLAUSIBLE_FRAME_RATE = 1000;
/** Source sizes outside [1, this] are treated as unknown. */
const MAX_PLAUSIBLE_SIDE_PX = 16384;
/** AAC object types a CMAF player decodes: LC, HE-AAC (SBR), HE-AAC v2 (PS). */
const PLAYABLE_AAC_OBJECT_TYPES: ReadonlySet<number> = new Set([2, 5, 29]);
const PLAYABLE_AAC_CODEC_STRINGS: ReadonlySet<string> = new Set(['mp4a.40.2', 'mp4a.40.5', 'mp4a.40.29']);
/** Transcoded audio is AAC-LC at this rate. */
const AAC_SAMPLE_RATE_HZ = 48_000;
const AAC_LC_CODEC_STRING = 'mp4a.40.2';

/** The output picture size of a rung for a source of `width`×`height`, never larger than the source. */
export function rungSize(sourceWidth: number, sourceHeight: number, nominal: number): { width: number; height: number } {
  const portrait = sourceHeight > sourceWidth;
  const short = portrait ? sourceWidth : sourceHeight;
  const long = portrait ? sourceHeight : sourceWidth;
  const shortOut = Math.min(nominal, floorEven(short));
  // Even sides (4:2:0), rounded to the nearest even value that keeps the aspect, capped at the source.
  const longOut = Math.max(2, Math.min(floorEven(long), 2 * Math.round((shortOut * long) / short / 2)));
  return portrait ? { width: shortOut, height: longOut } : { width: longOut, height: shortOut };
}

function floorEven(n: number): number {
  return Math.max(2, 2 * Math.floor(n / 2));
}

function plausibleFrameRate(fps: number | undefined): FrameRate | undefined {
  if (fps === undefined || !Number.isFinite(fps) || fps <= 0 || fps > MAX_PLAUSIBLE_FRAME_RATE) return undefined;
  return frameRateFromNumber(fps);
}

function plausibleSize(d: VideoDescription): { width: number; height: number } | undefined {
  const { width, height } = d;
  const ok = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n) && n >= 1 && n <= MAX_PLAUSIBLE_SIDE_PX;
  return ok(width) && ok(height) ? { width, height } : undefined;
}

function shortSide(size: { width: number; height: number }): number {
  return Math.min(size.width, size.height);
}

/** The sample entry FourCC each ladder codec is written with (`hvc1`: parameter sets in the init segment, as Apple requires). */
function outputFourcc(codec: LadderVideoCodec): VideoCodec {
  switch (codec) {
    case 'h264':
      return 'avc1';
    case 'hevc':
      return 'hvc1';
    case 'av1':
      return 'av01';
  }
}
const dec2 = (n: number): string => String(n).padStart(2, '0');

interface EncodedFormat {
  profile: string;
  level: number;
  codecString: string;
}

/**
 * Profile, level and predicted RFC 6381 string of a transcoded output, as FFmpeg 5.1's encoders
 * write them (checked against the real init segments in ffmpeg-cmaf.test.ts). H.264: High, no
 * constraint flags (x264). HEVC: Main / Main 10, Main tier, constraint byte `90` (x265).
 * AV1: Main profile, Main tier, the short form; SVT-AV1 adds chroma position and colour
 * fields taken from the input, so its real string only starts with this one.
 */
function encodedFormat(codec: LadderVideoCodec, demand: LevelDemand, bitDepth: number): EncodedFormat | undefined {
  switch (codec) {
    case 'h264': {
      const l = h264Level(demand);
      return l && { profile: 'high', level: l.level, codecString: avcCodecString(100, 0, l.idc) };
    }
    case 'hevc': {
      const l = hevcLevel(demand);
      // general_profile_compatibility_flags: Main sets flags 1 and 2, Main 10 flag 2 (bit-reversed
      // hex: 6, 4); x265 writes progressive_source and frame_only constraints only (0x90).
      const main10 = bitDepth > 8;
      return l && { profile: main10 ? 'main10' : 'main', level: l.level, codecString: `hvc1.${main10 ? '2.4' : '1.6'}.L${l.idc}.90` };
    }
    case 'av1': {
      const l = av1Level(demand);
      return l && { profile: 'main', level: l.level, codecString: `av01.0.${dec2(l.idx)}M.${dec2(bitDepth)}` };
    }
  }
}

interface TrackCandidate {
  id: string;
  trackId: number;
  streamIndex: number;
  description: VideoDescription;
  bitrateBps: number | undefined;
  frameRate: FrameRate | undefined;
}

/** An estimate for a passthrough track whose bitrate nobody measured: the rung of the nearest height. */
function estimateBitrate(config: LadderConfig, short: number, fps: number | undefined): number {
  let best: LadderRung | undefined;
  for (const rung of config.rungs) {
    if (best === undefined || Math.abs(rung.height - short) < Math.abs(best.height - short)) best = rung;
  }
  // config.rungs is never empty after resolveLadderConfig.
  const rung = best as LadderRung;
  return rungBitrateBps(rung, fps !== undefined && fps > HIGH_FRAME_RATE_ABOVE);
}

function passthroughRendition(config: LadderConfig, t: TrackCandidate): PassthroughRendition | undefined {
  const size = plausibleSize(t.description);
  if (!size) return undefined;
  const fps = t.frameRate && frameRateValue(t.frameRate);
  return {
    kind: 'passthrough',
    id: t.id,
    width: size.width,
    height: size.height,
    frameRate: fps,
    frameRateFraction: t.frameRate && formatFrameRate(t.frameRate),
    codec: t.description.codec,
    codecString: t.description.codecString,
    bitrateBps: t.bitrateBps ?? estimateBitrate(config, shortSide(size), fps),
    bitrateOrigin: t.bitrateBps === undefined ? 'estimated' : 'measured',
    bitDepth: t.description.bitDepth ?? 8,
    hdr: t.description.hdr,
    sourceTrackId: t.trackId,
    sourceStreamIndex: t.streamIndex,
  };
}

function rungId(nominal: number, fps: number | undefined): string {
  return fps !== undefined && fps > HIGH_FRAME_RATE_ABOVE + 0.5 ? `${nominal}p${Math.round(fps)}` : `${nominal}p`;
}

function transcodeRendition(
  config: LadderConfig,
  source: TrackCandidate,
  size: { width: number; height: number },
  rung: LadderRung,
): TranscodeRendition | undefined {
  const rate = source.frameRate && capFrameRate(source.frameRate, Math.min(rung.maxFrameRate ?? config.maxFrameRate, config.maxFrameRate));
  const fps = rate && frameRateValue(rate);
  const out = rungSize(size.width, size.height, rung.height);
  const bitrateBps = rungBitrateBps(rung, fps !== undefined && fps > HIGH_FRAME_RATE_ABOVE);
  const maxrateBps = Math.round(bitrateBps * config.maxrateRatio);
  const sourceHdr = source.description.hdr;
  // H.264 renditions are 8-bit SDR (High profile); HEVC/AV1 keep HDR unless told to tone-map.
  const keepHdr = sourceHdr !== undefined && config.videoCodec !== 'h264' && config.hdrOutput === 'preserve';
  const hdr = keepHdr ? sourceHdr : undefined;
  const bitDepth = keepHdr ? 10 : 8;
  const format = encodedFormat(config.videoCodec, { width: out.width, height: out.height, frameRate: fps ?? config.maxFrameRate, maxrateBps }, bitDepth);
  if (!format) return undefined;
  return {
    kind: 'transcode',
    id: rungId(rung.height, fps),
    width: out.width,
    height: out.height,
    frameRate: fps,
    frameRateFraction: rate && formatFrameRate(rate),
    convertsFrameRate: rate !== undefined && source.frameRate !== undefined && frameRateValue(rate) < frameRateValue(source.frameRate) - 1e-9,
    codec: outputFourcc(config.videoCodec),
    codecString: format.codecString,
    bitrateBps,
    bitrateOrigin: 'target',
    bitDepth,
    hdr,
    sourceTrackId: source.trackId,
    sourceStreamIndex: source.streamIndex,
    encoder: config.videoCodec,
    profile: format.profile,
    level: format.level,
    maxrateBps,
    bufsizeBits: Math.round((maxrateBps * config.vbvBufferMs) / 1000),
    gopFrames: Math.max(1, Math.round((config.segmentDurationMs / 1000) * (fps ?? ASSUMED_FRAME_RATE))),
    tonemapFrom: keepHdr ? undefined : sourceHdr,
  };
}

function isPlayableAac(audio: AudioDescription): boolean {
  if (audio.codec !== 'mp4a') return false;
  if (audio.objectType !== undefined) return PLAYABLE_AAC_OBJECT_TYPES.has(audio.objectType);
  return PLAYABLE_AAC_CODEC_STRINGS.has(audio.codecString);
}

function planAudio(config: LadderConfig, audio: LadderSourceAudio): AudioRendition {
  const trackId = audio.trackId ?? 0;
  if (config.audioPassthrough && isPlayableAac(audio)) {
    return {
      id: 'audio',
      kind: 'passthrough',
      codec: 'mp4a',
      codecString: audio.codecString,
      sampleRate: audio.sampleRate,
      channels: audio.channels,
      bitrateBps: audio.bitrateBps ?? audio.bitrate ?? config.audioBitrateBps,
      bitrateOrigin: (audio.bitrateBps ?? audio.bitrate) === undefined ? 'estimated' : 'measured',
      sourceTrackId: trackId,
      boundaryAdvanceMs: 0,
    };
  }
  // Mono stays mono; stereo and multichannel (AC-3 5.1 ...) become stereo, which every player decodes.
  const channels = audio.channels === 1 ? 1 : 2;
  return {
    id: 'audio',
    kind: 'transcode',
    codec: 'mp4a',
    codecString: AAC_LC_CODEC_STRING,
    sampleRate: AAC_SAMPLE_RATE_HZ,
    channels,
    bitrateBps: channels === 1 ? config.monoAudioBitrateBps : config.audioBitrateBps,
    bitrateOrigin: 'target',
    sourceTrackId: trackId,
    boundaryAdvanceMs: config.audioBoundaryAdvanceMs,
  };
}

/** A source the planner cannot read (duplicate track ids or stream indexes). */
export class LadderSourceError extends Error {
  override readonly name = 'LadderSourceError';
}

function candidates(source: LadderSource): { main: TrackCandidate | undefined; extras: TrackCandidate[] } {
  const main: TrackCandidate | undefined = source.video && {
    id: 'source',
    trackId: source.video.trackId ?? 0,
    streamIndex: source.video.streamIndex ?? 0,
    description: source.video,
    bitrateBps: source.video.bitrateBps,
    frameRate: plausibleFrameRate(source.video.frameRate),
  };
  const extras = (source.extraVideoTracks ?? []).map((t, i) => ({
    id: `source-t${t.trackId}`,
    trackId: t.trackId,
    streamIndex: t.streamIndex ?? (main ? 1 : 0) + i,
    description: t.description,
    bitrateBps: t.bitrateBps,
    frameRate: plausibleFrameRate(t.frameRate ?? t.description.frameRate),
  }));
  const all = main ? [main, ...extras] : extras;
  const trackIds = new Set(all.map((t) => t.trackId));
  const streams = new Set(all.map((t) => t.streamIndex));
  if (trackIds.size !== all.length) throw new LadderSourceError('video tracks share a track id');
  if (streams.size !== all.length) throw new LadderSourceError('video tracks share a stream index');
  return { main, extras };
}

/**
 * Chooses the renditions of a session (issue 3, "Ladder planner"):
 * - transcoded rungs never taller than the source (the short side counts, so portrait video
 *   is treated like landscape), even sizes keeping the source aspect;
 * - the source frame rate, halved while above the rung's cap (60; 30 for the default rungs
 *   below 720p), so keyframes of every rendition fall on source frames;
 * - a passthrough `source` rendition when its codec is playable in CMAF (not VP9 by default),
 *   and one per extra multitrack track; those replace the transcoded rung of their height;
 * - one audio rendition: AAC copied when it already is LC/HE-AAC, else AAC-LC 48 kHz
 *   (stereo 128 kb/s, mono 64 kb/s).
 * Throws {@link LadderConfigError} for a bad config and {@link LadderSourceError} for a source
 * with duplicate track ids.
 */
export function planLadder(source: LadderSource, config: Partial<LadderConfig> = {}): LadderPlan {
  const cfg = resolveLadderConfig(config);
  const skipped: SkippedRendition[] = [];
  const { main, extras } = candidates(source);
  const multitrack = extras.length > 0;

  const passthroughs: PassthroughRendition[] = [];
  const covering: number[] = [];
  for (const track of main ? [main, ...extras] : extras) {
    if (!cfg.passthrough) {
      skipped.push({ id: track.id, reason: 'passthrough-disabled' });
      continue;
    }
    if (!cfg.passthroughCodecs.includes(track.description.codec)) {
      skipped.push({ id: track.id, reason: 'codec-not-playable' });
      continue;
    }
    const rendition = passthroughRendition(cfg, track);
    if (!rendition) {
      skipped.push({ id: track.id, reason: 'source-size-unknown' });
      continue;
    }
    passthroughs.push(rendition);
    if (track !== main || multitrack || cfg.skipRungsCoveredBySource) covering.push(shortSide(rendition));
  }

  const transcodes: TranscodeRendition[] = [];
  const mainSize = main && plausibleSize(main.description);
  for (const rung of main ? [...cfg.rungs].sort((a, b) => b.height - a.height) : []) {
    const name = `${rung.height}p`;
    if (!mainSize) {
      skipped.push({ id: name, reason: 'source-size-unknown' });
      continue;
    }
    if (rung.height > shortSide(mainSize)) {
      skipped.push({ id: name, reason: 'taller-than-source' });
      continue;
    }
    if (covering.some((h) => Math.abs(h - rung.height) <= cfg.coverTolerance * rung.height)) {
      skipped.push({ id: name, reason: 'covered-by-passthrough' });
      continue;
    }
    const rendition = main && transcodeRendition(cfg, main, mainSize, rung);
    if (rendition) transcodes.push(rendition);
    else skipped.push({ id: name, reason: 'no-level-fits' });
  }

  // A source smaller than every rung, and not playable as it is, still gets one rendition at its own size.
  const smallest = [...cfg.rungs].sort((a, b) => a.height - b.height)[0];
  if (main && mainSize && transcodes.length === 0 && passthroughs.length === 0 && smallest) {
    const rendition = transcodeRendition(cfg, main, mainSize, { ...smallest, height: floorEven(shortSide(mainSize)) });
    if (rendition) transcodes.push(rendition);
  }

  const video: VideoRendition[] = [...passthroughs, ...transcodes].sort((a, b) => b.bitrateBps - a.bitrateBps || b.height - a.height);
  return {
    video,
    audio: source.audio && planAudio(cfg, source.audio),
    segmentDurationMs: cfg.segmentDurationMs,
    presets: cfg.presets,
    skipped,
  };
}
