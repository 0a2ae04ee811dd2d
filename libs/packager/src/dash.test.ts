import { describe, expect, test } from 'vitest';
import { dashFrameRate, mpd } from './dash.js';
import type { PackagingState } from './packaging-state.js';
import { applyDiscontinuity, applyEnd, applySegmentDone, applySegmentFailed, createPackagingState } from './packaging-state.js';
import type { RenditionSpec } from './rendition.js';
import { escapeXml } from './xml.js';

const T0 = Date.UTC(2025, 0, 1, 12);
const V720: RenditionSpec = { kind: 'video', id: 'v720', codecs: 'avc1.64001f', width: 1280, height: 720, frameRate: 30, nominalBitrate: 3_000_000 };
const V360: RenditionSpec = { kind: 'video', id: 'v360', codecs: 'avc1.64001e', width: 640, height: 360, frameRate: 29.97, nominalBitrate: 800_000 };
const A0: RenditionSpec = { kind: 'audio', id: 'a0', codecs: 'mp4a.40.2', sampleRateHz: 48_000, channels: 2, nominalBitrate: 128_000, language: 'en', name: 'Music & <talk>' };

function session(renditions: RenditionSpec[] = [V720, V360, A0]): PackagingState {
  return createPackagingState({ sessionId: 's', channelId: 'c', startedAtMs: T0, renditions });
}
function complete(state: PackagingState, from: number, to: number, durationMs = 2000): PackagingState {
  for (let index = from; index < to; index++) {
    for (const { id } of state.renditions) state = applySegmentDone(state, { rendition: id, index, durationMs, bytes: 50_000 });
  }
  return state;
}
/** `Period` id/start and, per AdaptationSet, the SegmentTemplate line and its S elements. */
function periods(xml: string) {
  return [...xml.matchAll(/<Period id="(\w+)" start="([^"]+)"[^>]*>([\s\S]*?)<\/Period>/g)].map(([, id, start, body]) => ({
    id,
    start,
    templates: [...(body ?? '').matchAll(/<SegmentTemplate ([^>]*)>([\s\S]*?)<\/SegmentTemplate>/g)].map(([, attrs, inner]) => ({
      attrs,
      s: [...(inner ?? '').matchAll(/<S [^>]*\/>/g)].map(([s]) => s),
    })),
  }));
}

describe('mpd', () => {
  test('live: dynamic with the live attributes, one SegmentTemplate per AdaptationSet', () => {
    const xml = mpd(complete(session(), 0, 3));
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"')).toBe(true);
    expect(xml).toContain(
      'type="dynamic" availabilityStartTime="2025-01-01T12:00:00.000Z" publishTime="2025-01-01T12:00:06.000Z" minimumUpdatePeriod="PT2.000S" timeShiftBufferDepth="PT6.000S" suggestedPresentationDelay="PT6.000S" minBufferTime="PT2.000S">',
    );
    expect(xml).not.toContain('mediaPresentationDuration');
    const [p] = periods(xml);
    expect(p?.templates).toHaveLength(2);
    expect(p?.templates[0]?.attrs).toBe(
      'timescale="1000" presentationTimeOffset="0" startNumber="0" initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/seg-$Number$.m4s"',
    );
    expect(p?.templates[0]?.s).toEqual(['<S t="0" d="2000" r="2"/>']);
    expect(xml).toContain('<AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="1280" maxHeight="720" maxFrameRate="30">');
    expect(xml).toContain('<Representation id="v360" bandwidth="200000" codecs="avc1.64001e" width="640" height="360" frameRate="30000/1001" sar="1:1"/>');
    expect(xml).toContain('<Representation id="a0" bandwidth="200000" codecs="mp4a.40.2" audioSamplingRate="48000">');
    expect(xml).toContain('<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>');
    expect(xml).toContain('<Label>Music &amp; &lt;talk&gt;</Label>');
  });

  test('options override the derived live timings', () => {
    const xml = mpd(complete(session([V720]), 0, 1), {
      minimumUpdatePeriodMs: 1000,
      suggestedPresentationDelayMs: 4500,
      minBufferTimeMs: 1500,
      publishTimeMs: T0 + 7,
      windowSegments: Infinity,
    });
    expect(xml).toContain('publishTime="2025-01-01T12:00:00.007Z" minimumUpdatePeriod="PT1.000S" suggestedPresentationDelay="PT4.500S" minBufferTime="PT1.500S"');
    expect(xml).not.toContain('timeShiftBufferDepth');
    expect(() => mpd(session(), { minBufferTimeMs: -1 })).toThrow(expect.objectContaining({ code: 'invalid-option' }));
  });

  test('timeline runs: equal durations fold into S@r, t only on the first', () => {
    let state = complete(session([A0]), 0, 2, 2000);
    state = complete(state, 2, 3, 1980);
    state = complete(state, 3, 5, 2000);
    expect(periods(mpd(state))[0]?.templates[0]?.s).toEqual(['<S t="0" d="2000" r="1"/>', '<S d="1980"/>', '<S d="2000" r="1"/>']);
  });

  test('live window: only the last segments, startNumber and t follow, the Period keeps its id', () => {
    const xml = mpd(complete(session([V720]), 0, 10), { windowSegments: 4 });
    const [p] = periods(xml);
    expect(p?.id).toBe('p0');
    expect(p?.templates[0]?.attrs).toContain('presentationTimeOffset="0" startNumber="6"');
    expect(p?.templates[0]?.s).toEqual(['<S t="12000" d="2000" r="3"/>']);
    expect(xml).toContain('timeShiftBufferDepth="PT8.000S"');
  });

  test('end → static with mediaPresentationDuration and every segment', () => {
    const xml = mpd(applyEnd(complete(session(), 0, 10)));
    expect(xml).toContain('type="static" mediaPresentationDuration="PT20.000S" minBufferTime="PT2.000S">');
    expect(xml).not.toMatch(/dynamic|availabilityStartTime|minimumUpdatePeriod/);
    expect(periods(xml)[0]?.templates[0]?.s).toEqual(['<S t="0" d="2000" r="9"/>']);
  });

  test('a discontinuity opens a Period: new init, start after the wall-clock hole, media time continues', () => {
    let state = complete(session(), 0, 2);
    state = applyDiscontinuity(state, { atIndex: 2, wallClockMs: T0 + 30_000 });
    state = complete(state, 2, 4);
    const ps = periods(mpd(applyEnd(state)));
    expect(ps.map((p) => [p.id, p.start])).toEqual([
      ['p0', 'PT0.000S'],
      ['p2', 'PT30.000S'],
    ]);
    expect(ps[1]?.templates[0]?.attrs).toContain('presentationTimeOffset="4000" startNumber="2" initialization="$RepresentationID$/init-1.mp4"');
    expect(ps[1]?.templates[0]?.s).toEqual(['<S t="4000" d="2000" r="1"/>']);
    expect(mpd(applyEnd(state))).toContain('mediaPresentationDuration="PT34.000S"');
  });

  test('a segment failed in every rendition ends the Period; the next starts after the gap', () => {
    let state = complete(session(), 0, 2);
    state = applySegmentFailed(state, { index: 2, durationMs: 2000 });
    state = applySegmentFailed(state, { index: 3, durationMs: 1000 });
    state = complete(state, 4, 6);
    const ps = periods(mpd(state));
    expect(ps.map((p) => [p.id, p.start, p.templates[0]?.s])).toEqual([
      ['p0', 'PT0.000S', ['<S t="0" d="2000" r="1"/>']],
      ['p4', 'PT7.000S', ['<S t="7000" d="2000" r="1"/>']],
    ]);
    expect(ps[1]?.templates[0]?.attrs).toContain('presentationTimeOffset="7000" startNumber="4" initialization="$RepresentationID$/init.mp4"');
  });

  test('a segment failed in some renditions keeps its S: the timeline is shared', () => {
    let state = complete(session(), 0, 1);
    state = applySegmentDone(state, { rendition: 'v720', index: 1, durationMs: 2000, bytes: 1 });
    state = applySegmentFailed(state, { index: 1 });
    state = complete(state, 2, 3);
    const ps = periods(mpd(state));
    expect(ps).toHaveLength(1);
    expect(ps[0]?.templates[0]?.s).toEqual(['<S t="0" d="2000" r="2"/>']);
  });

  test('nothing published yet: one empty Period', () => {
    expect(mpd(session())).toContain('<Period id="p0" start="PT0.000S"/>\n</MPD>\n');
  });
});

describe('escapeXml', () => {
  const cases: [string, string][] = [
    ['plain', 'plain'],
    [`a&b<c>d"e'f`, 'a&amp;b&lt;c&gt;d&quot;e&apos;f'],
    ['&amp;', '&amp;amp;'],
    ['bell\u0007 nul\u0000', 'bell\ufffd nul\ufffd'],
    ['tab\tnl\ncr\r', 'tab\tnl\ncr\r'],
    ['lone \ud800 surrogate', 'lone \ufffd surrogate'],
    ['pair \ud83c\udfb5 kept', 'pair \ud83c\udfb5 kept'],
  ];
  test.each(cases)('%j', (input, output) => expect(escapeXml(input)).toBe(output));
});

describe('dashFrameRate', () => {
  const cases: [number, string][] = [
    [30, '30'],
    [29.97, '30000/1001'],
    [30000 / 1001, '30000/1001'],
    [23.976, '24000/1001'],
    [59.94, '60000/1001'],
    [12.5, '25/2'],
    [14.985, '2997/200'],
  ];
  test.each(cases)('%d → %s', (fps, text) => expect(dashFrameRate(fps)).toBe(text));
});
