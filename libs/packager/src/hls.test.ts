import { describe, expect, test } from 'vitest';
import { mediaPlaylist, multivariantPlaylist } from './hls.js';
import type { PackagingState } from './packaging-state.js';
import { applyDiscontinuity, applyEnd, applySegmentDone, applySegmentFailed, applySourceSegment, createPackagingState } from './packaging-state.js';
import type { RenditionSpec } from './rendition.js';

const T0 = Date.UTC(2025, 0, 1, 12);
const V720: RenditionSpec = { kind: 'video', id: 'v720', codecs: 'avc1.64001f', width: 1280, height: 720, frameRate: 30, nominalBitrate: 3_000_000 };
const V360: RenditionSpec = { kind: 'video', id: 'v360', codecs: 'avc1.64001e', width: 640, height: 360, frameRate: 29.97, nominalBitrate: 800_000 };
const A0: RenditionSpec = { kind: 'audio', id: 'a0', codecs: 'mp4a.40.2', sampleRateHz: 48_000, channels: 2, nominalBitrate: 128_000, language: 'en', name: 'English' };

function session(renditions: RenditionSpec[] = [V720, V360, A0]): PackagingState {
  return createPackagingState({ sessionId: 's', channelId: 'c', startedAtMs: T0, renditions });
}
/** Every rendition done for indices `from..to-1`, `bytes(renditionId, index)` each. */
function complete(state: PackagingState, from: number, to: number, durationMs = 2000, bytes = (_id: string, _i: number) => 1000): PackagingState {
  for (let index = from; index < to; index++) {
    for (const { id } of state.renditions) state = applySegmentDone(state, { rendition: id, index, durationMs, bytes: bytes(id, index) });
  }
  return state;
}
const tagLines = (text: string, tag: string) => text.split('\n').filter((l) => l.startsWith(tag));

describe('multivariantPlaylist', () => {
  test('measured BANDWIDTH / AVERAGE-BANDWIDTH add the audio group to each video rendition', () => {
    // v720 segments: 500 kB and 250 kB per 2 s → peak 2 Mb/s, average 1.5 Mb/s; a0: 32 kB → 128 kb/s.
    const sizes: Record<string, number[]> = { v720: [500_000, 250_000], v360: [100_000, 100_000], a0: [32_000, 32_000] };
    const text = multivariantPlaylist(complete(session(), 0, 2, 2000, (id, i) => sizes[id]?.[i] ?? 0));
    expect(text.split('\n').slice(0, 3)).toEqual(['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS']);
    expect(tagLines(text, '#EXT-X-MEDIA:')).toEqual([
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="a0/index.m3u8"',
    ]);
    expect(tagLines(text, '#EXT-X-STREAM-INF:')).toEqual([
      '#EXT-X-STREAM-INF:BANDWIDTH=2128000,AVERAGE-BANDWIDTH=1628000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="audio"',
      '#EXT-X-STREAM-INF:BANDWIDTH=528000,AVERAGE-BANDWIDTH=528000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=29.970,AUDIO="audio"',
    ]);
    expect(text).toContain('"audio"\nv720/index.m3u8\n');
  });

  test('before any segment, the ladder bitrates stand in', () => {
    expect(tagLines(multivariantPlaylist(session()), '#EXT-X-STREAM-INF:')[0]).toContain('BANDWIDTH=3128000,AVERAGE-BANDWIDTH=3128000');
  });

  test('only the first rendition of an audio group is DEFAULT; a group codec list is deduplicated', () => {
    const a1: RenditionSpec = { ...A0, id: 'a1', name: 'Commentary', language: 'fr' };
    const text = multivariantPlaylist(session([V720, A0, a1]));
    expect(tagLines(text, '#EXT-X-MEDIA:').map((l) => /DEFAULT=(\w+)/.exec(l)?.[1])).toEqual(['YES', 'NO']);
    expect(text).toContain('CODECS="avc1.64001f,mp4a.40.2"');
  });

  test('video only: no AUDIO attribute and no EXT-X-MEDIA', () => {
    const text = multivariantPlaylist(session([V720]));
    expect(text).not.toContain('AUDIO');
    expect(text).toContain('CODECS="avc1.64001f",RESOLUTION=1280x720');
  });

  test('audio only: the audio renditions are the variants', () => {
    const text = multivariantPlaylist(session([A0]));
    expect(text).toContain('#EXT-X-STREAM-INF:BANDWIDTH=128000,AVERAGE-BANDWIDTH=128000,CODECS="mp4a.40.2"\na0/index.m3u8\n');
    expect(text).not.toContain('#EXT-X-MEDIA');
  });

  test('media playlist URIs can be placed elsewhere', () => {
    expect(multivariantPlaylist(session([V720]), { mediaPlaylistUri: (id) => `${id}.m3u8` })).toContain('\nv720.m3u8\n');
  });
});

describe('mediaPlaylist', () => {
  test('live: sliding window, media sequence, PROGRAM-DATE-TIME on the first shown segment', () => {
    const text = mediaPlaylist(complete(session(), 0, 9), 'v720', { windowSegments: 3 });
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:6',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2025-01-01T12:00:12.000Z',
        '#EXTINF:2.000,',
        'seg-6.m4s',
        '#EXTINF:2.000,',
        'seg-7.m4s',
        '#EXTINF:2.000,',
        'seg-8.m4s',
        '',
      ].join('\n'),
    );
  });

  test('a failed segment is an EXT-X-GAP with its EXTINF and URI, only in the rendition that failed', () => {
    let state = complete(session(), 0, 1);
    state = applySegmentDone(state, { rendition: 'v720', index: 1, durationMs: 2000, bytes: 1 });
    state = applySegmentFailed(state, { index: 1 }); // v360 and a0 were pending
    state = complete(state, 2, 3);
    expect(mediaPlaylist(state, 'v720')).not.toContain('GAP');
    expect(mediaPlaylist(state, 'v360')).toContain('seg-0.m4s\n#EXTINF:2.000,\n#EXT-X-GAP\nseg-1.m4s\n#EXTINF:2.000,\nseg-2.m4s\n');
  });

  test('discontinuity: tag, new EXT-X-MAP when the init changed, PROGRAM-DATE-TIME after the wall-clock hole', () => {
    let state = complete(session(), 0, 2);
    state = applyDiscontinuity(state, { atIndex: 2, wallClockMs: T0 + 60_000 });
    state = applyDiscontinuity(state, { atIndex: 3, newInit: false });
    state = complete(state, 2, 4, 1500);
    const text = mediaPlaylist(state, 'a0');
    expect(text).toContain(
      [
        'seg-1.m4s',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init-1.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2025-01-01T12:01:00.000Z',
        '#EXTINF:1.500,',
        'seg-2.m4s',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-PROGRAM-DATE-TIME:2025-01-01T12:01:01.500Z',
        '#EXTINF:1.500,',
        'seg-3.m4s',
      ].join('\n'),
    );
    // Once the window starts after both, the count moves into DISCONTINUITY-SEQUENCE and the
    // first segment gets the current init, not a stale one.
    state = complete(state, 4, 6, 1500);
    const windowed = mediaPlaylist(state, 'a0', { windowSegments: 3 });
    expect(windowed).toContain('#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-DISCONTINUITY-SEQUENCE:2\n#EXT-X-MAP:URI="init-1.mp4"\n#EXT-X-PROGRAM-DATE-TIME:2025-01-01T12:01:01.500Z\n');
    expect(windowed).not.toContain('#EXT-X-DISCONTINUITY\n');
  });

  test('VOD only once ended and complete: PLAYLIST-TYPE:VOD, the whole session, ENDLIST', () => {
    let state = complete(session(), 0, 8);
    state = applySourceSegment(state, { index: 8, durationMs: 2000 });
    state = applyEnd(state);
    const ending = mediaPlaylist(state, 'v720');
    expect(ending).not.toContain('ENDLIST');
    expect(ending).toContain('#EXT-X-MEDIA-SEQUENCE:2\n');
    state = complete(state, 8, 9);
    const vod = mediaPlaylist(state, 'v720');
    expect(tagLines(vod, '#EXT-X-PLAYLIST-TYPE')).toEqual(['#EXT-X-PLAYLIST-TYPE:VOD']);
    expect(vod).toContain('#EXT-X-MEDIA-SEQUENCE:0\n');
    expect(tagLines(vod, '#EXTINF')).toHaveLength(9);
    expect(vod.endsWith('seg-8.m4s\n#EXT-X-ENDLIST\n')).toBe(true);
  });

  test('an unbounded live window is an EVENT playlist', () => {
    const text = mediaPlaylist(complete(session(), 0, 9), 'v720', { windowSegments: Infinity });
    expect(text).toContain('#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:EVENT\n');
    expect(text).not.toContain('ENDLIST');
  });

  test('TARGETDURATION: longest published segment of the session rounded to nearest (RFC 8216 §4.3.3.1), at least the configured target', () => {
    let state = complete(session(), 0, 1, 4500);
    state = complete(state, 1, 8, 2002);
    expect(mediaPlaylist(state, 'v720', { windowSegments: 2 })).toContain('#EXT-X-TARGETDURATION:5\n');
    expect(mediaPlaylist(complete(session(), 0, 3, 2499), 'v720')).toContain('#EXT-X-TARGETDURATION:2\n');
    expect(mediaPlaylist(complete(session(), 0, 1), 'v720', { minTargetDurationS: 4 })).toContain('#EXT-X-TARGETDURATION:4\n');
  });

  test('nothing published yet: headers only', () => {
    expect(mediaPlaylist(session(), 'a0')).toBe(
      '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n',
    );
  });

  test('unknown rendition and bad window are refused', () => {
    expect(() => mediaPlaylist(session(), 'nope')).toThrow(expect.objectContaining({ code: 'unknown-rendition' }));
    expect(() => mediaPlaylist(session(), 'a0', { windowSegments: 0 })).toThrow(expect.objectContaining({ code: 'invalid-option' }));
  });
});
