import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { mpd } from './dash.js';
import { mediaPlaylist, multivariantPlaylist } from './hls.js';
import type { PackagingState } from './packaging-state.js';
import { PackagingError } from './packaging-error.js';
import {
  applyDiscontinuity,
  applyEnd,
  applySegmentDone,
  applySegmentFailed,
  applySourceSegment,
  createPackagingState,
  sessionPhase,
} from './packaging-state.js';
import type { RenditionSpec } from './rendition.js';

const T0 = Date.UTC(2025, 0, 1);

type Event =
  | { kind: 'done'; index: number; r: number }
  | { kind: 'fail-one'; index: number; r: number }
  | { kind: 'fail-all'; index: number }
  | { kind: 'disc'; atIndex: number; wallClockMs?: number; newInit: boolean }
  | { kind: 'end' };

interface Scenario {
  renditions: RenditionSpec[];
  durations: number[];
  /** Per index: 'all' (index-wide failure) or the outcome per rendition. */
  outcomes: ('all' | ('done' | 'failed')[])[];
  discontinuities: { atIndex: number; jumpMs: number | null; newInit: boolean }[];
  /** Jobs in completion order, discontinuities and end placed where the pipeline would apply them. */
  events: Event[];
  window: number;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    kinds: fc.array(fc.constantFrom('video' as const, 'audio' as const), { minLength: 1, maxLength: 4 }),
    durations: fc.array(fc.integer({ min: 400, max: 4600 }), { minLength: 1, maxLength: 14 }),
  })
  .chain(({ kinds, durations }) => {
    const n = durations.length;
    const outcome = fc.array(fc.constantFrom<'done' | 'failed'>('done', 'done', 'done', 'done', 'done', 'failed'), {
      minLength: kinds.length,
      maxLength: kinds.length,
    });
    return fc.record({
      kinds: fc.constant(kinds),
      durations: fc.constant(durations),
      outcomes: fc.array(fc.oneof({ weight: 1, arbitrary: fc.constant('all' as const) }, { weight: 8, arbitrary: outcome }), { minLength: n, maxLength: n }),
      discontinuities:
        n < 2
          ? fc.constant([])
          : fc.uniqueArray(
              fc.record({ atIndex: fc.integer({ min: 1, max: n - 1 }), jumpMs: fc.option(fc.integer({ min: 0, max: 60_000 })), newInit: fc.boolean() }),
              { selector: (d) => d.atIndex, maxLength: 3 },
            ),
      order: fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })).map((s) => [...s.take(200)]),
      ended: fc.boolean(),
      endAt: fc.double({ min: 0, max: 1, noNaN: true }),
      window: fc.constantFrom(1, 2, 3, 6, Infinity),
    });
  })
  .map(({ kinds, durations, outcomes, discontinuities, order, ended, endAt, window }) => {
    let v = 0;
    let a = 0;
    const renditions = kinds.map((kind): RenditionSpec =>
      kind === 'video'
        ? { kind, id: `v${v++}`, codecs: 'avc1.64001f', width: 1280, height: 720, frameRate: 30, nominalBitrate: 1_000_000 }
        : { kind, id: `a${a++}`, codecs: 'mp4a.40.2', sampleRateHz: 48_000, channels: 2, nominalBitrate: 128_000 },
    );
    const jobs: Event[] = outcomes.flatMap((o, index): Event[] =>
      o === 'all' ? [{ kind: 'fail-all', index }] : o.map((x, r): Event => (x === 'done' ? { kind: 'done', index, r } : { kind: 'fail-one', index, r })),
    );
    // A random completion order: sort by random keys.
    const keyed = jobs.map((job, i) => ({ job, key: order[i % order.length] ?? 0, i }));
    keyed.sort((x, y) => x.key - y.key || x.i - y.i);
    const events = keyed.map((k) => k.job);
    // The segmenter records a reconnect before it enqueues the first job after it.
    const sorted = [...discontinuities].sort((x, y) => x.atIndex - y.atIndex);
    let lastDisc = -1;
    for (const d of sorted) {
      const at = events.findIndex((e) => 'index' in e && e.index >= d.atIndex);
      const pos = Math.max(at, lastDisc + 1);
      const mediaMs = durations.slice(0, d.atIndex).reduce((s, x) => s + x, 0);
      events.splice(pos, 0, { kind: 'disc', atIndex: d.atIndex, wallClockMs: d.jumpMs === null ? undefined : T0 + mediaMs + d.jumpMs, newInit: d.newInit });
      lastDisc = pos;
    }
    if (ended) {
      const pos = lastDisc + 1 + Math.floor(endAt * (events.length - lastDisc));
      events.splice(pos, 0, { kind: 'end' });
    }
    return { renditions, durations, outcomes, discontinuities: sorted, events, window };
  });

function apply(state: PackagingState, e: Event, durations: readonly number[]): PackagingState {
  switch (e.kind) {
    case 'done': {
      const rendition = state.renditions[e.r]?.id ?? '';
      return applySegmentDone(state, { rendition, index: e.index, durationMs: durations[e.index] ?? 0, bytes: 1000 + ((e.index * 7919 + e.r * 104_729) % 90_000) });
    }
    case 'fail-one':
      return applySegmentFailed(state, { index: e.index, rendition: state.renditions[e.r]?.id, durationMs: durations[e.index] });
    case 'fail-all':
      return applySegmentFailed(state, { index: e.index, durationMs: durations[e.index] });
    case 'disc':
      return applyDiscontinuity(state, { atIndex: e.atIndex, wallClockMs: e.wallClockMs, newInit: e.newInit });
    case 'end':
      return applyEnd(state, { segmentCount: durations.length });
  }
}

/** The model, computed independently of the packager from the events applied so far. */
function oracle(sc: Scenario, applied: readonly Event[]) {
  const n = sc.durations.length;
  const r = sc.renditions.length;
  const status = Array.from({ length: n }, () => Array.from({ length: r }, () => 'pending'));
  const discs: { atIndex: number; wallClockMs?: number; newInit: boolean }[] = [];
  let ended = false;
  for (const e of applied) {
    if (e.kind === 'done') status[e.index]![e.r] = status[e.index]![e.r] === 'failed' ? 'failed' : 'done';
    else if (e.kind === 'fail-one') status[e.index]![e.r] = status[e.index]![e.r] === 'done' ? 'done' : 'failed';
    else if (e.kind === 'fail-all') status[e.index] = status[e.index]!.map((s) => (s === 'pending' ? 'failed' : s));
    else if (e.kind === 'disc') discs.push(e);
    else ended = true;
  }
  let published = 0;
  while (published < n && status[published]!.every((s) => s !== 'pending')) published++;
  const mediaStart: number[] = [];
  const presentationStart: number[] = [];
  let media = 0;
  let presentation = 0;
  for (let i = 0; i < n; i++) {
    const d = discs.find((x) => x.atIndex === i);
    if (d?.wallClockMs !== undefined) presentation = Math.max(presentation, d.wallClockMs - T0);
    mediaStart.push(media);
    presentationStart.push(presentation);
    media += sc.durations[i]!;
    presentation += sc.durations[i]!;
  }
  return { status, published, discs, ended, vod: ended && published === n, mediaStart, presentationStart };
}

/** Every line is a tag or a URI; returns the shown segments. */
function parseMediaPlaylist(text: string) {
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  expect(lines[0]).toBe('#EXTM3U');
  const header = new Map<string, string>();
  const segments: { index: number; ms: number; gap: boolean; discontinuity: boolean; pdt: boolean; map: string | null }[] = [];
  let pending = { ms: -1, gap: false, discontinuity: false, pdt: false, map: null as string | null };
  for (const line of lines) {
    if (line.startsWith('#')) {
      expect(line).toMatch(/^#EXT(M3U|INF:\d+\.\d{3},|-X-[A-Z-]+(:.+)?)$/);
      const [tag, value = ''] = line.split(/:(.*)/s);
      if (tag === '#EXTINF') pending.ms = Math.round(Number(value.slice(0, -1)) * 1000);
      else if (tag === '#EXT-X-GAP') pending.gap = true;
      else if (tag === '#EXT-X-DISCONTINUITY') pending.discontinuity = true;
      else if (tag === '#EXT-X-PROGRAM-DATE-TIME') pending.pdt = true;
      else if (tag === '#EXT-X-MAP') pending.map = value;
      else if (tag !== undefined) header.set(tag, value);
    } else {
      const m = /^seg-(\d+)\.m4s$/.exec(line);
      expect(m, `not a tag nor a segment URI: ${line}`).not.toBeNull();
      expect(pending.ms).toBeGreaterThan(0);
      segments.push({ index: Number(m?.[1]), ...pending });
      pending = { ms: -1, gap: false, discontinuity: false, pdt: false, map: null };
    }
  }
  return { header, segments };
}

/** A tag-balance and syntax check: enough to catch unescaped text and unclosed elements. */
function checkXml(xml: string): void {
  const tokens = xml.split(/(<[^>]*>)/);
  const stack: string[] = [];
  let roots = 0;
  for (const token of tokens) {
    if (!token.startsWith('<')) {
      expect(token).toMatch(/^([^<>&]|&(amp|lt|gt|quot|apos);)*$/);
      continue;
    }
    if (token.startsWith('<?')) {
      expect(token).toBe('<?xml version="1.0" encoding="UTF-8"?>');
      continue;
    }
    const m = /^<(\/?)([A-Za-z][\w.-]*)((?:\s+[A-Za-z][\w:.-]*="(?:[^"<&]|&(?:amp|lt|gt|quot|apos);)*")*)\s*(\/?)>$/.exec(token);
    expect(m, `malformed tag ${token}`).not.toBeNull();
    const [, close, name, attrs = '', selfClose] = m ?? [];
    const names = [...attrs.matchAll(/([A-Za-z][\w:.-]*)=/g)].map((a) => a[1]);
    expect(new Set(names).size).toBe(names.length);
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClose) stack.push(name ?? '');
    if (stack.length === 0 && !close && selfClose) roots++;
    if (close && stack.length === 0) roots++;
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}

/** Expands every SegmentTemplate's timeline: (number, media t, d, presentation start) per AdaptationSet. */
function mpdSegments(xml: string) {
  const out: { set: number; number: number; t: number; d: number; presentationMs: number }[][] = [];
  for (const [, start, body] of xml.matchAll(/<Period id="p\d+" start="PT([\d.]+)S"[^>]*>([\s\S]*?)<\/Period>/g)) {
    const periodStartMs = Math.round(Number(start) * 1000);
    [...(body ?? '').matchAll(/<SegmentTemplate ([^>]*)>([\s\S]*?)<\/SegmentTemplate>/g)].forEach(([, attrs, inner], set) => {
      const attr = (name: string) => Number(new RegExp(`${name}="(\\d+)"`).exec(attrs ?? '')?.[1]);
      const pto = attr('presentationTimeOffset');
      let number = attr('startNumber');
      let t = NaN;
      for (const [, s] of (inner ?? '').matchAll(/<S ([^>]*)\/>/g)) {
        const sAttr = (name: string) => new RegExp(`\\b${name}="(\\d+)"`).exec(s ?? '')?.[1];
        if (sAttr('t') !== undefined) t = Number(sAttr('t'));
        const d = Number(sAttr('d'));
        for (let k = 0; k <= Number(sAttr('r') ?? 0); k++) {
          (out[set] ??= []).push({ set, number, t, d, presentationMs: periodStartMs + t - pto });
          number++;
          t += d;
        }
      }
    });
  }
  return out;
}

function checkOutputs(sc: Scenario, state: PackagingState, applied: readonly Event[]): void {
  const o = oracle(sc, applied);
  expect(state.publishedCount).toBe(o.published);
  expect(sessionPhase(state)).toBe(o.ended ? (o.vod ? 'vod' : 'ending') : 'live');
  const first = o.vod || sc.window === Infinity ? 0 : Math.max(0, o.published - sc.window);
  const shown = Array.from({ length: o.published - first }, (_, k) => first + k);
  const sum = (indices: number[]) => indices.reduce((s, i) => s + sc.durations[i]!, 0);

  expect(multivariantPlaylist(state).split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF')).length).toBeGreaterThan(0);
  sc.renditions.forEach((rendition, r) => {
    const { header, segments } = parseMediaPlaylist(mediaPlaylist(state, rendition.id, { windowSegments: sc.window }));
    // The shown segments are exactly the published prefix (or its window): contiguous, in order.
    expect(segments.map((s) => s.index)).toEqual(shown);
    expect(Number(header.get('#EXT-X-MEDIA-SEQUENCE'))).toBe(shown[0] ?? o.published);
    expect(segments.reduce((s, x) => s + x.ms, 0)).toBe(sum(shown));
    const target = Number(header.get('#EXT-X-TARGETDURATION'));
    for (const s of segments) expect(Math.round(s.ms / 1000)).toBeLessThanOrEqual(target);
    expect(segments.map((s) => s.gap)).toEqual(shown.map((i) => o.status[i]![r] === 'failed'));
    expect(segments.map((s) => s.discontinuity)).toEqual(shown.map((i) => i !== first && o.discs.some((d) => d.atIndex === i)));
    expect(Number(header.get('#EXT-X-DISCONTINUITY-SEQUENCE'))).toBe(o.discs.filter((d) => d.atIndex <= (shown[0] ?? o.published)).length);
    expect(segments.filter((s) => s.pdt).map((s) => s.index)).toEqual(shown.filter((i) => i === first || o.discs.some((d) => d.atIndex === i)));
    expect(header.has('#EXT-X-ENDLIST')).toBe(o.vod);
  });

  const xml = mpd(state, { windowSegments: sc.window });
  checkXml(xml);
  expect(xml).toContain(o.vod ? 'type="static"' : 'type="dynamic"');
  // The S elements cover exactly the shown segments that some rendition has, each at its index,
  // media time, duration and presentation time.
  const expected = shown
    .filter((i) => o.status[i]!.some((s) => s === 'done'))
    .map((i) => ({ number: i, t: o.mediaStart[i]!, d: sc.durations[i]!, presentationMs: o.presentationStart[i]! }));
  const sets = mpdSegments(xml);
  const setCount = new Set(sc.renditions.map((r) => (r.kind === 'video' ? 'video' : 'audio'))).size;
  expect(sets.length).toBe(expected.length === 0 ? 0 : setCount);
  for (const set of sets) expect(set.map(({ number, t, d, presentationMs }) => ({ number, t, d, presentationMs }))).toEqual(expected);
}

describe('packaging model properties', () => {
  fcTest.prop([scenarioArb], { numRuns: 150 })('any completion order: outputs always show the contiguous published prefix', (sc) => {
    let state = createPackagingState({ sessionId: 's', channelId: 'c', startedAtMs: T0, renditions: sc.renditions });
    sc.events.forEach((e, k) => {
      state = apply(state, e, sc.durations);
      checkOutputs(sc, state, sc.events.slice(0, k + 1));
    });
    // Everything in: the whole session is published, whatever the order.
    expect(state.publishedCount).toBe(sc.durations.length);
  });

  fcTest.prop([scenarioArb])('the final state does not depend on the order, redeliveries or a trip through JSON', (sc) => {
    const init = () => createPackagingState({ sessionId: 's', channelId: 'c', startedAtMs: T0, renditions: sc.renditions });
    const once = sc.events.reduce((s, e) => apply(s, e, sc.durations), init());
    const twice = sc.events.reduce((s, e) => apply(apply(s, e, sc.durations), e, sc.durations), init());
    const viaJson = sc.events.reduce((s, e) => apply(JSON.parse(JSON.stringify(s)) as PackagingState, e, sc.durations), init());
    // In index order: discontinuities first (allowed: nothing is published yet), then jobs, then the end.
    const canonical = [
      ...sc.events.filter((e) => e.kind === 'disc'),
      ...sc.events.filter((e) => 'index' in e).sort((x, y) => ('index' in x && 'index' in y ? x.index - y.index : 0)),
      ...sc.events.filter((e) => e.kind === 'end'),
    ].reduce((s, e) => apply(s, e, sc.durations), init());
    expect(twice).toEqual(once);
    expect(viaJson).toEqual(once);
    expect(canonical).toEqual(once);
    const render = (s: PackagingState) => [multivariantPlaylist(s), mpd(s), ...s.renditions.map((r) => mediaPlaylist(s, r.id))];
    expect(render(JSON.parse(JSON.stringify(once)) as PackagingState)).toEqual(render(once));
  });
});

describe('hostile events', () => {
  const reducers = [applySourceSegment, applySegmentDone, applySegmentFailed, applyDiscontinuity, applyEnd] as ((s: PackagingState, e: unknown) => PackagingState)[];
  const field = fc.oneof(fc.integer({ min: -5, max: 20 }), fc.double(), fc.constantFrom('v0', 'a0', 'constructor', '__proto__', '0'), fc.boolean(), fc.constant(null), fc.anything());
  const eventArb = fc.oneof(
    fc.anything(),
    fc.record(
      { index: field, atIndex: field, rendition: field, durationMs: field, bytes: field, wallClockMs: field, newInit: field, segmentCount: field },
      { requiredKeys: [] },
    ),
  );
  fcTest.prop([fc.array(fc.tuple(fc.integer({ min: 0, max: reducers.length - 1 }), eventArb), { maxLength: 30 })], { numRuns: 300 })(
    'random payloads give a state or a PackagingError, and every state still renders',
    (steps) => {
      let state = createPackagingState({
        sessionId: 's',
        channelId: 'c',
        startedAtMs: T0,
        renditions: [
          { kind: 'video', id: 'v0', codecs: 'avc1.64001f', width: 1280, height: 720, frameRate: 30, nominalBitrate: 1_000_000 },
          { kind: 'audio', id: 'a0', codecs: 'mp4a.40.2', sampleRateHz: 48_000, channels: 2, nominalBitrate: 128_000 },
        ],
      });
      for (const [which, event] of steps) {
        try {
          state = reducers[which]!(state, event);
        } catch (error) {
          expect(error).toBeInstanceOf(PackagingError);
        }
        expect(JSON.parse(JSON.stringify(state))).toEqual(state);
        checkXml(mpd(state));
        for (const r of state.renditions) parseMediaPlaylist(mediaPlaylist(state, r.id));
      }
    },
  );

  fcTest.prop([fc.anything(), fc.array(fc.anything(), { maxLength: 3 })])('random session descriptions give a state or a PackagingError', (init, renditions) => {
    for (const candidate of [init, { sessionId: 's', channelId: 'c', startedAtMs: 0, renditions }]) {
      try {
        createPackagingState(candidate as never);
      } catch (error) {
        expect(error).toBeInstanceOf(PackagingError);
      }
    }
  });
});
