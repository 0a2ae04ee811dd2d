/**
 * A segment being filled by the segmenter, and its conversion into a {@link SourceSegment}:
 * the Matroska file plus per-track summaries and bitrates.
 */
import type { AudioDescription, VideoDescription } from '@headwater/codecs';
import { opusHeadWithPreSkip, synthesizeOpusHead } from './matroska-codecs.js';
import type { MkvAudioCodec, MkvVideoCodec } from './matroska-codecs.js';
import { writeMatroskaSegment } from './matroska-writer.js';
import type { MkvFrame, MkvTrack } from './matroska-writer.js';
import { frameDurationMs } from './session-tracks.js';
import type { SessionTrack, TrackSnapshot } from './session-tracks.js';
import type { SegmentEndReason, SourceAudioTrack, SourceSegment, SourceVideoTrack } from './source-segment.js';

/** One frame kept for a segment (its data is an owned copy). */
export interface SegmentFrame {
  trackKey: string;
  ptsMs: number;
  dtsMs: number;
  keyframe: boolean;
  data: Uint8Array;
  /** The track's first frame of the session (Opus pre-skip applies to it only). */
  streamStart: boolean;
  /**
   * The next segment's first frame, stored after this segment's frames only as the reference
   * its leading pictures need (written with the Matroska Invisible flag, not counted).
   */
  reference?: true;
}

/** What a segment knows about one of its tracks. */
interface SegmentTrack {
  session: SessionTrack;
  snapshot: TrackSnapshot;
  frameCount: number;
  payloadBytes: number;
  firstPtsMs: number;
  maxPtsMs: number;
  firstDtsMs: number;
  lastDtsMs: number;
  startsWithKeyframe: boolean;
  /** The track's first frame of the session is in this segment. */
  holdsStreamStart: boolean;
}

/** Where a closed segment was cut, and what it still waits for. */
export interface SegmentCut {
  /** Presentation time of the cut: the next segment's start. */
  atMs: number;
  /**
   * The track-0 video frame that made the cut, while its leading pictures (later in decode
   * order, presented before it) may still come; `stored` once it went in as their reference.
   */
  lead?: { frame: SegmentFrame; stored: boolean };
  /** Decode time of the cutting frame (extra video tracks are split on it). */
  atDtsMs: number;
  reason: SegmentEndReason;
  /** Keys of the tracks that may still deliver frames earlier than the cut. */
  waiting: Set<string>;
}

export class OpenSegment {
  frames: SegmentFrame[] = [];
  readonly tracks = new Map<string, SegmentTrack>();
  payloadBytes = 0;
  cut: SegmentCut | undefined;
  /** A reference frame of the next segment ends the file. */
  hasReferenceTail = false;
  private minPtsMs = Infinity;

  /**
   * @param fixedStartMs presentation time of the cut that opened it; undefined for the first
   * segment of a session, which starts at its earliest frame.
   * @param fixedStartDtsMs decode time of the frame that made that cut.
   */
  constructor(
    readonly index: number,
    readonly fixedStartMs: number | undefined,
    readonly fixedStartDtsMs: number | undefined,
  ) {}

  get startMs(): number {
    return this.fixedStartMs ?? this.minPtsMs;
  }

  get isEmpty(): boolean {
    return this.frames.length === 0;
  }

  has(key: string): boolean {
    return this.tracks.has(key);
  }

  add(session: SessionTrack, snapshot: () => TrackSnapshot, frame: SegmentFrame): void {
    if (frame.reference) {
      this.frames.push(frame);
      this.hasReferenceTail = true;
      return;
    }
    let t = this.tracks.get(session.key);
    if (t === undefined) {
      t = {
        session,
        snapshot: snapshot(),
        frameCount: 0,
        payloadBytes: 0,
        firstPtsMs: frame.ptsMs,
        maxPtsMs: frame.ptsMs,
        firstDtsMs: frame.dtsMs,
        lastDtsMs: frame.dtsMs,
        startsWithKeyframe: frame.keyframe,
        holdsStreamStart: frame.streamStart,
      };
      this.tracks.set(session.key, t);
    }
    t.frameCount++;
    t.payloadBytes += frame.data.length;
    t.maxPtsMs = Math.max(t.maxPtsMs, frame.ptsMs);
    t.lastDtsMs = frame.dtsMs;
    this.payloadBytes += frame.data.length;
    this.minPtsMs = Math.min(this.minPtsMs, frame.ptsMs);
    this.frames.push(frame);
  }

  /**
   * Takes out the frames `take` selects and returns them in order; the remaining tracks keep
   * their snapshots, their counters are recomputed.
   */
  removeWhere(take: (f: SegmentFrame) => boolean): SegmentFrame[] {
    const taken = this.frames.filter(take);
    if (taken.length === 0) return taken;
    const kept = this.frames.filter((f) => !take(f));
    const snapshots = new Map([...this.tracks].map(([k, t]) => [k, { session: t.session, snapshot: t.snapshot }]));
    this.frames = [];
    this.tracks.clear();
    this.hasReferenceTail = false;
    this.payloadBytes = 0;
    this.minPtsMs = Infinity;
    for (const f of kept) {
      const s = snapshots.get(f.trackKey)!;
      this.add(s.session, () => s.snapshot, f);
    }
    return taken;
  }

  /** End of the last frame of any track (its pts plus one frame duration estimate). */
  lastFrameEndMs(): number {
    let end = this.startMs;
    for (const t of this.tracks.values()) end = Math.max(end, t.maxPtsMs + frameDurationMs(t.session));
    return end;
  }

  /** Writes the Matroska file and the summaries. `endMs` is the next segment's start or the last frame's end. */
  finish(endMs: number, reason: SegmentEndReason, timecodeScaleNs: number): SourceSegment {
    const startMs = this.startMs;
    const durationMs = Math.max(0, endMs - startMs);
    const ordered = [...this.tracks.values()].sort((a, b) =>
      a.session.kind === b.session.kind ? a.session.flvTrackId - b.session.flvTrackId : a.session.kind === 'video' ? -1 : 1,
    );
    const numbers = new Map<string, number>();
    ordered.forEach((t, i) => numbers.set(t.session.key, i + 1));
    const mkvTracks = ordered.map((t, i) => mkvTrack(t, i + 1));
    const mkvFrames: MkvFrame[] = this.frames.map((f) => ({
      track: numbers.get(f.trackKey)!,
      ptsMs: f.ptsMs,
      dtsMs: f.dtsMs,
      keyframe: f.keyframe,
      data: f.data,
      ...(f.reference ? { decodeOnly: true } : {}),
    }));
    const bytes = writeMatroskaSegment({ tracks: mkvTracks, frames: mkvFrames, timecodeScaleNs, durationMs });
    const bps = (payloadBytes: number): number => (durationMs > 0 ? Math.round((payloadBytes * 8 * 1000) / durationMs) : 0);
    const video: SourceVideoTrack[] = [];
    const audio: SourceAudioTrack[] = [];
    ordered.forEach((t, i) => {
      const common = {
        trackNumber: i + 1,
        flvTrackId: t.session.flvTrackId,
        codecString: t.snapshot.description.codecString,
        frameCount: t.frameCount,
        payloadBytes: t.payloadBytes,
        bitrateBps: bps(t.payloadBytes),
        firstPtsMs: t.firstPtsMs,
      };
      if (t.session.kind === 'video') {
        const description = t.snapshot.description as VideoDescription;
        const v: SourceVideoTrack = {
          ...common,
          kind: 'video',
          codec: t.snapshot.codec as MkvVideoCodec,
          width: description.width ?? 0,
          height: description.height ?? 0,
          startsWithKeyframe: t.startsWithKeyframe,
          description,
        };
        const measured = t.frameCount > 1 && t.lastDtsMs > t.firstDtsMs ? ((t.frameCount - 1) * 1000) / (t.lastDtsMs - t.firstDtsMs) : undefined;
        const frameRate = description.frameRate ?? measured;
        if (frameRate !== undefined) v.frameRate = frameRate;
        video.push(v);
      } else {
        const description = t.snapshot.description as AudioDescription;
        audio.push({
          ...common,
          kind: 'audio',
          codec: t.snapshot.codec as MkvAudioCodec,
          sampleRate: description.sampleRate ?? 0,
          channels: description.channels ?? 0,
          description,
        });
      }
    });
    const primary = ordered.find((t) => t.session.kind === 'video' && t.session.flvTrackId === 0);
    return {
      index: this.index,
      startMs,
      endMs,
      durationMs,
      keyframeStart: primary === undefined || primary.startsWithKeyframe,
      endReason: reason,
      trailingReference: this.hasReferenceTail,
      bytes,
      bitrateBps: bps(this.payloadBytes),
      video,
      audio,
    };
  }
}

function mkvTrack(t: SegmentTrack, number: number): MkvTrack {
  const s = t.snapshot;
  const d = s.description;
  if (t.session.kind === 'video') {
    const vd = d as VideoDescription;
    const track: MkvTrack = { number, kind: 'video', codec: s.codec };
    if (s.config !== undefined) track.codecPrivate = s.config;
    if (vd.width !== undefined && vd.height !== undefined) {
      track.width = vd.width;
      track.height = vd.height;
    }
    if (vd.frameRate !== undefined && vd.frameRate > 0) track.defaultDurationNs = 1e9 / vd.frameRate;
    return track;
  }
  const ad = d as AudioDescription;
  const track: MkvTrack = { number, kind: 'audio', codec: s.codec };
  if (ad.sampleRate !== undefined) track.sampleRate = ad.sampleRate;
  if (ad.channels !== undefined) track.channels = ad.channels;
  if (s.codec === 'Opus') {
    // Pre-skip trims the start of the STREAM (RFC 7845 §4.2). A segment cut later starts with real
    // samples: a zero pre-skip (and so no CodecDelay) keeps its audio from losing 6.5 ms at the join.
    const head = s.config ?? synthesizeOpusHead(ad.channels ?? 2);
    track.codecPrivate = t.holdsStreamStart ? head : opusHeadWithPreSkip(head, 0);
  } else if (s.config !== undefined) {
    track.codecPrivate = s.config;
  }
  return track;
}
