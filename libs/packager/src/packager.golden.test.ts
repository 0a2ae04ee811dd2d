import { describe, expect, test } from 'vitest';
import { mpd } from './dash.js';
import { mediaPlaylist, multivariantPlaylist } from './hls.js';
import type { PackagingState } from './packaging-state.js';
import { applyDiscontinuity, applyEnd, applySegmentDone, applySegmentFailed, applySourceSegment, createPackagingState } from './packaging-state.js';
import type { RenditionSpec } from './rendition.js';
import { applyRenditionMedia } from './rendition-media.js';

// Golden text of small sessions; change only with `vitest -u` and a reviewed diff.

const T0 = Date.UTC(2025, 4, 17, 18, 30);
const RENDITIONS: RenditionSpec[] = [
  { kind: 'video', id: 'v720', codecs: 'avc1.64001f', width: 1280, height: 720, frameRate: 30, nominalBitrate: 3_000_000 },
  { kind: 'video', id: 'v360', codecs: 'avc1.64001e', width: 640, height: 360, frameRate: 29.97, nominalBitrate: 800_000 },
  { kind: 'audio', id: 'a0', codecs: 'mp4a.40.2', sampleRateHz: 48_000, channels: 2, nominalBitrate: 128_000, language: 'en' },
];
const BYTES: Record<string, number> = { v720: 700_000, v360: 190_000, a0: 32_100 };
const DURATIONS_MS = [2000, 2000, 2002, 1998, 2000, 2000, 2000, 2000, 1500, 2000, 2000, 2000, 2000];

function done(state: PackagingState, index: number, ids = RENDITIONS.map((r) => r.id)): PackagingState {
  for (const id of ids) {
    const bytes = (BYTES[id] ?? 0) + index * 997; // sizes vary a little, like real encodes
    state = applySegmentDone(state, { rendition: id, index, durationMs: DURATIONS_MS[index] ?? 2000, bytes });
  }
  return state;
}

/**
 * 0-4 done (4 finishing before 3), 5 failed in every rendition (a corrupt source segment), 6
 * failed in v360 only, the publisher reconnects 9 s later at 8, 8-10 done, 12 done but waiting
 * for 11, which only a0 finished.
 */
function liveSession(): PackagingState {
  let s = createPackagingState({ sessionId: 'sess-golden', channelId: 'chan-golden', startedAtMs: T0, renditions: RENDITIONS });
  for (const i of [0, 1, 2, 4, 3]) s = done(s, i);
  s = applySourceSegment(s, { index: 5, durationMs: DURATIONS_MS[5] ?? 0 });
  s = applySegmentFailed(s, { index: 5 });
  s = done(s, 6, ['v720', 'a0']);
  s = applySegmentFailed(s, { index: 6, rendition: 'v360' });
  s = done(s, 7);
  s = applyDiscontinuity(s, { atIndex: 8, wallClockMs: T0 + 16_000 + 9_000 });
  for (const i of [8, 10, 9, 12]) s = done(s, i);
  return done(s, 11, ['a0']);
}

function vodSession(): PackagingState {
  let s = liveSession();
  s = done(s, 11, ['v720', 'v360']);
  return applyEnd(s);
}

/** The VOD with what the workers read from the real init segments (x264 chose other levels, HE-AAC mono). */
function measuredSession(): PackagingState {
  let s = vodSession();
  s = applyRenditionMedia(s, { rendition: 'v720', index: 12, codecs: 'avc1.640020', width: 1280, height: 720, frameRate: 30 });
  s = applyRenditionMedia(s, { rendition: 'v360', index: 12, codecs: 'avc1.4d401e', width: 640, height: 352 });
  return applyRenditionMedia(s, { rendition: 'a0', index: 12, codecs: 'mp4a.40.5', sampleRateHz: 44_100, channels: 1 });
}

const outputs = (state: PackagingState, window: number) => ({
  'master.m3u8': multivariantPlaylist(state),
  'v720/index.m3u8': mediaPlaylist(state, 'v720', { windowSegments: window, minTargetDurationS: 2 }),
  'v360/index.m3u8': mediaPlaylist(state, 'v360', { windowSegments: window, minTargetDurationS: 2 }),
  'a0/index.m3u8': mediaPlaylist(state, 'a0', { windowSegments: window, minTargetDurationS: 2 }),
  'manifest.mpd': mpd(state, { windowSegments: window, minTargetDurationS: 2 }),
});

describe.each([
  { name: 'live', state: liveSession() },
  { name: 'vod', state: vodSession() },
])('$name session', ({ name, state }) => {
  test.each(Object.entries(outputs(state, 6)))('%s', async (file, text) => {
    await expect(text).toMatchFileSnapshot(`__golden__/${name}/${file.replace('/', '-')}`);
  });
});

describe('measured session', () => {
  const state = measuredSession();
  test.each([
    ['master.m3u8', multivariantPlaylist(state)],
    ['manifest.mpd', mpd(state, { windowSegments: 6, minTargetDurationS: 2 })],
  ])('%s', async (file, text) => {
    await expect(text).toMatchFileSnapshot(`__golden__/measured/${file}`);
  });
});
