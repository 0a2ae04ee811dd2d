import { PackagingError } from './packaging-error.js';
import type { PackagingState, SegmentOutput } from './packaging-state.js';

/** One published segment with everything the HLS and DASH writers need. */
export interface TimelineSegment {
  readonly index: number;
  readonly durationMs: number;
  /** Continuous media time (see `mediaStartMs`): DASH `S@t`. */
  readonly mediaStartMs: number;
  /**
   * Presentation time since `startedAtMs`: media time plus the wall-clock holes left by publisher
   * reconnects. HLS PROGRAM-DATE-TIME is `startedAtMs + presentationStartMs`.
   */
  readonly presentationStartMs: number;
  /** First segment after a publisher reconnect (HLS `EXT-X-DISCONTINUITY` goes before it). */
  readonly discontinuity: boolean;
  /** Discontinuities at or before this segment (HLS discontinuity sequence number). */
  readonly discontinuitySequence: number;
  readonly initVersion: number;
  /** Per rendition, in `state.renditions` order. */
  readonly outputs: readonly SegmentOutput[];
  /** Every rendition failed: the whole index is a gap. */
  readonly allFailed: boolean;
}

/**
 * The published segments `0..publishedCount-1` in order. A reconnect's wall clock opens a hole in
 * presentation time when it is later than where the media would otherwise continue; it never
 * moves presentation time backwards.
 */
export function buildTimeline(state: PackagingState): TimelineSegment[] {
  const out: TimelineSegment[] = [];
  let media = 0;
  let presentation = 0;
  let sequence = 0;
  let initVersion = 0;
  let next = 0; // next discontinuity to reach
  for (let index = 0; index < state.publishedCount; index++) {
    const record = state.segments[index];
    // The reducers only publish complete records; a hand-edited state fails loudly here.
    if (record === null || record === undefined) throw new PackagingError('corrupt-state', `published segment ${index} has no record`);
    const d = state.discontinuities[next];
    const discontinuity = d !== undefined && d.atIndex === index;
    if (discontinuity) {
      next++;
      sequence++;
      initVersion = d.initVersion;
      if (d.wallClockMs !== null) presentation = Math.max(presentation, d.wallClockMs - state.startedAtMs);
    }
    const outputs = record.outputs.map((o) => {
      if (o === null) throw new PackagingError('corrupt-state', `published segment ${index} has a pending output`);
      return o;
    });
    out.push({
      index,
      durationMs: record.durationMs,
      mediaStartMs: media,
      presentationStartMs: presentation,
      discontinuity,
      discontinuitySequence: sequence,
      initVersion,
      outputs,
      allFailed: outputs.every((o) => o.status === 'failed'),
    });
    media += record.durationMs;
    presentation += record.durationMs;
  }
  return out;
}

/** Measured bit rates of one rendition (bits/s, rounded up). */
export interface RenditionBandwidth {
  /** Highest single-segment bit rate (RFC 8216 §4.3.4.2 peak segment bit rate, one segment per window). */
  readonly peakBps: number;
  /** Total bits over total duration of the done segments. */
  readonly averageBps: number;
  /** Segments measured; 0 means both figures are the nominal bitrate of the ladder. */
  readonly measuredSegments: number;
}

/**
 * Bit rates measured over the published, done segments of every rendition (in `state.renditions`
 * order). Before anything is measured, the nominal (ladder) bitrate stands in for both.
 */
export function renditionBandwidths(state: PackagingState, timeline: readonly TimelineSegment[] = buildTimeline(state)): RenditionBandwidth[] {
  return state.renditions.map((rendition, r) => {
    let peak = 0;
    let bits = 0;
    let ms = 0;
    let count = 0;
    for (const segment of timeline) {
      const output = segment.outputs[r];
      if (output?.status !== 'done') continue;
      count++;
      bits += output.bytes * 8;
      ms += segment.durationMs;
      peak = Math.max(peak, (output.bytes * 8 * 1000) / segment.durationMs);
    }
    if (count === 0) return { peakBps: rendition.nominalBitrate, averageBps: rendition.nominalBitrate, measuredSegments: 0 };
    return { peakBps: Math.ceil(peak), averageBps: Math.ceil((bits * 1000) / ms), measuredSegments: count };
  });
}

/**
 * EXT-X-TARGETDURATION in whole seconds: the longest published segment of the whole session
 * (not just the live window, so it does not shrink as the window slides) rounded to the nearest
 * integer, which is exactly what RFC 8216 §4.3.3.1 bounds ("each EXTINF duration, rounded to
 * the nearest integer, MUST be <= the target duration"). Rounding rather than the ceiling keeps
 * 29.97 fps sources (2.002 s segments) at a 2 s target instead of 3 s (players hold back three
 * target durations). At least `minTargetDurationS`: pass the segmenter's target so the tag does
 * not change while live either (§6.2.1).
 */
export function targetDurationS(timeline: readonly TimelineSegment[], minTargetDurationS = 1): number {
  if (!(minTargetDurationS >= 0 && minTargetDurationS <= 3600)) {
    throw new PackagingError('invalid-option', 'minTargetDurationS must be in 0..3600');
  }
  let maxMs = 0;
  for (const segment of timeline) maxMs = Math.max(maxMs, segment.durationMs);
  return Math.max(Math.round(maxMs / 1000), Math.ceil(minTargetDurationS), 1);
}

/** Default number of segments a live playlist/MPD shows. */
export const DEFAULT_LIVE_WINDOW_SEGMENTS = 6;

/**
 * The segments a playlist shows: all of them once the session is a VOD (or when the window is
 * `Infinity`), else the last `windowSegments`.
 */
export function windowOf(timeline: readonly TimelineSegment[], vod: boolean, windowSegments = DEFAULT_LIVE_WINDOW_SEGMENTS): readonly TimelineSegment[] {
  if (!(windowSegments >= 1)) throw new PackagingError('invalid-option', 'windowSegments must be at least 1');
  if (vod || windowSegments === Infinity) return timeline;
  const n = Math.floor(windowSegments);
  return timeline.length <= n ? timeline : timeline.slice(timeline.length - n);
}
