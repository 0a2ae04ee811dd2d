/**
 * Cuts a live session (FLV tags in arrival order) into source segments at track-0 video key
 * frames, each one a self-contained Matroska file that FFmpeg 5.1 decodes on its own (issue 3).
 *
 * Rules:
 * - Tracks come from SequenceStart packets (video and audio track 0; E-RTMP multitrack tracks
 *   1..255 too with `includeExtraTracks`). A later complete SequenceStart replaces the config,
 *   empty ones are ignored; a change cuts at the next opportunity so a file has one config.
 * - A segment ends at the first track-0 key frame whose pts is at least `targetDurationMs` past
 *   the segment start: a segment never splits a GOP. The cut is that key frame's pts.
 * - Other tracks are split on the same presentation instant: audio with pts before the cut goes
 *   to the segment before, even when interleaved after the key frame (for up to
 *   `maxInterleaveMs`; a segment is handed out once every track has passed the cut).
 * - Without video, segments are cut at audio frames once `targetDurationMs` has elapsed.
 * - Leading pictures (later in decode order than the cutting key frame, presented before it:
 *   open-GOP HEVC RASL pictures) go to the segment they are presented in, which then also holds
 *   the key frame as their reference (SourceSegment.trailingReference).
 * - Memory is bounded: the open segment holds at most `maxSegmentBytes` of frames (a bigger GOP
 *   is cut early and the next segment reports keyframeStart false), plus the segments cut within
 *   the last `maxInterleaveMs` while they wait for interleaved frames.
 *
 * Timestamps keep the SESSION timeline (FLV timestamps; pts = dts + composition time + ModEx
 * nanosecond offset), in the Matroska files too: nothing is rebased to 0. 32-bit timestamp wrap
 * (after 49.7 days) is not handled: a session that long must be restarted.
 */
import { ProtocolError } from '@headwater/bytes';
import type { AudioDescription } from '@headwater/codecs';
import { parseAudioTag, parseVideoTag } from '@headwater/flv';
import type { AudioTag, AudioTrackPacket, VideoTag, VideoTrackPacket } from '@headwater/flv';
import { isMkvAudioCodec, isMkvVideoCodec } from './matroska-codecs.js';
import { OpenSegment } from './open-segment.js';
import type { SegmentFrame } from './open-segment.js';
import { SessionTracks, audioDescriptionForFrame, describeVideoKeyframe, trackKey } from './session-tracks.js';
import type { AudioSessionTrack, SessionTrack, TrackSnapshot, VideoSessionTrack } from './session-tracks.js';
import type { SegmentEndReason, SourceSegment, SourceSegmenterOptions, SourceSegmenterStats } from './source-segment.js';

/** A tag as FlvReader or the RTMP session delivers it: type, timestamp (UI32 ms) and body. */
export interface SegmenterTag {
  /** 8 audio, 9 video, 18 script data (ignored). */
  type: 8 | 9 | 18;
  timestampMs: number;
  body: Uint8Array;
}

export const DEFAULT_TARGET_DURATION_MS = 2000;
export const DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_INTERLEAVE_MS = 1000;

const PRIMARY_VIDEO_KEY = trackKey('video', 0);

/** Turns a session's tags into {@link SourceSegment}s. Not reentrant; one instance per session. */
export class SourceSegmenter {
  readonly stats: SourceSegmenterStats = { droppedBeforeKeyframe: 0, droppedWithoutConfig: 0, droppedUnsupported: 0, droppedLate: 0, droppedEmpty: 0 };
  private readonly targetDurationMs: number;
  private readonly maxSegmentBytes: number;
  private readonly includeExtraTracks: boolean;
  private readonly maxInterleaveMs: number;
  private readonly timecodeScaleNs: number;
  private readonly tracks = new SessionTracks();
  private current = new OpenSegment(0, undefined, undefined);
  /** Segments already cut, oldest first, waiting for frames of other tracks from before their cut. */
  private readonly closing: OpenSegment[] = [];
  private nextIndex = 1;
  /** A track-0 video key frame has been accepted since the start (or the last flush). */
  private videoStarted = false;
  /** A track of the open segment changed its configuration: cut at the next opportunity. */
  private configChanged = false;
  /** Latest decode time of any accepted frame. */
  private latestDtsMs = -Infinity;

  constructor(options: SourceSegmenterOptions = {}) {
    this.targetDurationMs = positive('targetDurationMs', options.targetDurationMs ?? DEFAULT_TARGET_DURATION_MS, true);
    this.maxSegmentBytes = positive('maxSegmentBytes', options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES, false);
    this.maxInterleaveMs = positive('maxInterleaveMs', options.maxInterleaveMs ?? DEFAULT_MAX_INTERLEAVE_MS, true);
    this.timecodeScaleNs = positive('timecodeScaleNs', options.timecodeScaleNs ?? 1_000_000, false);
    this.includeExtraTracks = options.includeExtraTracks ?? false;
  }

  /**
   * Takes the next tag and returns the segments it completed (usually none, at most a few), in
   * index order. Throws ProtocolError for an unparsable body, a malformed configuration or a
   * track whose timestamps go back; the tag is then ignored and the segmenter stays usable.
   */
  push(tag: SegmenterTag): SourceSegment[] {
    if (!Number.isFinite(tag.timestampMs) || tag.timestampMs < 0) {
      throw new ProtocolError('segmenter-bad-timestamp', `tag timestamp ${tag.timestampMs} ms`);
    }
    const out: SourceSegment[] = [];
    switch (tag.type) {
      case 18:
        return out;
      case 9: {
        const video = parseVideoTag(tag.body);
        this.checkMonotonic('video', video.tracks, tag.timestampMs);
        this.onVideo(video, tag.timestampMs, out);
        break;
      }
      case 8: {
        const audio = parseAudioTag(tag.body);
        this.checkMonotonic('audio', audio.tracks, tag.timestampMs);
        this.onAudio(audio, tag.timestampMs, out);
        break;
      }
      default: {
        const never: never = tag.type;
        throw new ProtocolError('segmenter-bad-tag-type', `tag type ${String(never)}`);
      }
    }
    // Stop waiting for tracks that lag more than maxInterleaveMs behind the stream.
    while (this.closing[0]?.cut !== undefined && this.latestDtsMs - this.closing[0].cut.atMs > this.maxInterleaveMs) this.finishOldest(out);
    this.drain(out);
    return out;
  }

  /**
   * Ends the session: returns the segment waiting for interleaved frames and the open one (whose
   * end is its last frame's end). Later pushes start a new run of segments, indexes continuing,
   * that waits for a key frame again.
   */
  flush(): SourceSegment[] {
    const out: SourceSegment[] = [];
    while (this.closing.length > 0) this.finishOldest(out);
    if (!this.current.isEmpty) {
      out.push(this.current.finish(this.current.lastFrameEndMs(), 'flush', this.timecodeScaleNs));
      this.current = new OpenSegment(this.nextIndex++, undefined, undefined);
    }
    this.videoStarted = false;
    this.configChanged = false;
    return out;
  }

  private included(trackId: number): boolean {
    return trackId === 0 || this.includeExtraTracks;
  }

  /** Validates every frame of a message before any state changes, so a bad tag leaves no trace. */
  private checkMonotonic(kind: 'video' | 'audio', packets: readonly (VideoTrackPacket | AudioTrackPacket)[], timestampMs: number): void {
    for (const p of packets) {
      if (p.packetType !== 'coded-frames' || !this.included(p.trackId)) continue;
      const t = this.tracks.get(kind, p.trackId);
      const dtsMs = timestampMs + p.timestampOffsetNs / 1e6;
      if (t !== undefined && dtsMs < t.lastDtsMs) {
        throw new ProtocolError('segmenter-non-monotonic', `${kind} track ${p.trackId} goes from ${t.lastDtsMs} ms back to ${dtsMs} ms`);
      }
    }
  }

  private onVideo(tag: VideoTag, timestampMs: number, out: SourceSegment[]): void {
    for (const p of tag.tracks) {
      if (!this.included(p.trackId)) continue;
      if (!isMkvVideoCodec(p.codec)) {
        if (p.packetType === 'coded-frames') this.stats.droppedUnsupported++;
        continue;
      }
      switch (p.packetType) {
        case 'sequence-start':
          this.configUpdated(this.tracks.setVideoConfig(p.trackId, p.codec, p.data));
          break;
        case 'coded-frames':
          this.videoFrame(p, p.codec, tag.frameType === 'key' || tag.frameType === 'generated-key', timestampMs, out);
          break;
        case 'sequence-end':
        case 'metadata':
        case 'mpeg2ts-sequence-start':
          break;
        default: {
          const never: never = p.packetType;
          throw new ProtocolError('segmenter-bad-packet', `video packet type ${String(never)}`);
        }
      }
    }
  }

  private onAudio(tag: AudioTag, timestampMs: number, out: SourceSegment[]): void {
    for (const p of tag.tracks) {
      if (!this.included(p.trackId)) continue;
      if (!isMkvAudioCodec(p.codec)) {
        if (p.packetType === 'coded-frames') this.stats.droppedUnsupported++;
        continue;
      }
      switch (p.packetType) {
        case 'sequence-start':
          this.configUpdated(this.tracks.setAudioConfig(p.trackId, p.codec, p.data));
          break;
        case 'multichannel-config':
          this.configUpdated(this.tracks.setChannels(p.trackId, p.codec, p.multichannel?.channelCount ?? 0));
          break;
        case 'coded-frames':
          this.audioFrame(p, p.codec, timestampMs, out);
          break;
        case 'sequence-end':
          break;
        default: {
          const never: never = p.packetType;
          throw new ProtocolError('segmenter-bad-packet', `audio packet type ${String(never)}`);
        }
      }
    }
  }

  /** A track's configuration changed: if the open segment already holds the track, it must end soon. */
  private configUpdated(t: SessionTrack | undefined): void {
    if (t !== undefined && this.current.has(t.key)) this.configChanged = true;
  }

  private videoFrame(p: VideoTrackPacket, codec: VideoSessionTrack['codec'], keyframe: boolean, timestampMs: number, out: SourceSegment[]): void {
    const found = this.tracks.videoTrackFor(p.trackId, codec);
    if (found === undefined) {
      this.stats.droppedWithoutConfig++;
      return;
    }
    const t = found.track;
    if (found.changed) this.configUpdated(t);
    if (p.data.length === 0) {
      this.stats.droppedEmpty++;
      return;
    }
    const dtsMs = timestampMs + p.timestampOffsetNs / 1e6;
    const ptsMs = dtsMs + p.compositionTimeMs;
    const primary = p.trackId === 0;
    if (keyframe && describeVideoKeyframe(t, p.data) === 'changed') this.configUpdated(t);
    if (t.description?.width === undefined || (primary && !this.videoStarted && !keyframe)) {
      // No size yet (VP8/VP9 before their first key frame) or nothing decodable yet.
      this.stats.droppedBeforeKeyframe++;
      return;
    }
    if (primary) this.videoStarted = true;
    const frame = this.frame(t, ptsMs, dtsMs, keyframe, p.data);
    if (primary) {
      const last = this.closing.at(-1);
      const cut = last?.cut;
      if (last !== undefined && cut?.lead !== undefined && ptsMs < cut.atMs) {
        // A leading picture of the cutting frame (open GOP: HEVC RASL, H.264 B-frames after a
        // recovery point): presented before the cut, so it belongs to the closing segment, with
        // the cutting frame stored there once as the reference it needs.
        if (!cut.lead.stored) {
          last.add(t, () => this.snapshot(t), { ...cut.lead.frame, reference: true });
          cut.lead.stored = true;
        }
        last.add(t, () => this.snapshot(t), frame);
        return;
      }
      this.passed(t.key, this.current);
      if (!this.current.isEmpty) {
        if (keyframe && this.configChanged) {
          // No leading pictures across a configuration change: they could not use the new one.
          this.cut(ptsMs, dtsMs, 'config-change', t.key, out);
        } else if (keyframe && ptsMs - this.current.startMs >= this.targetDurationMs) {
          this.cut(ptsMs, dtsMs, 'keyframe', t.key, out, frame);
        } else if (this.current.payloadBytes + p.data.length > this.maxSegmentBytes) {
          this.cut(ptsMs, dtsMs, 'size-limit', t.key, out, frame);
        }
      }
      this.current.add(t, () => this.snapshot(t), frame);
      return;
    }
    // An extra rendition follows the cuts of track 0 by decode time (its key frames line up when
    // the encoder aligned them, as OBS's Enhanced Broadcasting does).
    const target = this.segmentFor(dtsMs, true);
    if (target === undefined) {
      this.stats.droppedLate++;
      return;
    }
    this.passed(t.key, target);
    if (target !== this.current) {
      target.add(t, () => this.snapshot(t), frame);
      return;
    }
    this.sizeCheck(ptsMs, dtsMs, p.data.length, t.key, out);
    this.current.add(t, () => this.snapshot(t), frame);
  }

  private audioFrame(p: AudioTrackPacket, codec: AudioSessionTrack['codec'], timestampMs: number, out: SourceSegment[]): void {
    const found = this.tracks.audioTrackFor(p.trackId, codec);
    if (found === undefined) {
      this.stats.droppedWithoutConfig++;
      return;
    }
    const t = found.track;
    if (found.changed) this.configUpdated(t);
    if (p.data.length === 0) {
      this.stats.droppedEmpty++;
      return;
    }
    const ptsMs = timestampMs + p.timestampOffsetNs / 1e6;
    // Parse what the TrackEntry needs now, so a bad frame throws before anything changes.
    const description = audioDescriptionForFrame(t, p.data);
    const frame = this.frame(t, ptsMs, ptsMs, true, p.data);
    const snapshot = (): TrackSnapshot => this.snapshot(t, description);
    const target = this.segmentFor(ptsMs, false);
    if (target === undefined) {
      this.stats.droppedLate++;
      return;
    }
    this.passed(t.key, target);
    if (target !== this.current) {
      target.add(t, snapshot, frame);
      return;
    }
    const elapsedMs = ptsMs - this.current.startMs;
    if (!this.videoStarted && p.trackId === 0 && !this.current.isEmpty && (this.configChanged || elapsedMs >= this.targetDurationMs)) {
      this.cut(ptsMs, ptsMs, this.configChanged ? 'config-change' : 'audio', t.key, out);
    } else {
      this.sizeCheck(ptsMs, ptsMs, p.data.length, t.key, out);
    }
    this.current.add(t, snapshot, frame);
  }

  /** Builds a frame record (copying the data: tag bodies may be reused) and advances the track's clock. */
  private frame(t: SessionTrack, ptsMs: number, dtsMs: number, keyframe: boolean, data: Uint8Array): SegmentFrame {
    if (t.lastDtsMs > -Infinity && dtsMs > t.lastDtsMs) t.lastDeltaMs = dtsMs - t.lastDtsMs;
    t.lastDtsMs = dtsMs;
    t.framesSeen++;
    this.latestDtsMs = Math.max(this.latestDtsMs, dtsMs);
    return { trackKey: t.key, ptsMs, dtsMs, keyframe, data: data.slice(), streamStart: t.framesSeen === 1 };
  }

  /** The track's configuration as a segment keeps it; audio passes the description its first frame completed. */
  private snapshot(t: SessionTrack, audioDescription?: AudioDescription): TrackSnapshot {
    // Video frames are only accepted once the description has a size (videoFrame).
    const description = t.kind === 'audio' ? (audioDescription ?? t.description!) : t.description!;
    return { codec: t.codec, config: t.config, description };
  }

  private sizeCheck(ptsMs: number, dtsMs: number, bytes: number, key: string, out: SourceSegment[]): void {
    if (!this.current.isEmpty && this.current.payloadBytes + bytes > this.maxSegmentBytes) this.cut(ptsMs, dtsMs, 'size-limit', key, out);
  }

  /**
   * The segment a frame belongs to by its time (pts; decode time for extra video tracks, which
   * follow the cuts by decode order), or undefined when that segment was already handed out.
   */
  private segmentFor(timeMs: number, byDts: boolean): OpenSegment | undefined {
    for (const s of [...this.closing, this.current]) {
      const start = byDts ? s.fixedStartDtsMs : s.fixedStartMs;
      if (start !== undefined && timeMs < start) return undefined;
      if (s.cut === undefined || timeMs < (byDts ? s.cut.atDtsMs : s.cut.atMs)) return s;
    }
    return this.current;
  }

  /** A track's frame went to `segment`: it has passed the cuts of every segment before it. */
  private passed(key: string, segment: OpenSegment): void {
    for (const c of this.closing) {
      if (c === segment) return;
      c.cut?.waiting.delete(key);
    }
  }

  /** Hands out, in order, the oldest closing segments that wait for nothing more. */
  private drain(out: SourceSegment[]): void {
    while (this.closing[0]?.cut?.waiting.size === 0) this.finishOldest(out);
  }

  /**
   * Ends the open segment at presentation time `atMs`. Frames of other tracks already in it at
   * or past the cut move to the new segment; tracks that may still send earlier frames are
   * waited for (up to maxInterleaveMs), track-0 video too when `videoFrame` made the cut and
   * leading pictures of it may follow.
   */
  private cut(atMs: number, atDtsMs: number, reason: SegmentEndReason, cuttingKey: string, out: SourceSegment[], videoFrame?: SegmentFrame): void {
    const old = this.current;
    const pastCut = (f: SegmentFrame): boolean =>
      f.trackKey !== PRIMARY_VIDEO_KEY && f.trackKey !== cuttingKey && (f.trackKey.startsWith('video:') ? f.dtsMs >= atDtsMs : f.ptsMs >= atMs);
    this.configChanged = false;
    if (old.frames.every(pastCut)) {
      // Nothing would be left before the cut: keep the segment (and its index), with fresh configs.
      this.current = new OpenSegment(old.index, old.fixedStartMs, old.fixedStartDtsMs);
      for (const f of old.frames) this.readd(this.current, f);
      return;
    }
    this.current = new OpenSegment(this.nextIndex++, atMs, atDtsMs);
    const moved = old.removeWhere(pastCut);
    for (const f of moved) this.readd(this.current, f);
    // Every other track of the session that has not reached the cut yet may still send frames
    // for the old segment (a configured track that stays silent delays it by maxInterleaveMs).
    const waiting = new Set<string>();
    for (const t of this.tracks.values()) {
      if (t.key === PRIMARY_VIDEO_KEY || t.key === cuttingKey) continue;
      if (t.lastDtsMs < (t.kind === 'video' ? atDtsMs : atMs)) waiting.add(t.key);
    }
    old.cut = { atMs, atDtsMs, reason, waiting };
    if (videoFrame !== undefined) {
      waiting.add(PRIMARY_VIDEO_KEY);
      old.cut.lead = { frame: videoFrame, stored: false };
    }
    this.closing.push(old);
    this.drain(out);
  }

  private readd(segment: OpenSegment, f: SegmentFrame): void {
    const t = this.tracks.byTrackKey(f.trackKey)!;
    segment.add(t, () => this.snapshot(t, t.kind === 'audio' ? audioDescriptionForFrame(t, f.data) : undefined), f);
  }

  private finishOldest(out: SourceSegment[]): void {
    const c = this.closing.shift();
    if (c?.cut !== undefined) out.push(c.finish(c.cut.atMs, c.cut.reason, this.timecodeScaleNs));
  }
}

function positive(name: string, value: number, allowFraction: boolean): number {
  if (!Number.isFinite(value) || value <= 0 || (!allowFraction && !Number.isInteger(value))) {
    throw new ProtocolError('bad-argument', `${name} must be a positive ${allowFraction ? 'number' : 'integer'}, got ${value}`);
  }
  return value;
}
