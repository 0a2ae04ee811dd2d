import { describe, expect } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { VIDEO_CODECS } from '@headwater/codecs';
import type { VideoDescription } from '@headwater/codecs';
import { planLadder } from './ladder-planner.js';
import { LADDER_VIDEO_CODECS } from './ladder-config.js';
import type { LadderConfig, LadderRung } from './ladder-config.js';
import type { LadderSource, TranscodeRendition } from './ladder-plan.js';

const description = fc.record({
  codec: fc.constantFrom(...VIDEO_CODECS),
  width: fc.integer({ min: 16, max: 7680 }),
  height: fc.integer({ min: 16, max: 4320 }),
  hdr: fc.option(fc.constantFrom('pq' as const, 'hlg' as const), { nil: undefined }),
});

const frameRate = fc.option(fc.oneof(fc.constantFrom(23.976, 24, 25, 29.97, 30, 50, 59.94, 60, 120, 144), fc.double({ min: 1, max: 240, noNaN: true })), {
  nil: undefined,
});

const source: fc.Arbitrary<LadderSource> = fc
  .record({
    main: fc.option(fc.record({ d: description, frameRate, bitrateBps: fc.option(fc.integer({ min: 100_000, max: 50_000_000 }), { nil: undefined }) }), { nil: undefined }),
    extras: fc.array(fc.record({ d: description, frameRate }), { maxLength: 3 }),
  })
  .map(({ main, extras }) => {
    const video = (d: Omit<VideoDescription, 'codecString'>): VideoDescription => ({ ...d, codecString: `${d.codec}.x` });
    return {
      video: main && { ...video(main.d), frameRate: main.frameRate, bitrateBps: main.bitrateBps },
      extraVideoTracks: main ? extras.map((t, i) => ({ trackId: i + 1, description: { ...video(t.d), frameRate: t.frameRate } })) : undefined,
    };
  });

/** Valid rung sets: distinct even heights, bitrates rising with height. */
const rungs: fc.Arbitrary<LadderRung[]> = fc
  .uniqueArray(fc.integer({ min: 8, max: 1080 }), { minLength: 1, maxLength: 6 })
  .chain((halves) => {
    const heights = halves.map((h) => h * 2).sort((a, b) => a - b);
    return fc.tuple(
      fc.constant(heights),
      fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: heights.length, maxLength: heights.length }),
      // Frame-rate caps may only rise with height (the config rejects the rest); undefined = no cap.
      fc
        .array(fc.option(fc.constantFrom(24, 30, 60), { nil: undefined }), { minLength: heights.length, maxLength: heights.length })
        .map((caps) => caps.map((c) => c ?? Infinity).sort((a, b) => a - b).map((c) => (c === Infinity ? undefined : c))),
      fc.boolean(),
    );
  })
  .map(([heights, steps, caps, hfr]) => {
    let bitrate = 50_000;
    return heights.map((height, i) => {
      bitrate += (steps[i] ?? 1) * 1000;
      const rung: LadderRung = { height, bitrateBps: bitrate };
      if (hfr) rung.highFrameRateBitrateBps = Math.round(bitrate * 1.5);
      const cap = caps[i];
      if (cap !== undefined) rung.maxFrameRate = cap;
      return rung;
    });
  });

const config: fc.Arbitrary<Partial<LadderConfig>> = fc.record(
  {
    rungs,
    videoCodec: fc.constantFrom(...LADDER_VIDEO_CODECS),
    passthrough: fc.boolean(),
    skipRungsCoveredBySource: fc.boolean(),
    maxFrameRate: fc.constantFrom(30, 60),
    segmentDurationMs: fc.constantFrom(1000, 2000, 4000, 6000),
  },
  { requiredKeys: [] },
);

describe('planLadder properties', () => {
  fcTest.prop([source, config])('transcoded rungs fit the source, are even, sorted, and frame-rate capped', (src, cfg) => {
    const plan = planLadder(src, cfg);
    const transcodes = plan.video.filter((r): r is TranscodeRendition => r.kind === 'transcode');
    const main = src.video;
    const maxFps = cfg.maxFrameRate ?? 60;
    for (const r of transcodes) {
      expect(r.width % 2).toBe(0);
      expect(r.height % 2).toBe(0);
      if (main?.width !== undefined && main.height !== undefined) {
        // Never upscaled, in either dimension.
        expect(r.width).toBeLessThanOrEqual(main.width);
        expect(r.height).toBeLessThanOrEqual(main.height);
        // Aspect kept: the long side is within one even step (and the cap) of the exact value.
        const portrait = main.height > main.width;
        const [short, long] = portrait ? [r.width, r.height] : [r.height, r.width];
        const exactLong = (short * Math.max(main.width, main.height)) / Math.min(main.width, main.height);
        expect(Math.abs(long - Math.min(exactLong, Math.max(main.width, main.height)))).toBeLessThanOrEqual(2);
      }
      if (r.frameRate !== undefined) expect(r.frameRate).toBeLessThanOrEqual(maxFps + 1e-9);
      expect(r.gopFrames).toBe(Math.max(1, Math.round(((cfg.segmentDurationMs ?? 2000) / 1000) * (r.frameRate ?? 30))));
      expect(r.maxrateBps).toBeGreaterThanOrEqual(r.bitrateBps);
      expect(r.codecString.startsWith(r.codec)).toBe(true);
    }
    // Sorted by bitrate (highest first) across all renditions.
    for (let i = 1; i < plan.video.length; i++) {
      expect(plan.video[i - 1]?.bitrateBps ?? 0).toBeGreaterThanOrEqual(plan.video[i]?.bitrateBps ?? 0);
    }
    // Bitrate rises with height among transcodes (the config guarantees it per rung).
    const byHeight = [...transcodes].sort((a, b) => a.height * a.width - b.height * b.width);
    for (let i = 1; i < byHeight.length; i++) {
      expect(byHeight[i]?.bitrateBps ?? 0).toBeGreaterThanOrEqual(byHeight[i - 1]?.bitrateBps ?? 0);
    }
    // Ids are unique: they name output directories.
    expect(new Set(plan.video.map((r) => r.id)).size).toBe(plan.video.length);
  });

  fcTest.prop([source, config])('every configured rung is either planned or skipped with a reason', (src, cfg) => {
    const plan = planLadder(src, cfg);
    if (!src.video) {
      expect(plan.video.every((r) => r.kind === 'passthrough')).toBe(true);
      return;
    }
    const skipped = new Set(plan.skipped.map((s) => s.id));
    for (const rung of cfg.rungs ?? []) {
      const planned = plan.video.some((r) => r.kind === 'transcode' && new RegExp(`^${rung.height}p(\\d+)?$`).test(r.id));
      expect(planned !== skipped.has(`${rung.height}p`)).toBe(true);
    }
  });

  fcTest.prop([source, config])('passthrough renditions are exactly the playable source tracks', (src, cfg) => {
    const plan = planLadder(src, cfg);
    const playable = ['avc1', 'hvc1', 'av01'];
    const tracks = [...(src.video ? [{ id: 'source', d: src.video }] : []), ...(src.extraVideoTracks ?? []).map((t) => ({ id: `source-t${t.trackId}`, d: t.description }))];
    const expected = cfg.passthrough === false ? [] : tracks.filter((t) => playable.includes(t.d.codec)).map((t) => t.id);
    expect(plan.video.filter((r) => r.kind === 'passthrough').map((r) => r.id).sort()).toEqual([...expected].sort());
  });
});
