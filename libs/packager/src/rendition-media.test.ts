import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { mpd } from './dash.js';
import { multivariantPlaylist } from './hls.js';
import { PackagingError } from './packaging-error.js';
import type { PackagingState } from './packaging-state.js';
import { applyDiscontinuity, applySegmentDone, createPackagingState } from './packaging-state.js';
import type { RenditionMediaEvent } from './rendition-media.js';
import { applyRenditionMedia, measuredRenditions } from './rendition-media.js';
import type { RenditionSpec } from './rendition.js';

const RENDITIONS: RenditionSpec[] = [
  { kind: 'video', id: 'v720', codecs: 'avc1.64001f', width: 1280, height: 720, frameRate: 30, nominalBitrate: 3_000_000 },
  { kind: 'video', id: 'v360', codecs: 'hvc1.1.6.L90.90', width: 640, height: 360, frameRate: 30, nominalBitrate: 800_000 },
  { kind: 'audio', id: 'a0', codecs: 'mp4a.40.2', sampleRateHz: 48_000, channels: 2, nominalBitrate: 128_000 },
];
const fresh = (): PackagingState =>
  createPackagingState({ sessionId: 'sess-1', channelId: 'chan-1', startedAtMs: Date.UTC(2025, 0, 1), renditions: RENDITIONS });

/** Every rendition of segment 0 done: something to put in the playlists. */
function published(state = fresh()): PackagingState {
  return RENDITIONS.reduce((s, r) => applySegmentDone(s, { rendition: r.id, index: 0, durationMs: 2000, bytes: 100_000 }), state);
}

const streamInf = (state: PackagingState) => multivariantPlaylist(state).split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF') || l.startsWith('#EXT-X-MEDIA'));

describe('applyRenditionMedia', () => {
  test('the playlists advertise the measured values instead of the plan', () => {
    let state = published();
    state = applyRenditionMedia(state, { rendition: 'v720', index: 0, codecs: 'avc1.640020', width: 1280, height: 718, frameRate: 25 });
    state = applyRenditionMedia(state, { rendition: 'v360', index: 0, codecs: 'hvc1.1.6.L90.B0' });
    state = applyRenditionMedia(state, { rendition: 'a0', index: 0, codecs: 'mp4a.40.5', sampleRateHz: 44_100, channels: 1 });
    const lines = streamInf(state);
    expect(lines[0]).toContain('CHANNELS="1"');
    expect(lines[1]).toContain('CODECS="avc1.640020,mp4a.40.5",RESOLUTION=1280x718,FRAME-RATE=25.000');
    // Codecs alone: the planned resolution and frame rate stay.
    expect(lines[2]).toContain('CODECS="hvc1.1.6.L90.B0,mp4a.40.5",RESOLUTION=640x360,FRAME-RATE=30.000');
    const manifest = mpd(state);
    expect(manifest).toContain('<Representation id="v720" bandwidth="400000" codecs="avc1.640020" width="1280" height="718" frameRate="25" sar="1:1"/>');
    expect(manifest).toContain('codecs="hvc1.1.6.L90.B0" width="640" height="360"');
    expect(manifest).toContain('codecs="mp4a.40.5" audioSamplingRate="44100"');
    expect(manifest).toContain('maxHeight="718"');
    // The plan itself is untouched.
    expect(state.renditions).toEqual(fresh().renditions);
  });

  test('a state stored without measurements (before the field existed) still writes the planned values', () => {
    const stored = JSON.parse(JSON.stringify(published())) as PackagingState;
    expect('media' in stored).toBe(false);
    expect(measuredRenditions(stored)).toBe(stored.renditions);
    expect(streamInf(stored)[1]).toContain('CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720');
    const next = applyRenditionMedia(stored, { rendition: 'a0', index: 0, codecs: 'mp4a.40.2', sampleRateHz: 48_000, channels: 2 });
    expect(next.media).toEqual([null, null, { initVersion: 0, codecs: 'mp4a.40.2', width: null, height: null, frameRate: null, sampleRateHz: 48_000, channels: 2 }]);
    // Plain JSON: it survives Redis unchanged.
    expect(JSON.parse(JSON.stringify(next))).toEqual(next);
  });

  test('the same measurement again returns the same state object', () => {
    const event: RenditionMediaEvent = { rendition: 'v720', index: 0, codecs: 'avc1.640020', width: 1280, height: 720 };
    const once = applyRenditionMedia(published(), event);
    expect(applyRenditionMedia(once, event)).toBe(once);
    expect(applyRenditionMedia(once, { ...event, index: 1 })).toBe(once); // same init version
    expect(applyRenditionMedia(once, { ...event, codecs: 'avc1.640028' }).media?.[0]?.codecs).toBe('avc1.640028');
  });

  test('a measurement from an older init version never replaces a newer one', () => {
    let state = applyDiscontinuity(published(), { atIndex: 3 });
    state = applyRenditionMedia(state, { rendition: 'v720', index: 4, codecs: 'avc1.640028' });
    expect(state.media?.[0]?.initVersion).toBe(1);
    // A late job of segment 1 (init.mp4, before the reconnect) finishes afterwards.
    expect(applyRenditionMedia(state, { rendition: 'v720', index: 1, codecs: 'avc1.64001f' })).toBe(state);
    // A reconnect without a new init keeps the version: the later read replaces it.
    state = applyDiscontinuity(state, { atIndex: 6, newInit: false });
    expect(applyRenditionMedia(state, { rendition: 'v720', index: 7, codecs: 'avc1.640029' }).media?.[0]).toMatchObject({ initVersion: 1, codecs: 'avc1.640029' });
  });

  const refused: { name: string; event: unknown; code: string }[] = [
    { name: 'not an object', event: null, code: 'invalid-media' },
    { name: 'unknown rendition', event: { rendition: 'v1080', index: 0, codecs: 'avc1.640028' }, code: 'unknown-rendition' },
    { name: 'bad index', event: { rendition: 'v720', index: -1, codecs: 'avc1.640028' }, code: 'invalid-index' },
    { name: 'codecs that need quoting', event: { rendition: 'v720', index: 0, codecs: 'avc1",x' }, code: 'invalid-media' },
    { name: 'codecs not a string', event: { rendition: 'v720', index: 0, codecs: 42 }, code: 'invalid-media' },
    { name: 'width without height', event: { rendition: 'v720', index: 0, codecs: 'avc1.640028', width: 1280 }, code: 'invalid-media' },
    { name: 'zero width', event: { rendition: 'v720', index: 0, codecs: 'avc1.640028', width: 0, height: 720 }, code: 'invalid-media' },
    { name: 'huge height', event: { rendition: 'v720', index: 0, codecs: 'avc1.640028', width: 1280, height: 20_000 }, code: 'invalid-media' },
    { name: 'NaN frame rate', event: { rendition: 'v720', index: 0, codecs: 'avc1.640028', frameRate: Number.NaN }, code: 'invalid-media' },
    { name: 'audio fields on video', event: { rendition: 'v720', index: 0, codecs: 'avc1.640028', channels: 2 }, code: 'invalid-media' },
    { name: 'video fields on audio', event: { rendition: 'a0', index: 0, codecs: 'mp4a.40.2', width: 2, height: 2 }, code: 'invalid-media' },
    { name: 'fractional sample rate', event: { rendition: 'a0', index: 0, codecs: 'mp4a.40.2', sampleRateHz: 44_100.5 }, code: 'invalid-media' },
  ];
  test.each(refused)('refuses $name', ({ event, code }) => {
    const state = published();
    expect(() => applyRenditionMedia(state, event as RenditionMediaEvent)).toThrow(expect.objectContaining({ name: 'PackagingError', code }));
  });
});

describe('applyRenditionMedia properties', () => {
  const eventArb = fc.record({
    r: fc.integer({ min: 0, max: RENDITIONS.length - 1 }),
    index: fc.integer({ min: 0, max: 9 }),
    codecs: fc.constantFrom('avc1.640028', 'avc1.4d401f', 'hvc1.1.6.L93.B0', 'mp4a.40.2', 'mp4a.40.5'),
    size: fc.option(fc.tuple(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 4096 })), { nil: undefined }),
  });
  type MediaCase = typeof eventArb extends fc.Arbitrary<infer T> ? T : never;
  const toEvent = (e: MediaCase): RenditionMediaEvent => {
    const rendition = RENDITIONS[e.r]!;
    if (rendition.kind === 'audio') return { rendition: rendition.id, index: e.index, codecs: e.codecs, channels: 2 };
    return { rendition: rendition.id, index: e.index, codecs: e.codecs, ...(e.size ? { width: e.size[0], height: e.size[1] } : {}) };
  };

  fcTest.prop([fc.array(eventArb, { maxLength: 20 }), fc.integer({ min: 1, max: 9 })])(
    'the last measurement of the newest init version wins, repeats change nothing, playlists hold',
    (events, reconnectAt) => {
      let state = applyDiscontinuity(published(), { atIndex: reconnectAt });
      for (const e of events) {
        const next = applyRenditionMedia(state, toEvent(e));
        expect(applyRenditionMedia(next, toEvent(e))).toBe(next);
        state = next;
      }
      RENDITIONS.forEach((rendition, r) => {
        const mine = events.filter((e) => e.r === r);
        const newest = Math.max(-1, ...mine.map((e) => (e.index >= reconnectAt ? 1 : 0)));
        const winner = mine.filter((e) => (e.index >= reconnectAt ? 1 : 0) === newest).at(-1);
        expect(measuredRenditions(state)[r]?.codecs).toBe(winner?.codecs ?? rendition.codecs);
      });
      const master = multivariantPlaylist(state);
      for (const r of measuredRenditions(state)) expect(master).toContain(r.codecs);
      expect(mpd(state)).toContain('<MPD');
    },
  );

  fcTest.prop([fc.anything()])('any event object: a new state or a PackagingError', (event) => {
    const state = published();
    try {
      applyRenditionMedia(state, { rendition: 'v720', index: 0, ...(typeof event === 'object' && event !== null ? event : {}) } as RenditionMediaEvent);
    } catch (err) {
      expect(err).toBeInstanceOf(PackagingError);
    }
  });
});
