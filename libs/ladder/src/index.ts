export { planLadder, rungSize, LadderSourceError } from './ladder-planner.js';
export {
  resolveLadderConfig,
  rungBitrateBps,
  LadderConfigError,
  DEFAULT_LADDER_CONFIG,
  DEFAULT_RUNGS,
  LADDER_LIMITS,
  LADDER_VIDEO_CODECS,
  HDR_OUTPUTS,
} from './ladder-config.js';
export type { LadderConfig, LadderRung, LadderVideoCodec, HdrOutput, EncoderPresets } from './ladder-config.js';
export type {
  LadderSource,
  LadderSourceVideo,
  LadderSourceAudio,
  LadderExtraVideoTrack,
  LadderPlan,
  VideoRendition,
  TranscodeRendition,
  PassthroughRendition,
  AudioRendition,
  BitrateOrigin,
  SkipReason,
  SkippedRendition,
} from './ladder-plan.js';
export { h264Level, hevcLevel, av1Level } from './codec-levels.js';
export type { LevelDemand } from './codec-levels.js';
export { frameRateFromNumber, frameRateValue, formatFrameRate, halveFrameRate, capFrameRate } from './frame-rate.js';
export type { FrameRate } from './frame-rate.js';
export { ffmpegArgsForSegment, segmentOutputs, planRenditionIds, FfmpegArgsError } from './ffmpeg-args.js';
export type { SegmentIo, SegmentOutput } from './ffmpeg-args.js';
export { encoderArgs, tonemapFilter, renditionPixelFormat } from './ffmpeg-encoders.js';
export { audioSegmentWindow, AudioWindowError, AAC_FRAME_SAMPLES, AUDIO_PREROLL_FRAMES } from './audio-window.js';
export type { AudioSegmentWindow, SegmentSpan } from './audio-window.js';
