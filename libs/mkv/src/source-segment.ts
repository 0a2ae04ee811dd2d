/** What the {@link SourceSegmenter} hands out: one Matroska file per segment plus what it holds. */
import type { AudioDescription, VideoDescription } from '@headwater/codecs';
import type { MkvAudioCodec, MkvVideoCodec } from './matroska-codecs.js';

/** Why a segment ended. */
export type SegmentEndReason =
  /** A track-0 video key frame after the target duration. */
  | 'keyframe'
  /** An audio frame after the target duration (no video in the session yet). */
  | 'audio'
  /** A key frame (or, without video, any frame) after a track changed its decoder configuration. */
  | 'config-change'
  /** The segment reached maxSegmentBytes inside a GOP; the next one does not start on a key frame. */
  | 'size-limit'
  /** flush() at the end of the session. */
  | 'flush';

/** Fields every track summary has. */
export interface SourceTrackSummary {
  /** TrackNumber in the segment's Matroska file (video tracks first, each kind by FLV track id). */
  trackNumber: number;
  /** The E-RTMP track id (0 = default track, reference §8.2). */
  flvTrackId: number;
  /** RFC 6381 codec string from the decoder configuration. */
  codecString: string;
  frameCount: number;
  /** Coded bytes of the track's frames in this segment. */
  payloadBytes: number;
  /** payloadBytes over the segment's duration, in bits per second. */
  bitrateBps: number;
  /** Presentation time of the track's first frame in the segment (session timeline, ms). */
  firstPtsMs: number;
}

export interface SourceVideoTrack extends SourceTrackSummary {
  kind: 'video';
  codec: MkvVideoCodec;
  width: number;
  height: number;
  /** From the bitstream timing info when signalled, else measured from the decode times. */
  frameRate?: number;
  /** Whether the track's first frame in the segment is a key frame. */
  startsWithKeyframe: boolean;
  description: VideoDescription;
}

export interface SourceAudioTrack extends SourceTrackSummary {
  kind: 'audio';
  codec: MkvAudioCodec;
  sampleRate: number;
  channels: number;
  description: AudioDescription;
}

/**
 * One source segment: a complete Matroska file FFmpeg 5.1 reads on its own.
 *
 * Timestamps stay on the SESSION timeline (the FLV/RTMP timestamps, not rebased to 0), in the
 * file as in these fields, so outputs of segments transcoded apart line up. The segment covers
 * the presentation interval [startMs, endMs): segments are contiguous (endMs is the next
 * segment's startMs) and their durations sum to the session's.
 */
export interface SourceSegment {
  /** 0-based position in the session. */
  index: number;
  /**
   * Presentation time of the cut: the track-0 key frame's pts (or the cutting frame's); for
   * segment 0, the earliest frame of the session.
   */
  startMs: number;
  /** The next segment's startMs, or for the last one the end of its last frame. */
  endMs: number;
  durationMs: number;
  /**
   * True when the track-0 video (if any) starts on a key frame, so the segment decodes on its
   * own; false only after a `size-limit` cut.
   */
  keyframeStart: boolean;
  /** How this segment ended. */
  endReason: SegmentEndReason;
  /**
   * The file ends with the next segment's first video frame, after this segment's leading
   * pictures (frames later in decode order but presented before the cut: open-GOP HEVC/H.264
   * RASL pictures). They are decodable only with it, so it is stored as their reference with the
   * Matroska Invisible flag. FFmpeg 5.1 ignores that flag and outputs it at endMs: keep only
   * frames presented before endMs. False for closed GOPs.
   */
  trailingReference: boolean;
  /** The Matroska file. */
  bytes: Uint8Array;
  /** Coded bytes of all frames over the duration, in bits per second (container overhead excluded). */
  bitrateBps: number;
  video: SourceVideoTrack[];
  audio: SourceAudioTrack[];
}

/** Options of the {@link SourceSegmenter}. */
export interface SourceSegmenterOptions {
  /** Minimum segment duration: cut at the first track-0 key frame at least this far past the segment start. @defaultValue 2000 */
  targetDurationMs?: number;
  /** Most coded bytes a segment holds; a larger GOP is cut early (the next segment then has keyframeStart false). @defaultValue 64 MiB */
  maxSegmentBytes?: number;
  /** Also carry E-RTMP multitrack tracks 1..255 (encoder-made renditions) next to the default tracks 0. @defaultValue false */
  includeExtraTracks?: boolean;
  /**
   * How long, in ms of stream time after a cut, frames of other tracks with earlier timestamps
   * may still arrive (audio interleaved late) and join the segment before the cut. @defaultValue 1000
   */
  maxInterleaveMs?: number;
  /** Matroska TimestampScale. @defaultValue 1_000_000 (1 ms) */
  timecodeScaleNs?: number;
}

/** Counters of frames the segmenter did not put in any segment. */
export interface SourceSegmenterStats {
  /** Track-0 video frames before the session's first key frame (undecodable). */
  droppedBeforeKeyframe: number;
  /** Frames of a codec that needs a configuration (avc1, hvc1, av01, mp4a, fLaC) that has not arrived. */
  droppedWithoutConfig: number;
  /** Frames of codecs Matroska segments do not carry (legacy FLV codecs, VVC). */
  droppedUnsupported: number;
  /** Frames that arrived after their segment was already handed out (beyond maxInterleaveMs). */
  droppedLate: number;
  /** Empty coded-frame packets (nothing to store). */
  droppedEmpty: number;
}
