import { describe, expect, it } from 'vitest';
import type { AudioDescription, VideoDescription } from '@headwater/codecs';
import { planLadder, rungSize, LadderSourceError } from './ladder-planner.js';
import type { LadderConfig } from './ladder-config.js';
import type { LadderPlan, LadderSource, VideoRendition } from './ladder-plan.js';

const h264 = (width: number, height: number, extra: Partial<VideoDescription> = {}): VideoDescription => ({
  codec: 'avc1',
  codecString: 'avc1.640028',
  width,
  height,
  bitDepth: 8,
  ...extra,
});
const aac: AudioDescription = { codec: 'mp4a', codecString: 'mp4a.40.2', objectType: 2, sampleRate: 48000, channels: 2 };

/** What a case expects of each video rendition, in plan order: `id WxH@fps kind bitrate [codecString]`. */
const row = (r: VideoRendition): string =>
  `${r.id} ${r.width}x${r.height}@${r.frameRateFraction ?? '?'} ${r.kind} ${r.bitrateBps}` + (r.kind === 'transcode' ? ` ${r.codecString}` : '');

interface Case {
  name: string;
  source: LadderSource;
  config?: Partial<LadderConfig>;
  video: string[];
  audio?: Partial<NonNullable<LadderPlan['audio']>> | 'none';
  skipped?: string[];
}

const cases: Case[] = [
  {
    name: '1080p60 H.264 6 Mb/s: source + 60 fps top rungs, 30 fps below 720p',
    source: { video: { ...h264(1920, 1080), frameRate: 60, bitrateBps: 6_000_000 }, audio: aac },
    video: [
      'source 1920x1080@60/1 passthrough 6000000',
      '1080p60 1920x1080@60/1 transcode 6000000 avc1.64002a',
      '720p60 1280x720@60/1 transcode 4500000 avc1.640020',
      '480p 854x480@30/1 transcode 1200000 avc1.64001f',
      '360p 640x360@30/1 transcode 800000 avc1.64001e',
      '160p 284x160@30/1 transcode 300000 avc1.64000c',
    ],
    audio: { kind: 'passthrough', codecString: 'mp4a.40.2' },
  },
  {
    name: '720p30 HEVC: source passthrough (hvc1), no rung above 720',
    source: { video: { codec: 'hvc1', codecString: 'hvc1.1.6.L93.B0', width: 1280, height: 720, frameRate: 30, bitrateBps: 2_500_000 } },
    video: [
      '720p 1280x720@30/1 transcode 3000000 avc1.64001f',
      'source 1280x720@30/1 passthrough 2500000',
      '480p 854x480@30/1 transcode 1200000 avc1.64001f',
      '360p 640x360@30/1 transcode 800000 avc1.64001e',
      '160p 284x160@30/1 transcode 300000 avc1.64000c',
    ],
    audio: 'none',
    skipped: ['1080p taller-than-source'],
  },
  {
    name: '640x360 AV1: 360p and 160p plus the source',
    source: { video: { codec: 'av01', codecString: 'av01.0.01M.08', width: 640, height: 360, frameRate: 30, bitrateBps: 700_000 }, audio: aac },
    video: ['360p 640x360@30/1 transcode 800000 avc1.64001e', 'source 640x360@30/1 passthrough 700000', '160p 284x160@30/1 transcode 300000 avc1.64000c'],
    skipped: ['1080p taller-than-source', '720p taller-than-source', '480p taller-than-source'],
  },
  {
    name: '640x360 VP9: not playable in CMAF, transcodes only',
    source: { video: { codec: 'vp09', codecString: 'vp09.00.21.08', width: 640, height: 360, frameRate: 30 } },
    video: ['360p 640x360@30/1 transcode 800000 avc1.64001e', '160p 284x160@30/1 transcode 300000 avc1.64000c'],
    skipped: ['source codec-not-playable', '1080p taller-than-source', '720p taller-than-source', '480p taller-than-source'],
  },
  {
    name: '4K HDR10 HEVC to H.264: SDR rungs tone-mapped from PQ',
    source: {
      video: { codec: 'hvc1', codecString: 'hvc1.2.4.L153.B0', width: 3840, height: 2160, frameRate: 30, bitDepth: 10, hdr: 'pq', bitrateBps: 20_000_000 },
    },
    video: [
      'source 3840x2160@30/1 passthrough 20000000',
      '1080p 1920x1080@30/1 transcode 4500000 avc1.640028',
      '720p 1280x720@30/1 transcode 3000000 avc1.64001f',
      '480p 854x480@30/1 transcode 1200000 avc1.64001f',
      '360p 640x360@30/1 transcode 800000 avc1.64001e',
      '160p 284x160@30/1 transcode 300000 avc1.64000c',
    ],
  },
  {
    name: '4K HDR10 HEVC to HEVC: HDR kept in Main 10',
    source: { video: { codec: 'hvc1', codecString: 'hvc1.2.4.L153.B0', width: 3840, height: 2160, frameRate: 30, bitDepth: 10, hdr: 'pq' } },
    config: { videoCodec: 'hevc', rungs: [{ height: 1080, bitrateBps: 4_000_000 }], passthrough: false },
    video: ['1080p 1920x1080@30/1 transcode 4000000 hvc1.2.4.L120.90'],
    skipped: ['source passthrough-disabled'],
  },
  {
    name: 'AV1 rungs of an HLG source keep HLG in 10 bits',
    source: { video: { codec: 'hvc1', codecString: 'hvc1.2.4.L153.B0', width: 1920, height: 1080, frameRate: 50, bitDepth: 10, hdr: 'hlg' } },
    config: { videoCodec: 'av1', rungs: [{ height: 720, bitrateBps: 2_000_000 }], passthrough: false },
    video: ['720p50 1280x720@50/1 transcode 2000000 av01.0.08M.10'],
  },
  {
    name: 'vertical 1080x1920: rungs by the short side',
    source: { video: { ...h264(1080, 1920), frameRate: 30 } },
    video: [
      'source 1080x1920@30/1 passthrough 4500000',
      '1080p 1080x1920@30/1 transcode 4500000 avc1.640028',
      '720p 720x1280@30/1 transcode 3000000 avc1.64001f',
      '480p 480x854@30/1 transcode 1200000 avc1.64001f',
      '360p 360x640@30/1 transcode 800000 avc1.64001e',
      '160p 160x284@30/1 transcode 300000 avc1.64000c',
    ],
  },
  {
    name: 'audio only',
    source: { audio: aac },
    video: [],
    audio: { kind: 'passthrough', sourceTrackId: 0 },
  },
  {
    name: 'video only',
    source: { video: { ...h264(640, 360), frameRate: 25 } },
    video: ['source 640x360@25/1 passthrough 800000', '360p 640x360@25/1 transcode 800000 avc1.64001e', '160p 284x160@25/1 transcode 300000 avc1.64000c'],
    audio: 'none',
  },
  {
    name: 'OBS multitrack 1080p60 + 720p + 480p tracks: tracks replace their rungs',
    source: {
      video: { ...h264(1920, 1080), frameRate: 60, bitrateBps: 6_000_000 },
      audio: aac,
      extraVideoTracks: [
        { trackId: 1, description: { ...h264(1280, 720), frameRate: 60 }, bitrateBps: 3_000_000 },
        { trackId: 2, description: { ...h264(852, 480), frameRate: 30 }, bitrateBps: 1_000_000, streamIndex: 2 },
      ],
    },
    video: [
      'source 1920x1080@60/1 passthrough 6000000',
      'source-t1 1280x720@60/1 passthrough 3000000',
      'source-t2 852x480@30/1 passthrough 1000000',
      '360p 640x360@30/1 transcode 800000 avc1.64001e',
      '160p 284x160@30/1 transcode 300000 avc1.64000c',
    ],
    skipped: ['1080p covered-by-passthrough', '720p covered-by-passthrough', '480p covered-by-passthrough'],
  },
  {
    name: '854x480: even widths below (640, 284)',
    source: { video: { ...h264(854, 480), frameRate: 30 } },
    video: [
      'source 854x480@30/1 passthrough 1200000',
      '480p 854x480@30/1 transcode 1200000 avc1.64001f',
      '360p 640x360@30/1 transcode 800000 avc1.64001e',
      '160p 284x160@30/1 transcode 300000 avc1.64000c',
    ],
  },
  {
    name: 'odd 853x481: rungs never wider than the source, even sides',
    source: { video: { ...h264(853, 481), frameRate: 30 } },
    config: { passthrough: false },
    video: ['480p 852x480@30/1 transcode 1200000 avc1.64001f', '360p 638x360@30/1 transcode 800000 avc1.64001e', '160p 284x160@30/1 transcode 300000 avc1.64000c'],
  },
  {
    name: '59.94 fps keeps its NTSC fraction, halved below 720p',
    source: { video: { ...h264(1280, 720), frameRate: 59.94005994 } },
    config: { passthrough: false, rungs: [{ height: 720, bitrateBps: 3_000_000, highFrameRateBitrateBps: 4_500_000 }, { height: 360, bitrateBps: 800_000, maxFrameRate: 30 }] },
    video: ['720p60 1280x720@60000/1001 transcode 4500000 avc1.640020', '360p 640x360@30000/1001 transcode 800000 avc1.64001e'],
  },
  {
    name: '120 fps source halved to 60 (and 30 for the low rungs)',
    source: { video: { ...h264(1280, 720), frameRate: 120 } },
    config: { passthrough: false },
    video: ['720p60 1280x720@60/1 transcode 4500000 avc1.640020', '480p 854x480@30/1 transcode 1200000 avc1.64001f', '360p 640x360@30/1 transcode 800000 avc1.64001e', '160p 284x160@30/1 transcode 300000 avc1.64000c'],
  },
  {
    name: 'unknown frame rate: timing passes through, GOP assumes 30 fps',
    source: { video: h264(640, 360) },
    config: { passthrough: false },
    // Levels are sized for the 60 fps cap when the rate is unknown.
    video: ['360p 640x360@? transcode 800000 avc1.64001f', '160p 284x160@? transcode 300000 avc1.64000d'],
  },
  {
    name: 'a VP9 source smaller than every rung still gets one rendition at its own size',
    source: { video: { codec: 'vp09', codecString: 'vp09.00.10.08', width: 160, height: 90, frameRate: 30 } },
    video: ['90p 160x90@30/1 transcode 300000 avc1.64000c'],
  },
  {
    name: 'skipRungsCoveredBySource: the source replaces the rung of its height',
    source: { video: { ...h264(1280, 720), frameRate: 30, bitrateBps: 3_500_000 } },
    config: { skipRungsCoveredBySource: true, rungs: [{ height: 720, bitrateBps: 3_000_000 }, { height: 360, bitrateBps: 800_000 }] },
    video: ['source 1280x720@30/1 passthrough 3500000', '360p 640x360@30/1 transcode 800000 avc1.64001e'],
    skipped: ['720p covered-by-passthrough'],
  },
  {
    name: 'unknown source size: passthrough only',
    source: { video: { codec: 'avc1', codecString: 'avc1.64001f' } },
    video: [],
    skipped: ['source source-size-unknown', '1080p source-size-unknown', '720p source-size-unknown', '480p source-size-unknown', '360p source-size-unknown', '160p source-size-unknown'],
  },
];

describe('planLadder', () => {
  it.each(cases)('$name', (c) => {
    const plan = planLadder(c.source, c.config);
    expect(plan.video.map(row)).toEqual(c.video);
    if (c.audio === 'none') expect(plan.audio).toBeUndefined();
    else if (c.audio) expect(plan.audio).toMatchObject(c.audio);
    if (c.skipped) expect(plan.skipped.map((s) => `${s.id} ${s.reason}`)).toEqual(c.skipped);
    expect(plan.segmentDurationMs).toBe(c.config?.segmentDurationMs ?? 2000);
  });

  it('derives GOP, VBV and stream indexes', () => {
    const plan = planLadder({
      video: { ...h264(1920, 1080), frameRate: 30000 / 1001 },
      extraVideoTracks: [{ trackId: 7, description: h264(640, 360) }],
    });
    const rung = plan.video.find((r) => r.id === '720p');
    expect(rung).toMatchObject({ kind: 'transcode', gopFrames: 60, maxrateBps: 3_300_000, bufsizeBits: 6_600_000, profile: 'high', level: 3.1 });
    const extra = plan.video.find((r) => r.id === 'source-t7');
    expect(extra).toMatchObject({ kind: 'passthrough', sourceTrackId: 7, sourceStreamIndex: 1, bitrateOrigin: 'estimated', bitrateBps: 800_000 });
    // Multitrack: the main track stands in for the 1080p rung, the extra one for 360p.
    expect(plan.video.map((r) => r.id)).toEqual(['source', '720p', '480p', 'source-t7', '160p']);
    expect(planLadder({ video: { ...h264(1280, 720), frameRate: 50 } }, { segmentDurationMs: 4000 }).video.find((r) => r.id === '720p50')).toMatchObject({ gopFrames: 200 });
    expect(plan.video.find((r) => r.id === 'source')).toMatchObject({ sourceStreamIndex: 0, bitrateOrigin: 'estimated' });
  });

  it.each([
    ['Opus stereo', { codec: 'Opus', codecString: 'opus', sampleRate: 48000, channels: 2 }, { kind: 'transcode', channels: 2, bitrateBps: 128000, sampleRate: 48000, codecString: 'mp4a.40.2', boundaryAdvanceMs: 100 }],
    ['AC-3 5.1 downmixed', { codec: 'ac-3', codecString: 'ac-3', sampleRate: 48000, channels: 6 }, { kind: 'transcode', channels: 2, bitrateBps: 128000 }],
    ['MP3 44.1 kHz mono', { codec: '.mp3', codecString: 'mp4a.40.34', sampleRate: 44100, channels: 1 }, { kind: 'transcode', channels: 1, bitrateBps: 64000, sampleRate: 48000 }],
    ['FLAC', { codec: 'fLaC', codecString: 'flac', sampleRate: 96000, channels: 2 }, { kind: 'transcode', sampleRate: 48000 }],
    ['HE-AAC copied', { codec: 'mp4a', codecString: 'mp4a.40.5', objectType: 5, sampleRate: 44100, channels: 2 }, { kind: 'passthrough', codecString: 'mp4a.40.5', sampleRate: 44100, boundaryAdvanceMs: 0 }],
    ['AAC Main re-encoded', { codec: 'mp4a', codecString: 'mp4a.40.1', objectType: 1, sampleRate: 48000, channels: 2 }, { kind: 'transcode' }],
  ] as const)('audio: %s', (_name, audio, expected) => {
    expect(planLadder({ audio }).audio).toMatchObject(expected);
  });

  it('re-encodes AAC when audioPassthrough is off', () => {
    expect(planLadder({ audio: aac }, { audioPassthrough: false }).audio).toMatchObject({ kind: 'transcode', codecString: 'mp4a.40.2', bitrateBps: 128000 });
  });

  it('reports measured audio bitrates for passthrough', () => {
    expect(planLadder({ audio: { ...aac, bitrateBps: 160_000 } }).audio).toMatchObject({ bitrateBps: 160_000, bitrateOrigin: 'measured' });
  });

  it('rejects duplicate track ids and stream indexes', () => {
    const video = { ...h264(1280, 720), frameRate: 30 };
    expect(() => planLadder({ video, extraVideoTracks: [{ trackId: 0, description: video }] })).toThrow(LadderSourceError);
    expect(() => planLadder({ video, extraVideoTracks: [{ trackId: 1, description: video, streamIndex: 0 }] })).toThrow(/stream index/);
  });

  it('treats absurd frame rates as unknown', () => {
    for (const frameRate of [0, -30, Number.NaN, Number.POSITIVE_INFINITY, 5000]) {
      const plan = planLadder({ video: { ...h264(640, 360), frameRate } }, { passthrough: false });
      expect(plan.video.every((r) => r.frameRate === undefined)).toBe(true);
    }
  });
});

describe('rungSize', () => {
  it.each([
    [1920, 1080, 720, 1280, 720],
    [1080, 1920, 720, 720, 1280],
    [854, 480, 360, 640, 360],
    [640, 360, 160, 284, 160],
    [1440, 1080, 480, 640, 480],
    [2560, 1080, 720, 1706, 720],
    [101, 99, 160, 100, 98],
    [3, 3, 160, 2, 2],
  ])('%ix%i at %ip → %ix%i', (w, h, nominal, ew, eh) => {
    expect(rungSize(w, h, nominal)).toEqual({ width: ew, height: eh });
  });
});
