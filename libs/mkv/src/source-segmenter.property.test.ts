import { readFileSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { FlvReader, parseVideoTag } from '@headwater/flv';
import { fixturePath } from '@headwater/testkit';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { SourceSegmenter } from './source-segmenter.js';
import type { SourceSegment } from './source-segment.js';
import { readMatroska, walkEbml } from './testing/ebml-reader.js';
import { syntheticSession } from './testing/synthetic-session.js';

const sessionArb = fc.record({
  durationMs: fc.integer({ min: 200, max: 12_000 }),
  fps: fc.constantFrom(0, 24, 25, 30, 60),
  gopFrames: fc.integer({ min: 1, max: 120 }),
  audioFrameMs: fc.constantFrom(0, 20, 21, 23),
  audioLagMs: fc.integer({ min: 0, max: 400 }),
  targetDurationMs: fc.integer({ min: 300, max: 4000 }),
  bFrames: fc.boolean(),
  openGop: fc.boolean(),
});

/** A real avcC (the segmenter describes it); B-frame reordering needs a NALU codec's composition times. */
const avcC = ((): Uint8Array => {
  for (const t of new FlvReader().push(readFileSync(fixturePath('h264_aac.flv')).subarray(0, 4096))) {
    const p = t.type === 9 ? parseVideoTag(t.body).tracks[0] : undefined;
    if (p?.packetType === 'sequence-start') return p.data.slice();
  }
  throw new Error('no avcC in h264_aac.flv');
})();

describe('SourceSegmenter (properties)', () => {
  fcTest.prop([sessionArb], { numRuns: 60 })('segments tile the session, start on key frames, and hold every frame once', (spec) => {
    fc.pre(spec.fps > 0 || spec.audioFrameMs > 0);
    fc.pre(!spec.openGop || spec.gopFrames >= 3);
    const { tags, frames } = syntheticSession(spec.bFrames || spec.openGop ? { ...spec, avcC } : spec);
    const segmenter = new SourceSegmenter({ targetDurationMs: spec.targetDurationMs });
    const segments: SourceSegment[] = [];
    for (const t of tags) segments.push(...segmenter.push(t));
    segments.push(...segmenter.flush());
    expect(segmenter.stats).toEqual({ droppedBeforeKeyframe: 0, droppedWithoutConfig: 0, droppedUnsupported: 0, droppedLate: 0, droppedEmpty: 0 });
    expect(segments.map((s) => s.index)).toEqual([...segments.keys()]);
    let videoCount = 0;
    let audioCount = 0;
    segments.forEach((s, i) => {
      walkEbml(s.bytes);
      const mkv = readMatroska(s.bytes);
      if (i > 0) expect(s.startMs).toBe(segments[i - 1]!.endMs);
      expect(s.durationMs).toBeCloseTo(s.endMs - s.startMs);
      expect(s.keyframeStart).toBe(true);
      if (i < segments.length - 1) {
        expect(s.durationMs).toBeGreaterThanOrEqual(spec.targetDurationMs);
        expect(s.endReason).toBe(spec.fps > 0 ? 'keyframe' : 'audio');
      }
      const video = s.video[0];
      const audio = s.audio[0];
      const vBlocks = mkv.blocks.filter((b) => b.track === video?.trackNumber);
      const aBlocks = mkv.blocks.filter((b) => b.track === audio?.trackNumber);
      if (vBlocks.length > 0) expect(vBlocks[0]!.keyframe).toBe(true);
      // Video shown by a segment lies in its interval too; the only hidden frame is the next key frame.
      for (const b of vBlocks) {
        if (b.invisible) {
          expect(b.ticks).toBe(s.endMs);
          continue;
        }
        expect(b.ticks).toBeGreaterThanOrEqual(s.startMs);
        expect(b.ticks).toBeLessThan(s.endMs);
      }
      expect(s.trailingReference).toBe(vBlocks.some((b) => b.invisible));
      // Audio of a segment lies in its interval (segment 0 starts at the earliest frame).
      for (const b of aBlocks) {
        expect(b.ticks).toBeGreaterThanOrEqual(s.startMs);
        expect(b.ticks).toBeLessThan(s.endMs);
      }
      videoCount += vBlocks.filter((b) => !b.invisible).length;
      audioCount += aBlocks.length;
    });
    expect(videoCount).toBe(frames.filter((f) => f.kind === 'video').length);
    expect(audioCount).toBe(frames.filter((f) => f.kind === 'audio').length);
    if (segments.length > 0) {
      const first = Math.min(...frames.map((f) => f.ptsMs));
      expect(segments[0]!.startMs).toBe(first);
    }
  });
});
