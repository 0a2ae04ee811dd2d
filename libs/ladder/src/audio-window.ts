import type { AudioRendition } from './ladder-plan.js';

/** Samples per AAC-LC frame (ISO/IEC 14496-3 §4.5.1: frameLengthFlag 0). */
export const AAC_FRAME_SAMPLES = 1024;

/**
 * AAC frames encoded before the first kept one, so the encoder (psychoacoustics, window shape,
 * bit reservoir) is warm at the join. Measured with FFmpeg 5.1's `aac` encoder on a tone sweep
 * against a continuous decode of the source (ffmpeg-cmaf.test.ts), worst 1024-sample window at
 * the join: 0 frames 15 dB SNR (audible), 2 frames 34 dB, 8 frames 60 dB (as good as anywhere
 * else). 8 frames = 171 ms of extra decode and encode per segment.
 */
export const AUDIO_PREROLL_FRAMES = 8;

/** What one segment job encodes, on the session's AAC frame grid (frame k starts at k × 1024 samples). */
export interface AudioSegmentWindow {
  /** Output sample rate: the grid's unit. */
  sampleRate: number;
  /** First sample of the first kept frame (a multiple of 1024), session timeline. */
  startSample: number;
  /** First sample after the last kept frame; undefined on the last segment (everything left). */
  endSample: number | undefined;
  /** Where encoder input starts: {@link AUDIO_PREROLL_FRAMES} frames before `startSample`, at least 0. */
  encodeFromSample: number;
}

/** Where a segment's video starts and ends on the session timeline. */
export interface SegmentSpan {
  /** Session time of the segment's first video frame (its keyframe). */
  startMs: number;
  /** Length up to the next segment's keyframe; required unless `isLast`. */
  durationMs?: number;
  /** The session's last segment: audio runs to the end of the input. */
  isLast?: boolean;
}

/** An audio window that cannot be cut (too short a segment, bad span). */
export class AudioWindowError extends Error {
  override readonly name = 'AudioWindowError';
}

/**
 * The AAC frames segment N of a transcoded audio rendition carries, so that consecutive
 * segments tile the timeline with no gap and no overlap (issue 3, gapless audio):
 * boundary(t) = the last grid frame starting at or before t − advance, where t is the video
 * segment boundary. Each job knows its own two boundaries, so any worker computes the same
 * tiling without talking to the others. Audio segments therefore end 0..21 ms (one frame)
 * plus `boundaryAdvanceMs` before their video segment does; players align tracks by
 * timestamps, not by segment edges.
 */
export function audioSegmentWindow(audio: AudioRendition, span: SegmentSpan): AudioSegmentWindow {
  const sampleRate = audio.sampleRate;
  if (audio.kind !== 'transcode' || sampleRate === undefined) {
    throw new AudioWindowError('only transcoded audio is cut on the frame grid (passthrough keeps the ingest cut)');
  }
  if (!Number.isFinite(span.startMs) || span.startMs < 0) throw new AudioWindowError(`startMs must be a time ≥ 0 (got ${span.startMs})`);
  const frameAt = (ms: number): number => Math.max(0, Math.floor(((ms - audio.boundaryAdvanceMs) * sampleRate) / 1000 / AAC_FRAME_SAMPLES));
  const startFrame = frameAt(span.startMs);
  let endFrame: number | undefined;
  if (!span.isLast) {
    const d = span.durationMs;
    if (d === undefined || !Number.isFinite(d) || d <= 0) throw new AudioWindowError(`durationMs is required and > 0 unless isLast (got ${String(d)})`);
    endFrame = frameAt(span.startMs + d);
    if (endFrame <= startFrame) {
      throw new AudioWindowError(`segment at ${span.startMs} ms lasting ${d} ms holds no whole AAC frame boundary; merge it with the next one`);
    }
  }
  return {
    sampleRate,
    startSample: startFrame * AAC_FRAME_SAMPLES,
    endSample: endFrame === undefined ? undefined : endFrame * AAC_FRAME_SAMPLES,
    encodeFromSample: Math.max(0, startFrame - AUDIO_PREROLL_FRAMES) * AAC_FRAME_SAMPLES,
  };
}
