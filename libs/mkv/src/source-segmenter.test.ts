import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FlvReader, parseVideoTag } from '@headwater/flv';
import { fixturePath } from '@headwater/testkit';
import { ProtocolError } from '@headwater/bytes';
import { parseOpusHead } from '@headwater/codecs';
import { SourceSegmenter } from './source-segmenter.js';
import type { SegmenterTag } from './source-segmenter.js';
import type { SourceSegment, SourceSegmenterOptions } from './source-segment.js';
import { readMatroska } from './testing/ebml-reader.js';
import { AAC_LC_48K_STEREO, aacFrame, audioTag, videoTag, vp8Frame } from './testing/media-builders.js';
import { syntheticSession } from './testing/synthetic-session.js';

function run(tags: SegmenterTag[], options?: SourceSegmenterOptions): { segments: SourceSegment[]; segmenter: SourceSegmenter } {
  const segmenter = new SourceSegmenter(options);
  const segments: SourceSegment[] = [];
  for (const t of tags) segments.push(...segmenter.push(t));
  segments.push(...segmenter.flush());
  return { segments, segmenter };
}

/** Blocks of one kind in a segment's file, with their timestamps in ms. */
function blocks(seg: SourceSegment, kind: 'video' | 'audio', flvTrackId = 0): { ms: number; keyframe: boolean; size: number }[] {
  const mkv = readMatroska(seg.bytes);
  const summary = (kind === 'video' ? seg.video : seg.audio).find((t) => t.flvTrackId === flvTrackId);
  if (summary === undefined) return [];
  return mkv.blocks.filter((b) => b.track === summary.trackNumber).map((b) => ({ ms: b.ticks, keyframe: b.keyframe, size: b.data.length }));
}

/** The avcC of the H.264 fixture (the segmenter describes it, so it must be real). */
function fixtureAvcC(): Uint8Array {
  const tags = new FlvReader().push(readFileSync(fixturePath('h264_aac.flv')).subarray(0, 4096));
  for (const t of tags) {
    if (t.type !== 9) continue;
    const p = parseVideoTag(t.body).tracks[0];
    if (p?.packetType === 'sequence-start') return p.data.slice();
  }
  throw new Error('no avcC in h264_aac.flv');
}

const noDrops = { droppedBeforeKeyframe: 0, droppedWithoutConfig: 0, droppedUnsupported: 0, droppedLate: 0, droppedEmpty: 0 };

describe('SourceSegmenter', () => {
  it('cuts at the first key frame at least the target past the start, on the session timeline', () => {
    const { tags } = syntheticSession({ durationMs: 7000, fps: 25, gopFrames: 25 });
    const { segments, segmenter } = run(tags);
    expect(segments.map((s) => [s.index, s.startMs, s.endMs, s.endReason, s.keyframeStart])).toEqual([
      [0, 0, 2000, 'keyframe', true],
      [1, 2000, 4000, 'keyframe', true],
      [2, 4000, 6000, 'keyframe', true],
      [3, 6000, 7000, 'flush', true],
    ]);
    expect(segmenter.stats).toEqual(noDrops);
    const s1 = segments[1]!;
    expect(s1.durationMs).toBe(2000);
    expect(blocks(s1, 'video')).toHaveLength(50);
    expect(blocks(s1, 'video')[0]).toMatchObject({ ms: 2000, keyframe: true });
    expect(blocks(s1, 'audio').map((b) => b.ms)).toEqual(Array.from({ length: 100 }, (_, i) => 2000 + i * 20));
    expect(s1.video[0]).toMatchObject({ trackNumber: 1, flvTrackId: 0, codec: 'vp08', width: 640, height: 360, frameCount: 50, startsWithKeyframe: true });
    expect(s1.video[0]!.frameRate).toBeCloseTo(25);
    expect(s1.audio[0]).toMatchObject({ trackNumber: 2, codec: 'mp4a', codecString: 'mp4a.40.2', sampleRate: 48000, channels: 2, frameCount: 100 });
    expect(readMatroska(s1.bytes).duration).toBe(2000);
  });

  it('never splits a GOP longer than the target', () => {
    const { tags } = syntheticSession({ durationMs: 9000, fps: 30, gopFrames: 90 });
    const { segments } = run(tags);
    expect(segments.map((s) => [s.startMs, s.endReason])).toEqual([
      [0, 'keyframe'],
      [3000, 'keyframe'],
      [6000, 'flush'],
    ]);
    expect(segments.map((s) => s.durationMs)).toEqual([3000, 3000, expect.closeTo(3000, -1.5)]);
  });

  it('splits audio on the key frame pts, also audio sent after the key frame (B-frames, lagging audio)', () => {
    const { tags, frames } = syntheticSession({ durationMs: 6000, fps: 25, gopFrames: 25, bFrames: true, audioLagMs: 300, avcC: fixtureAvcC() });
    const { segments, segmenter } = run(tags);
    expect(segmenter.stats).toEqual(noDrops);
    // Key frames: dts 0, 1000, …; pts one frame later.
    expect(segments.map((s) => [s.startMs, s.endMs])).toEqual([
      [0, 2040],
      [2040, 4040],
      [4040, 6040],
    ]);
    let audio = 0;
    for (const s of segments) {
      const a = blocks(s, 'audio');
      audio += a.length;
      for (const b of a) {
        expect(b.ms).toBeGreaterThanOrEqual(s.startMs);
        expect(b.ms).toBeLessThan(s.endMs);
      }
      const v = blocks(s, 'video');
      expect(v[0]!.keyframe).toBe(true);
      expect(Math.min(...v.map((b) => b.ms))).toBe(s.index === 0 ? 40 : s.startMs);
    }
    expect(audio).toBe(frames.filter((f) => f.kind === 'audio').length);
  });

  it('hands a segment out as soon as every track has passed the cut', () => {
    const { tags } = syntheticSession({ durationMs: 5000, fps: 25, gopFrames: 50 });
    const segmenter = new SourceSegmenter();
    const handed: SegmenterTag[] = [];
    for (const t of tags) if (segmenter.push(t).length > 0) handed.push(t);
    // The key frame at 2000 cuts; the audio frame at 2000 and the next video frame (it could have
    // been a leading picture) complete segment 0.
    expect(handed.map((t) => [t.type, t.timestampMs])).toEqual([
      [9, 2040],
      [9, 4040],
    ]);
  });

  it('keeps leading pictures of an open GOP with the segment they are presented in', () => {
    const { tags, frames } = syntheticSession({ durationMs: 6000, fps: 25, gopFrames: 50, openGop: true, avcC: fixtureAvcC() });
    const { segments, segmenter } = run(tags);
    expect(segmenter.stats).toEqual(noDrops);
    expect(segments.map((s) => [s.startMs, s.endMs, s.trailingReference])).toEqual([
      [0, 2040, true],
      [2040, 4040, true],
      [4040, 6040, false],
    ]);
    let visible = 0;
    for (const s of segments) {
      const video = readMatroska(s.bytes).blocks.filter((b) => b.track === s.video[0]!.trackNumber);
      const shown = video.filter((b) => !b.invisible);
      visible += shown.length;
      for (const b of shown) {
        expect(b.ticks).toBeGreaterThanOrEqual(s.startMs);
        expect(b.ticks).toBeLessThan(s.endMs);
      }
      expect(shown[0]!.keyframe).toBe(true);
      expect(s.video[0]!.frameCount).toBe(shown.length);
      const hidden = video.filter((b) => b.invisible);
      // The next key frame, stored once, just before the two leading pictures that need it.
      expect(hidden.map((b) => [b.ticks, b.keyframe])).toEqual(s.trailingReference ? [[s.endMs, true]] : []);
      if (s.trailingReference) expect(video.slice(-3).map((b) => b.invisible)).toEqual([true, false, false]);
    }
    expect(visible).toBe(frames.filter((f) => f.kind === 'video').length);
  });

  it('drops frames that come after their segment was handed out (maxInterleaveMs)', () => {
    const { tags } = syntheticSession({ durationMs: 5000, fps: 25, gopFrames: 50, audioLagMs: 600 });
    const { segments, segmenter } = run(tags, { maxInterleaveMs: 200 });
    expect(segmenter.stats.droppedLate).toBeGreaterThan(0);
    for (const s of segments) for (const b of blocks(s, 'audio')) expect(b.ms).toBeGreaterThanOrEqual(s.startMs);
  });

  it('cuts audio-only sessions on audio frames', () => {
    const { tags } = syntheticSession({ durationMs: 5000, fps: 0, audioFrameMs: 21 });
    const { segments } = run(tags);
    expect(segments.map((s) => [s.startMs, s.endMs, s.endReason, s.keyframeStart, s.video.length])).toEqual([
      [0, 2016, 'audio', true, 0],
      [2016, 4032, 'audio', true, 0],
      [4032, 5019, 'flush', true, 0],
    ]);
  });

  it('starts video in an audio-only run at its first key frame', () => {
    const audioFirst = syntheticSession({ durationMs: 6000, fps: 0 }).tags;
    const video = syntheticSession({ durationMs: 6000, fps: 25, gopFrames: 25, audioFrameMs: 0 }).tags;
    // Video joins at 3000 ms (its config and frames from there on).
    const late = video.filter((t) => t.timestampMs >= 3000 || t === video[0]);
    const merged = [...audioFirst, ...late].sort((a, b) => a.timestampMs - b.timestampMs);
    const { segments, segmenter } = run(merged);
    // The key frame at 3000 is only 1 s into segment 1, so that segment takes it and ends at 4000.
    expect(segments.map((s) => [s.startMs, s.endReason, s.keyframeStart, s.video.length])).toEqual([
      [0, 'audio', true, 0],
      [2000, 'keyframe', true, 1],
      [4000, 'flush', true, 1],
    ]);
    expect(segments[1]!.video[0]!.firstPtsMs).toBe(3000);
    expect(segmenter.stats.droppedBeforeKeyframe).toBe(0);
  });

  it('cuts a GOP larger than maxSegmentBytes early; the next segment does not start on a key frame', () => {
    const { tags } = syntheticSession({ durationMs: 4000, fps: 25, gopFrames: 100, videoFrameBytes: 1000 });
    const { segments } = run(tags, { maxSegmentBytes: 30_000 });
    expect(segments.length).toBeGreaterThan(2);
    for (const s of segments) expect(s.video[0]!.payloadBytes + s.audio[0]!.payloadBytes).toBeLessThanOrEqual(30_000);
    expect(segments[0]).toMatchObject({ keyframeStart: true, endReason: 'size-limit' });
    expect(segments[1]).toMatchObject({ keyframeStart: false });
    expect(segments[1]!.video[0]!.startsWithKeyframe).toBe(false);
    for (let i = 1; i < segments.length; i++) expect(segments[i]!.startMs).toBe(segments[i - 1]!.endMs);
  });

  it('computes bitrates from payload bytes and duration', () => {
    const { tags } = syntheticSession({ durationMs: 4000, fps: 25, gopFrames: 50, videoFrameBytes: 990 });
    const [s0] = run(tags).segments;
    // 50 frames of 1000 bytes (10-byte VP8 key/3-byte inter header + 990) over 2 s, plus 100 AAC frames of 24 bytes.
    const videoBytes = 10 + 990 + 49 * (3 + 990);
    expect(s0!.video[0]!.payloadBytes).toBe(videoBytes);
    expect(s0!.video[0]!.bitrateBps).toBe(Math.round((videoBytes * 8) / 2));
    expect(s0!.audio[0]!.bitrateBps).toBe(Math.round((2400 * 8) / 2));
    expect(s0!.bitrateBps).toBe(Math.round(((videoBytes + 2400) * 8) / 2));
  });

  describe('configurations', () => {
    const key = (ms: number): SegmenterTag => videoTag(ms, 'key', { codec: 'vp08', packetType: 'coded-frames', data: vp8Frame(true) });
    const inter = (ms: number): SegmenterTag => videoTag(ms, 'inter', { codec: 'vp08', packetType: 'coded-frames', data: vp8Frame(false) });
    const aac = (ms: number): SegmenterTag => audioTag(ms, { codec: 'mp4a', packetType: 'coded-frames', data: aacFrame() });
    const asc = (ms: number, data: Uint8Array): SegmenterTag => audioTag(ms, { codec: 'mp4a', packetType: 'sequence-start', data });

    it('cuts at the next key frame after a changed configuration, and takes the new one', () => {
      const asc441 = Uint8Array.of(0x12, 0x10);
      const tags = [asc(0, AAC_LC_48K_STEREO), key(0), aac(0), inter(40), aac(40), asc(80, asc441), aac(80), inter(80), key(120), aac(120), inter(160)];
      const { segments } = run(tags);
      expect(segments.map((s) => [s.startMs, s.endReason, s.audio[0]?.sampleRate])).toEqual([
        [0, 'config-change', 48000],
        [120, 'flush', 44100],
      ]);
      expect(readMatroska(segments[1]!.bytes).tracks[1]!.codecPrivate).toEqual(asc441);
    });

    it('ignores a repeated identical configuration and an empty one', () => {
      const tags = [asc(0, AAC_LC_48K_STEREO), key(0), aac(0), asc(40, AAC_LC_48K_STEREO), asc(40, new Uint8Array(0)), aac(40), key(80), aac(80)];
      const { segments } = run(tags);
      expect(segments).toHaveLength(1);
      expect(segments[0]!.audio[0]!.frameCount).toBe(3);
    });

    it('drops frames of a codec whose configuration has not come yet (the veovera files open with an empty one)', () => {
      const tags = [
        videoTag(0, 'key', { codec: 'avc1', packetType: 'sequence-start', data: new Uint8Array(0) }),
        videoTag(0, 'key', { codec: 'avc1', packetType: 'coded-frames', data: Uint8Array.of(0, 0, 0, 1, 0x65) }),
        aac(0),
        asc(10, AAC_LC_48K_STEREO),
        aac(20),
      ];
      const { segments, segmenter } = run(tags);
      expect(segmenter.stats).toMatchObject({ droppedWithoutConfig: 2 });
      expect(segments).toHaveLength(1);
      expect(segments[0]!.video).toEqual([]);
      expect(segments[0]!.audio[0]!.frameCount).toBe(1);
    });

    it('drops video before the first key frame and empty frames', () => {
      const tags = [asc(0, AAC_LC_48K_STEREO), inter(0), aac(0), videoTag(20, 'key', { codec: 'vp08', packetType: 'coded-frames', data: new Uint8Array(0) }), key(40), aac(40)];
      const { segments, segmenter } = run(tags);
      expect(segmenter.stats).toMatchObject({ droppedBeforeKeyframe: 1, droppedEmpty: 1 });
      expect(segments[0]!.keyframeStart).toBe(true);
      expect(segments[0]!.startMs).toBe(0);
    });

    it('skips codecs Matroska segments do not carry', () => {
      // Legacy Speex (SoundFormat 11) and Sorenson H.263 (CodecID 2).
      const tags: SegmenterTag[] = [{ type: 8, timestampMs: 0, body: Uint8Array.of(0xb6, 1, 2) }, { type: 9, timestampMs: 0, body: Uint8Array.of(0x12, 1, 2) }, key(0)];
      const { segments, segmenter } = run(tags);
      expect(segmenter.stats.droppedUnsupported).toBe(2);
      expect(segments[0]!.audio).toEqual([]);
    });
  });

  describe('Opus', () => {
    const opus = (ms: number): SegmenterTag => audioTag(ms, { codec: 'Opus', packetType: 'coded-frames', data: Uint8Array.of(0xfc, 0xff, 0xfe) });

    it('keeps the pre-skip in the first segment only, synthesising a head from MultichannelConfig', () => {
      const tags: SegmenterTag[] = [
        audioTag(0, { codec: 'Opus', packetType: 'sequence-start', data: new Uint8Array(0) }),
        { type: 8, timestampMs: 0, body: Uint8Array.of(0x94, 0x4f, 0x70, 0x75, 0x73, 0x00, 0x01) }, // MultichannelConfig: unspecified, 1 channel
      ];
      for (let t = 0; t < 5000; t += 20) tags.push(opus(t));
      const { segments } = run(tags, { targetDurationMs: 2000 });
      expect(segments.map((s) => s.startMs)).toEqual([0, 2000, 4000]);
      const heads = segments.map((s) => parseOpusHead(readMatroska(s.bytes).tracks[0]!.codecPrivate!));
      expect(heads.map((h) => [h.channelCount, h.preSkip])).toEqual([
        [1, 312],
        [1, 0],
        [1, 0],
      ]);
      expect(readMatroska(segments[0]!.bytes).tracks[0]!.codecDelayNs).toBe(6_500_000);
      expect(readMatroska(segments[1]!.bytes).tracks[0]!.codecDelayNs).toBeUndefined();
      expect(segments[0]!.audio[0]).toMatchObject({ codec: 'Opus', sampleRate: 48000, channels: 1 });
    });
  });

  describe('multitrack', () => {
    const tags = (): SegmenterTag[] => {
      const out: SegmenterTag[] = [];
      for (let i = 0; i < 100; i++) {
        const ms = i * 40;
        const keyframe = i % 25 === 0;
        for (const trackId of [0, 1]) {
          out.push(videoTag(ms, keyframe ? 'key' : 'inter', { trackId, codec: 'vp08', packetType: 'coded-frames', data: vp8Frame(keyframe, 640 / (trackId + 1), 360 / (trackId + 1)) }));
        }
        out.push(audioTag(ms, { codec: 'mp4a', packetType: 'coded-frames', data: aacFrame() }));
        out.push(audioTag(ms, { trackId: 2, codec: 'mp4a', packetType: 'coded-frames', data: aacFrame() }));
      }
      return [audioTag(0, { codec: 'mp4a', packetType: 'sequence-start', data: AAC_LC_48K_STEREO }), audioTag(0, { trackId: 2, codec: 'mp4a', packetType: 'sequence-start', data: AAC_LC_48K_STEREO }), ...out];
    };

    it('keeps only the default tracks by default', () => {
      const { segments } = run(tags());
      expect(segments[0]!.video.map((v) => v.flvTrackId)).toEqual([0]);
      expect(segments[0]!.audio.map((a) => a.flvTrackId)).toEqual([0]);
    });

    it('carries extra tracks on request, numbered video first, each kind by track id', () => {
      const { segments } = run(tags(), { includeExtraTracks: true });
      expect(segments.map((s) => s.startMs)).toEqual([0, 2000]);
      for (const s of segments) {
        expect(s.video.map((v) => [v.trackNumber, v.flvTrackId, v.width, v.startsWithKeyframe])).toEqual([
          [1, 0, 640, true],
          [2, 1, 320, true],
        ]);
        expect(s.audio.map((a) => [a.trackNumber, a.flvTrackId])).toEqual([
          [3, 0],
          [4, 2],
        ]);
        expect(blocks(s, 'video', 1)).toHaveLength(50);
        expect(blocks(s, 'audio', 2)).toHaveLength(50);
      }
    });
  });

  it('adds ModEx nanosecond offsets to the timestamps', () => {
    const tags = [
      videoTag(0, 'key', { codec: 'vp08', packetType: 'coded-frames', data: vp8Frame(true), timestampOffsetNs: 500_000 }),
      videoTag(33, 'inter', { codec: 'vp08', packetType: 'coded-frames', data: vp8Frame(false), timestampOffsetNs: 333_333 }),
    ];
    const { segments } = run(tags, { timecodeScaleNs: 1000 });
    expect(segments[0]!.startMs).toBe(0.5);
    expect(readMatroska(segments[0]!.bytes).blocks.map((b) => b.ticks)).toEqual([500, 33_333]);
  });

  describe('bad input', () => {
    it('rejects a timestamp going back on a track, and stays usable', () => {
      const segmenter = new SourceSegmenter();
      segmenter.push(audioTag(0, { codec: 'mp4a', packetType: 'sequence-start', data: AAC_LC_48K_STEREO }));
      segmenter.push(audioTag(100, { codec: 'mp4a', packetType: 'coded-frames', data: aacFrame() }));
      const err = (() => {
        try {
          segmenter.push(audioTag(99, { codec: 'mp4a', packetType: 'coded-frames', data: aacFrame() }));
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe('segmenter-non-monotonic');
      segmenter.push(audioTag(120, { codec: 'mp4a', packetType: 'coded-frames', data: aacFrame() }));
      const [seg] = segmenter.flush();
      expect(blocks(seg!, 'audio').map((b) => b.ms)).toEqual([100, 120]);
    });

    it.each([
      { name: 'tag type', tag: { type: 7 as never, timestampMs: 0, body: new Uint8Array(1) }, code: 'segmenter-bad-tag-type' },
      { name: 'negative timestamp', tag: { type: 9 as const, timestampMs: -1, body: new Uint8Array(1) }, code: 'segmenter-bad-timestamp' },
      { name: 'truncated body', tag: { type: 9 as const, timestampMs: 0, body: Uint8Array.of(0x17) }, code: 'truncated' },
      { name: 'malformed config', tag: audioTag(0, { codec: 'fLaC', packetType: 'sequence-start', data: Uint8Array.of(1, 2, 3) }), code: 'truncated' },
    ])('rejects a bad $name with ProtocolError', ({ tag, code }) => {
      expect(() => new SourceSegmenter().push(tag)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
    });

    it('ignores script data', () => {
      expect(new SourceSegmenter().push({ type: 18, timestampMs: 0, body: Uint8Array.of(2, 0, 1, 0x41) })).toEqual([]);
    });

    it.each([
      { targetDurationMs: 0 },
      { targetDurationMs: NaN },
      { maxSegmentBytes: 1.5 },
      { maxSegmentBytes: -1 },
      { maxInterleaveMs: Infinity },
      { timecodeScaleNs: 0 },
    ])('rejects options %o', (options) => {
      expect(() => new SourceSegmenter(options)).toThrow(ProtocolError);
    });
  });

  it('returns nothing on an empty flush and continues indexes after one', () => {
    const segmenter = new SourceSegmenter();
    expect(segmenter.flush()).toEqual([]);
    const { tags } = syntheticSession({ durationMs: 1000, fps: 25, gopFrames: 25 });
    for (const t of tags) segmenter.push(t);
    expect(segmenter.flush().map((s) => s.index)).toEqual([0]);
    const again = syntheticSession({ durationMs: 1000, fps: 25, gopFrames: 25 }).tags.map((t) => ({ ...t, timestampMs: t.timestampMs + 5000 }));
    for (const t of again) segmenter.push(t);
    expect(segmenter.flush().map((s) => [s.index, s.startMs])).toEqual([[1, 5000]]);
  });
});
