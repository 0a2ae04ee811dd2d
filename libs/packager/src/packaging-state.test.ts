import { describe, expect, test } from 'vitest';
import { PackagingError } from './packaging-error.js';
import type { PackagingState, SegmentDoneEvent } from './packaging-state.js';
import {
  applyDiscontinuity,
  applyEnd,
  applySegmentDone,
  applySegmentFailed,
  applySourceSegment,
  createPackagingState,
  initVersionAt,
  MAX_SEGMENTS_AHEAD,
  mediaStartMs,
  segmentStatus,
  sessionPhase,
} from './packaging-state.js';
import type { RenditionSpec } from './rendition.js';
import { buildTimeline, renditionBandwidths } from './timeline.js';

const RENDITIONS: RenditionSpec[] = [
  { kind: 'video', id: 'v720', codecs: 'avc1.64001f', width: 1280, height: 720, frameRate: 30, nominalBitrate: 3_000_000 },
  { kind: 'video', id: 'v360', codecs: 'avc1.64001e', width: 640, height: 360, frameRate: 30, nominalBitrate: 800_000 },
  { kind: 'audio', id: 'a0', codecs: 'mp4a.40.2', sampleRateHz: 48_000, channels: 2, nominalBitrate: 128_000 },
];
const IDS = RENDITIONS.map((r) => r.id);
const fresh = (): PackagingState =>
  createPackagingState({ sessionId: 'sess-1', channelId: 'chan-1', startedAtMs: Date.UTC(2025, 0, 1), renditions: RENDITIONS });

/** Events by shorthand, so a case reads as a completion order. */
type Step =
  | { done: [rendition: string, index: number]; durationMs?: number; bytes?: number }
  | { fail: number; rendition?: string; durationMs?: number }
  | { cut: number; durationMs?: number }
  | { disc: number; wallClockMs?: number; newInit?: boolean }
  | { end: number | null };

function run(steps: readonly Step[], state = fresh()): PackagingState {
  for (const step of steps) {
    if ('done' in step) {
      const [rendition, index] = step.done;
      state = applySegmentDone(state, { rendition, index, durationMs: step.durationMs ?? 2000, bytes: step.bytes ?? 1000 });
    } else if ('fail' in step) {
      state = applySegmentFailed(state, { index: step.fail, rendition: step.rendition, durationMs: step.durationMs ?? 2000 });
    } else if ('cut' in step) {
      state = applySourceSegment(state, { index: step.cut, durationMs: step.durationMs ?? 2000 });
    } else if ('disc' in step) {
      state = applyDiscontinuity(state, { atIndex: step.disc, wallClockMs: step.wallClockMs, newInit: step.newInit });
    } else {
      state = applyEnd(state, step.end === null ? {} : { segmentCount: step.end });
    }
  }
  return state;
}
const allDone = (index: number): Step[] => IDS.map((id) => ({ done: [id, index] }));

describe('published prefix', () => {
  const cases: { name: string; steps: Step[]; published: number; phase?: string }[] = [
    { name: 'nothing yet', steps: [], published: 0 },
    { name: 'one rendition done is not enough', steps: [{ done: ['v720', 0] }], published: 0 },
    { name: 'every rendition done publishes the index', steps: allDone(0), published: 1 },
    { name: 'later segments wait for an earlier one', steps: [...allDone(1), ...allDone(2)], published: 0 },
    { name: 'the missing one arrives: all three publish', steps: [...allDone(2), ...allDone(1), ...allDone(0)], published: 3 },
    { name: 'a hole in one rendition holds the prefix', steps: [...allDone(0), { done: ['v720', 1] }, { done: ['a0', 1] }, ...allDone(2)], published: 1 },
    { name: 'a failed segment becomes a gap and unblocks the prefix', steps: [...allDone(0), ...allDone(2), { fail: 1 }], published: 3 },
    {
      name: 'a failure in one rendition plus the others done unblocks too',
      steps: [...allDone(0), { done: ['v720', 1] }, { done: ['a0', 1] }, { fail: 1, rendition: 'v360' }],
      published: 2,
    },
    { name: 'a source cut alone publishes nothing', steps: [{ cut: 0 }, { cut: 1 }], published: 0 },
    { name: 'end while segments are in flight: ending', steps: [...allDone(0), { cut: 1 }, { end: null }], published: 1, phase: 'ending' },
    { name: 'end with everything in: vod', steps: [...allDone(0), ...allDone(1), { end: null }], published: 2, phase: 'vod' },
    { name: 'the last segment after the end completes the vod', steps: [...allDone(0), { end: 2 }, ...allDone(1)], published: 2, phase: 'vod' },
    { name: 'end with a declared count waits for unseen segments', steps: [...allDone(0), { end: 3 }], published: 1, phase: 'ending' },
  ];
  test.each(cases)('$name', ({ steps, published, phase }) => {
    const state = run(steps);
    expect(state.publishedCount).toBe(published);
    expect(sessionPhase(state)).toBe(phase ?? 'live');
  });

  test('statuses per rendition: pending, done, failed', () => {
    const state = run([{ done: ['v720', 0] }, { fail: 0, rendition: 'a0' }]);
    expect(IDS.map((id) => segmentStatus(state, 0, id))).toEqual(['done', 'pending', 'failed']);
    expect(segmentStatus(state, 7, 'v720')).toBe('pending');
  });

  test('an index-wide failure keeps the outputs already done', () => {
    const state = run([{ done: ['v720', 0] }, { fail: 0 }]);
    expect(IDS.map((id) => segmentStatus(state, 0, id))).toEqual(['done', 'failed', 'failed']);
  });

  test('failed is terminal: a late done from a stale worker does not turn a gap back', () => {
    const state = run([{ fail: 0 }, { done: ['v720', 0] }]);
    expect(segmentStatus(state, 0, 'v720')).toBe('failed');
  });

  test('a retried job reports again: same result, same state object', () => {
    const state = run(allDone(0));
    expect(applySegmentDone(state, { rendition: 'v720', index: 0, durationMs: 2000, bytes: 1000 })).toBe(state);
    expect(applySegmentFailed(state, { index: 0 })).toBe(state);
    expect(applyEnd(applyEnd(state))).toEqual(applyEnd(state));
  });

  test('reducers never mutate their input and the state survives JSON', () => {
    const before = run([...allDone(1), { disc: 1, wallClockMs: Date.UTC(2025, 0, 1, 0, 1) }]);
    const snapshot = JSON.stringify(before);
    const after = run([...allDone(0), { fail: 2 }, { end: null }], before);
    expect(JSON.stringify(before)).toBe(snapshot);
    expect(JSON.parse(JSON.stringify(after))).toEqual(after);
    expect(after.publishedCount).toBe(3);
  });
});

describe('durations and timing', () => {
  test('durations come from the source segment and must agree across renditions', () => {
    const state = run([{ cut: 0, durationMs: 2002 }]);
    expect(() => applySegmentDone(state, { rendition: 'v720', index: 0, durationMs: 2000, bytes: 1 })).toThrow(
      expect.objectContaining({ code: 'duration-mismatch' }),
    );
    expect(applySegmentFailed(state, { index: 0 }).segments[0]?.durationMs).toBe(2002);
  });

  test('a failure before the duration is known is refused', () => {
    expect(() => applySegmentFailed(fresh(), { index: 0 })).toThrow(expect.objectContaining({ code: 'unknown-duration' }));
  });

  test('media time is the running sum of durations; init versions change at discontinuities', () => {
    const state = run([{ cut: 0, durationMs: 2000 }, { cut: 1, durationMs: 1500 }, { cut: 2 }, { disc: 2 }, { disc: 3, newInit: false }, { disc: 4 }]);
    expect(mediaStartMs(state, 0)).toBe(0);
    expect(mediaStartMs(state, 2)).toBe(3500);
    expect(() => mediaStartMs(state, 4)).toThrow(expect.objectContaining({ code: 'unknown-duration' }));
    expect([0, 1, 2, 3, 4, 5].map((i) => initVersionAt(state, i))).toEqual([0, 0, 1, 1, 2, 2]);
  });

  test('a reconnect opens a wall-clock hole in presentation time, never a step back', () => {
    const t0 = Date.UTC(2025, 0, 1);
    const state = run([
      ...allDone(0),
      ...allDone(1),
      { disc: 2, wallClockMs: t0 + 10_000 },
      ...allDone(2),
      { disc: 3, wallClockMs: t0 + 1000 }, // earlier than where media already is: ignored
      ...allDone(3),
    ]);
    const timeline = buildTimeline(state);
    expect(timeline.map((s) => [s.mediaStartMs, s.presentationStartMs, s.discontinuitySequence])).toEqual([
      [0, 0, 0],
      [2000, 2000, 0],
      [4000, 10_000, 1],
      [6000, 12_000, 2],
    ]);
  });

  test('a redelivered discontinuity is a no-op, a conflicting one is refused', () => {
    const state = run([{ disc: 3, wallClockMs: 5 }]);
    expect(applyDiscontinuity(state, { atIndex: 3, wallClockMs: 5 })).toBe(state);
    expect(() => applyDiscontinuity(state, { atIndex: 3, wallClockMs: 6 })).toThrow(PackagingError);
    expect(() => applyDiscontinuity(state, { atIndex: 2 })).toThrow(expect.objectContaining({ code: 'invalid-discontinuity' }));
  });
});

describe('bandwidth measured from the outputs', () => {
  test('peak is the highest segment bit rate, average is total bits over total time', () => {
    // v720: 250 000 B over 2 s = 1 Mb/s, 750 000 B over 1.5 s = 4 Mb/s; average 8 Mbit / 3.5 s.
    const state = run([
      { done: ['v720', 0], bytes: 250_000 },
      { done: ['v720', 1], bytes: 750_000, durationMs: 1500 },
      { done: ['v360', 0], bytes: 100_000 },
      { fail: 1, rendition: 'v360', durationMs: 1500 },
      { done: ['a0', 0], bytes: 32_000 },
      { done: ['a0', 1], bytes: 24_000, durationMs: 1500 },
      { done: ['v720', 2], bytes: 9_999_999 }, // not published: not measured
    ]);
    expect(renditionBandwidths(state)).toEqual([
      { peakBps: 4_000_000, averageBps: Math.ceil(8_000_000 / 3.5), measuredSegments: 2 },
      { peakBps: 400_000, averageBps: 400_000, measuredSegments: 1 },
      { peakBps: 128_000, averageBps: 128_000, measuredSegments: 2 },
    ]);
  });

  test('before any measurement the ladder bitrate stands in', () => {
    expect(renditionBandwidths(fresh()).map((b) => b.peakBps)).toEqual([3_000_000, 800_000, 128_000]);
  });
});

describe('refused input', () => {
  const done = (over: Partial<Record<keyof SegmentDoneEvent, unknown>>) => (s: PackagingState) =>
    applySegmentDone(s, { rendition: 'v720', index: 0, durationMs: 2000, bytes: 1, ...over } as SegmentDoneEvent);
  const cases: { name: string; apply: (s: PackagingState) => unknown; code: string }[] = [
    { name: 'unknown rendition', apply: done({ rendition: 'nope' }), code: 'unknown-rendition' },
    { name: 'rendition named like a prototype key', apply: done({ rendition: 'constructor' }), code: 'unknown-rendition' },
    { name: 'negative index', apply: done({ index: -1 }), code: 'invalid-index' },
    { name: 'fractional index', apply: done({ index: 1.5 }), code: 'invalid-index' },
    { name: 'index as a string', apply: done({ index: '3' }), code: 'invalid-index' },
    { name: 'index far past the prefix', apply: done({ index: MAX_SEGMENTS_AHEAD + 1 }), code: 'limit-exceeded' },
    { name: 'zero duration', apply: done({ durationMs: 0 }), code: 'invalid-duration' },
    { name: 'fractional duration', apply: done({ durationMs: 2000.5 }), code: 'invalid-duration' },
    { name: 'NaN duration', apply: done({ durationMs: NaN }), code: 'invalid-duration' },
    { name: 'huge duration', apply: done({ durationMs: 3_600_000 }), code: 'limit-exceeded' },
    { name: 'negative bytes', apply: done({ bytes: -1 }), code: 'invalid-bytes' },
    { name: 'segment after the end', apply: (s) => done({ index: 1 })(applyEnd(s, { segmentCount: 1 })), code: 'after-end' },
    { name: 'discontinuity after the end', apply: (s) => applyDiscontinuity(applyEnd(s), { atIndex: 1 }), code: 'after-end' },
    { name: 'discontinuity at 0', apply: (s) => applyDiscontinuity(s, { atIndex: 0 }), code: 'invalid-discontinuity' },
    { name: 'discontinuity inside the published prefix', apply: (s) => applyDiscontinuity(run([...allDone(0), ...allDone(1)], s), { atIndex: 1 }), code: 'invalid-discontinuity' },
    { name: 'end before known segments', apply: (s) => applyEnd(run(allDone(3), s), { segmentCount: 2 }), code: 'invalid-end' },
    { name: 'ending twice differently', apply: (s) => applyEnd(applyEnd(s, { segmentCount: 2 }), { segmentCount: 3 }), code: 'invalid-end' },
  ];
  test.each(cases)('$name → $code', ({ apply, code }) => {
    const state = fresh();
    const snapshot = JSON.stringify(state);
    expect(() => apply(state)).toThrow(expect.objectContaining({ name: 'PackagingError', code }));
    expect(JSON.stringify(state)).toBe(snapshot);
  });

  const badRenditions: { name: string; renditions: unknown[]; code: string }[] = [
    { name: 'no rendition', renditions: [], code: 'invalid-rendition' },
    { name: 'duplicate id', renditions: [RENDITIONS[0], RENDITIONS[0]], code: 'invalid-rendition' },
    { name: 'id with a slash', renditions: [{ ...RENDITIONS[0], id: '../x' }], code: 'invalid-rendition' },
    { name: 'id __proto__', renditions: [{ ...RENDITIONS[0], id: '__proto__' }], code: 'invalid-rendition' },
    { name: 'codecs with a quote', renditions: [{ ...RENDITIONS[0], codecs: 'avc1"' }], code: 'invalid-rendition' },
    { name: 'audio name with a newline', renditions: [{ ...RENDITIONS[2], name: 'a\nb' }], code: 'invalid-rendition' },
    { name: 'bad language', renditions: [{ ...RENDITIONS[2], language: 'en"' }], code: 'invalid-rendition' },
    { name: 'zero width', renditions: [{ ...RENDITIONS[0], width: 0 }], code: 'invalid-rendition' },
    { name: 'unknown audio group', renditions: [{ ...RENDITIONS[0], audioGroupId: 'x' }, RENDITIONS[2]], code: 'invalid-rendition' },
    { name: 'unknown kind', renditions: [{ ...RENDITIONS[0], kind: 'subtitles' }], code: 'invalid-rendition' },
    { name: 'too many', renditions: Array.from({ length: 33 }, (_, i) => ({ ...RENDITIONS[2], id: `a${i}` })), code: 'limit-exceeded' },
  ];
  test.each(badRenditions)('rendition: $name → $code', ({ renditions, code }) => {
    expect(() =>
      createPackagingState({ sessionId: 's', channelId: 'c', startedAtMs: 0, renditions: renditions as RenditionSpec[] }),
    ).toThrow(expect.objectContaining({ code }));
  });

  test('renditions get their defaults: audio group joined, name from id, no language', () => {
    const state = fresh();
    expect(state.renditions[0]).toMatchObject({ audioGroupId: 'audio' });
    expect(state.renditions[2]).toMatchObject({ groupId: 'audio', name: 'a0', language: null });
    const videoOnly = createPackagingState({ sessionId: 's', channelId: 'c', startedAtMs: 0, renditions: [RENDITIONS[0] as RenditionSpec] });
    expect(videoOnly.renditions[0]).toMatchObject({ audioGroupId: null });
  });
});
