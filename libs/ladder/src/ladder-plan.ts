import type { AudioDescription, HdrTransfer, VideoCodec, VideoDescription } from '@headwater/codecs';
import type { EncoderPresets, LadderVideoCodec } from './ladder-config.js';

/** A video track of the source, as the ingest describes it. */
export interface LadderSourceVideo extends VideoDescription {
  /** Measured (or announced) average bitrate, bits per second. */
  bitrateBps?: number;
  /** Frames per second, from the stream metadata when the bitstream does not say. */
  frameRate?: number;
  /** E-RTMP track id (v2 multitrack); the default track is 0. */
  trackId?: number;
  /**
   * Index of this track among the video streams of the source segment file. Defaults: 0 for
   * the main track, 1 + its position for extra tracks (the order the segment writer keeps).
   */
  streamIndex?: number;
}

/** An extra video track of a multitrack source (an encoder-side ladder such as OBS Enhanced Broadcasting). */
export interface LadderExtraVideoTrack {
  trackId: number;
  description: VideoDescription;
  bitrateBps?: number;
  frameRate?: number;
  /** See {@link LadderSourceVideo.streamIndex}. */
  streamIndex?: number;
}

/** The source audio track. */
export interface LadderSourceAudio extends AudioDescription {
  bitrateBps?: number;
  /** E-RTMP track id; the default track is 0. */
  trackId?: number;
}

/** Everything the planner needs to know about a session's source. */
export interface LadderSource {
  video?: LadderSourceVideo;
  audio?: LadderSourceAudio;
  extraVideoTracks?: readonly LadderExtraVideoTrack[];
}

/** Where a rendition's bitrate figure comes from. */
export type BitrateOrigin = 'target' | 'measured' | 'estimated';

interface VideoRenditionBase {
  /** Stable id, also the output directory name: `1080p60`, `720p`, `source`, `source-t1`. */
  id: string;
  width: number;
  height: number;
  /** Output frames per second; undefined when the source rate is unknown (timing passes through). */
  frameRate: number | undefined;
  /** The same as an exact fraction (`30000/1001`), for ffmpeg and HLS FRAME-RATE. */
  frameRateFraction: string | undefined;
  /** Output sample entry FourCC. */
  codec: VideoCodec;
  /** RFC 6381 codec string of the output (a prediction for transcodes: the packager reads the real one). */
  codecString: string;
  /** Average bitrate, bits per second (for passthrough: measured, or estimated from the ladder). */
  bitrateBps: number;
  bitrateOrigin: BitrateOrigin;
  /** Luma bit depth of the output. */
  bitDepth: number;
  /** HDR transfer of the output, when it is HDR. */
  hdr: HdrTransfer | undefined;
  /** E-RTMP track id of the source track this rendition is made from. */
  sourceTrackId: number;
  /** Index among the source segment's video streams (ffmpeg `v:<n>`). */
  sourceStreamIndex: number;
}

/** A rendition encoded from the source. */
export interface TranscodeRendition extends VideoRenditionBase {
  kind: 'transcode';
  encoder: LadderVideoCodec;
  /** Profile name as the encoder takes it (`high`, `main`, `main10`). */
  profile: string;
  /** Level asked of the encoder (e.g. 3.1). */
  level: number;
  /** VBV peak rate, bits per second. */
  maxrateBps: number;
  /** VBV buffer size, bits. */
  bufsizeBits: number;
  /**
   * The frame rate is lowered (e.g. 60 → 30): frames are re-timed on the output grid. Otherwise
   * every frame keeps its source time, so transcodes stay aligned with the passthrough and with
   * the source's key frames (a grid from 0 would start each segment up to a frame off).
   */
  convertsFrameRate?: boolean;
  /** Keyframe interval in frames: segment duration × frame rate (closed GOP, no scene cuts). */
  gopFrames: number;
  /** The source's HDR transfer when this rendition is SDR and must be tone-mapped; else undefined. */
  tonemapFrom: HdrTransfer | undefined;
}

/** A source track copied as it is. */
export interface PassthroughRendition extends VideoRenditionBase {
  kind: 'passthrough';
}

export type VideoRendition = TranscodeRendition | PassthroughRendition;

/** The single audio rendition every video rendition plays with (a separate CMAF track). */
export interface AudioRendition {
  /** Always `audio`: the output directory name. */
  id: 'audio';
  kind: 'transcode' | 'passthrough';
  codec: 'mp4a';
  codecString: string;
  /** Output sample rate in Hz; undefined for passthrough of a source that did not say. */
  sampleRate: number | undefined;
  /** Output channels; undefined for passthrough of a source that did not say. */
  channels: number | undefined;
  bitrateBps: number;
  bitrateOrigin: BitrateOrigin;
  sourceTrackId: number;
  /** `LadderConfig.audioBoundaryAdvanceMs`; 0 for passthrough (packets are copied as the ingest cut them). */
  boundaryAdvanceMs: number;
}

/** Why a rung or track is not in the plan. */
export type SkipReason =
  | 'taller-than-source'
  | 'covered-by-passthrough'
  | 'source-size-unknown'
  | 'codec-not-playable'
  | 'passthrough-disabled'
  | 'no-level-fits';

/** A rung or source track left out, and why (for logs and the session API). */
export interface SkippedRendition {
  id: string;
  reason: SkipReason;
}

/** The renditions of one session. */
export interface LadderPlan {
  /** Sorted by bitrate, highest first. */
  video: VideoRendition[];
  audio: AudioRendition | undefined;
  segmentDurationMs: number;
  /** Encoder presets the renditions are made with. */
  presets: EncoderPresets;
  skipped: SkippedRendition[];
}
