import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ProtocolError } from '@headwater/bytes';
import { FlvReader, encodeAudioTag, encodeVideoTag, parseAudioTag, parseVideoTag } from '@headwater/flv';
import type { AudioTag, AudioTrackPacket, FlvTag, VideoTag, VideoTrackPacket } from '@headwater/flv';
import { fixturePath, listFlvFixtures } from '@headwater/testkit';
import { TrackCatalog, TrackLimitError } from './track-catalog.js';
import type { DescribeFailure } from './track-catalog.js';

function readFlvTags(name: string): FlvTag[] {
  const reader = new FlvReader();
  const tags = reader.push(readFileSync(fixturePath(name)));
  reader.end();
  return tags;
}

/** Feeds audio and video tags the way IngestConnection does (script tags carry no tracks). */
function feed(catalog: TrackCatalog, tag: FlvTag): void {
  if (tag.body.length === 0) return;
  if (tag.type === 9) catalog.onVideo(parseVideoTag(tag.body));
  else if (tag.type === 8) catalog.onAudio(parseAudioTag(tag.body));
}

/** The data of the first non-empty SequenceStart of `media` in a fixture (a copy). */
function firstConfig(name: string, media: 'video' | 'audio'): Uint8Array {
  for (const tag of readFlvTags(name)) {
    if (tag.type !== (media === 'video' ? 9 : 8)) continue;
    const tracks = media === 'video' ? parseVideoTag(tag.body).tracks : parseAudioTag(tag.body).tracks;
    const start = tracks.find((t) => t.packetType === 'sequence-start' && t.data.length > 0);
    if (start) return start.data.slice();
  }
  throw new Error(`${name} has no ${media} SequenceStart`);
}

interface Expected {
  video: { codec: string; codecStringPrefix: string; width: number; height: number };
  audio: { codec: string; sampleRate: number; channels: number };
}

/** What every shared fixture must describe as (README of the fixtures folder). */
const EXPECTED: Record<string, Expected> = {
  'h264_aac.flv': { video: { codec: 'avc1', codecStringPrefix: 'avc1.64', width: 640, height: 360 }, audio: { codec: 'mp4a', sampleRate: 48_000, channels: 2 } },
  'hevc_aac.flv': { video: { codec: 'hvc1', codecStringPrefix: 'hvc1.1.', width: 640, height: 360 }, audio: { codec: 'mp4a', sampleRate: 48_000, channels: 2 } },
  'av1_aac.flv': { video: { codec: 'av01', codecStringPrefix: 'av01.0.', width: 640, height: 360 }, audio: { codec: 'mp4a', sampleRate: 48_000, channels: 2 } },
  'vp9_opus.flv': { video: { codec: 'vp09', codecStringPrefix: 'vp09.00.', width: 640, height: 360 }, audio: { codec: 'Opus', sampleRate: 48_000, channels: 2 } },
  'veovera_testsrc2_av1_opus.flv': { video: { codec: 'av01', codecStringPrefix: 'av01.0.', width: 980, height: 540 }, audio: { codec: 'Opus', sampleRate: 48_000, channels: 1 } },
  'veovera_bbb_av1_opus.flv': { video: { codec: 'av01', codecStringPrefix: 'av01.0.', width: 960, height: 540 }, audio: { codec: 'Opus', sampleRate: 48_000, channels: 2 } },
};

describe('TrackCatalog on the shared fixtures', () => {
  test('every fixture has an expectation', () => {
    expect(listFlvFixtures().sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test.each(listFlvFixtures())('%s', (name) => {
    const expected = EXPECTED[name];
    if (!expected) throw new Error(`no expectation for ${name}`);
    const failures: DescribeFailure[] = [];
    const catalog = new TrackCatalog(8, (f) => failures.push(f));
    const tags = readFlvTags(name);
    // Counted independently of the catalog, from the parsed tags.
    const counted = { video: { frames: 0, bytes: 0 }, audio: { frames: 0, bytes: 0 } };
    for (const tag of tags) {
      feed(catalog, tag);
      if (tag.body.length === 0 || tag.type === 18) continue;
      const media = tag.type === 9 ? 'video' : 'audio';
      const packets: (VideoTrackPacket | AudioTrackPacket)[] = tag.type === 9 ? parseVideoTag(tag.body).tracks : parseAudioTag(tag.body).tracks;
      for (const p of packets.filter((p) => p.packetType === 'coded-frames')) {
        counted[media].frames++;
        counted[media].bytes += p.data.length;
      }
    }
    expect(failures).toEqual([]);

    const { video, audio } = catalog.snapshot();
    expect(video).toHaveLength(1);
    expect(audio).toHaveLength(1);
    const v = video[0]!;
    const a = audio[0]!;

    expect(v.trackId).toBe(0);
    expect(v.codec).toBe(expected.video.codec);
    expect(v.description).toMatchObject({ codec: expected.video.codec, width: expected.video.width, height: expected.video.height });
    expect(v.description!.codecString.startsWith(expected.video.codecStringPrefix)).toBe(true);
    expect(v.config).toEqual(lastConfig(tags, 'video'));
    expect(v.frames).toBe(counted.video.frames);
    expect(v.bytes).toBe(counted.video.bytes);
    expect(v.frames).toBeGreaterThan(100);

    expect(a.trackId).toBe(0);
    expect(a.codec).toBe(expected.audio.codec);
    expect(a.description).toMatchObject({ codec: expected.audio.codec, sampleRate: expected.audio.sampleRate, channels: expected.audio.channels });
    expect(a.config).toEqual(lastConfig(tags, 'audio'));
    expect(a.frames).toBe(counted.audio.frames);
    expect(a.bytes).toBe(counted.audio.bytes);
  });

  test('h264: avc1 High, 640x360, codec string from the SPS', () => {
    const catalog = new TrackCatalog(4);
    for (const tag of readFlvTags('h264_aac.flv')) feed(catalog, tag);
    const d = catalog.snapshot().video[0]!.description!;
    expect(d).toMatchObject({ codec: 'avc1', profile: 'High', width: 640, height: 360, bitDepth: 8, chromaFormat: '4:2:0', lengthSizeMinusOne: 3 });
    expect(d.codecString).toMatch(/^avc1\.64[0-9a-f]{4}$/);
    expect(catalog.snapshot().audio[0]!.description).toMatchObject({ codec: 'mp4a', codecString: 'mp4a.40.2' });
  });

  test('hevc: hvc1 with the colorInfo metadata packet recorded', () => {
    const catalog = new TrackCatalog(4);
    for (const tag of readFlvTags('hevc_aac.flv')) feed(catalog, tag);
    const snap = catalog.snapshot();
    expect(snap.video[0]!.description).toMatchObject({ codec: 'hvc1', profile: 'Main', width: 640, height: 360 });
    expect(snap.video[0]!.description!.codecString).toMatch(/^hvc1\./);
    expect(snap.colorInfo).toBeDefined();
  });

  test('vp9: the size is unknown after the vpcC and learnt from the first key frame', () => {
    const catalog = new TrackCatalog(4);
    let beforeKey: Record<string, unknown> | 'not seen' = 'not seen';
    let afterKey: Record<string, unknown> | 'not seen' = 'not seen';
    for (const tag of readFlvTags('vp9_opus.flv')) {
      if (tag.type === 9 && afterKey === 'not seen') {
        const parsed = parseVideoTag(tag.body);
        if (parsed.frameType === 'key' && parsed.tracks[0]?.packetType === 'coded-frames') {
          beforeKey = { ...catalog.snapshot().video[0]!.description };
          feed(catalog, tag);
          afterKey = { ...catalog.snapshot().video[0]!.description };
          continue;
        }
      }
      feed(catalog, tag);
    }
    expect(beforeKey).toMatchObject({ codec: 'vp09', codecString: expect.stringMatching(/^vp09\.00\./) });
    expect(beforeKey).not.toHaveProperty('width');
    expect(beforeKey).not.toHaveProperty('height');
    expect(afterKey).toMatchObject({ codec: 'vp09', width: 640, height: 360 });
    expect(catalog.snapshot().audio[0]!.description).toEqual({ codec: 'Opus', codecString: 'opus', sampleRate: 48_000, channels: 2 });
  });

  test.each([
    ['veovera_testsrc2_av1_opus.flv', 980, 540],
    ['veovera_bbb_av1_opus.flv', 960, 540],
  ])('%s: the empty first SequenceStart is ignored, the later complete one wins', (name, width, height) => {
    const failures: DescribeFailure[] = [];
    const catalog = new TrackCatalog(4, (f) => failures.push(f));
    let starts = 0;
    for (const tag of readFlvTags(name)) {
      feed(catalog, tag);
      if (tag.type !== 9) continue;
      const start = parseVideoTag(tag.body).tracks.find((t) => t.packetType === 'sequence-start');
      if (!start) continue;
      starts++;
      const v = catalog.snapshot().video[0]!;
      if (starts === 1) {
        expect(start.data.length).toBe(0);
        expect(v.description).toBeUndefined();
        expect(v.config).toBeUndefined();
      } else {
        expect(start.data.length).toBeGreaterThan(0);
        expect(v.description).toMatchObject({ codec: 'av01', width, height });
        expect(v.config).toEqual(start.data);
      }
    }
    expect(starts).toBe(2);
    expect(failures).toEqual([]);
    expect(catalog.snapshot().video[0]!.description).toMatchObject({ width, height });
  });
});

/** The data of the last non-empty SequenceStart of `media` (what the catalog must keep). */
function lastConfig(tags: readonly FlvTag[], media: 'video' | 'audio'): Uint8Array | undefined {
  let last: Uint8Array | undefined;
  for (const tag of tags) {
    if (tag.type !== (media === 'video' ? 9 : 8) || tag.body.length === 0) continue;
    const tracks = media === 'video' ? parseVideoTag(tag.body).tracks : parseAudioTag(tag.body).tracks;
    for (const t of tracks) if (t.packetType === 'sequence-start' && t.data.length > 0) last = t.data;
  }
  return last;
}

function videoTrack(over: Partial<VideoTrackPacket> & Pick<VideoTrackPacket, 'codec' | 'packetType' | 'data'>): VideoTrackPacket {
  return { trackId: 0, compositionTimeMs: 0, timestampOffsetNs: 0, ...over };
}

function audioTrack(over: Partial<AudioTrackPacket> & Pick<AudioTrackPacket, 'codec' | 'packetType' | 'data'>): AudioTrackPacket {
  return { trackId: 0, timestampOffsetNs: 0, ...over };
}

/** Encodes, then parses back, as the ingest sees it on the wire. */
function wireVideo(tag: VideoTag): VideoTag {
  return parseVideoTag(encodeVideoTag(tag));
}

function wireAudio(tag: AudioTag): AudioTag {
  return parseAudioTag(encodeAudioTag(tag));
}

describe('TrackCatalog behaviour', () => {
  const avcC = firstConfig('h264_aac.flv', 'video');
  const hvcC = firstConfig('hevc_aac.flv', 'video');
  const av1C640 = firstConfig('av1_aac.flv', 'video');
  const av1C980 = firstConfig('veovera_testsrc2_av1_opus.flv', 'video');
  const asc = firstConfig('h264_aac.flv', 'audio');
  const opusHead = firstConfig('vp9_opus.flv', 'audio');

  test('config bytes are copies: mutating the source buffer afterwards changes nothing', () => {
    const catalog = new TrackCatalog(4);
    const videoBody = encodeVideoTag({ frameType: 'key', enhanced: true, tracks: [videoTrack({ codec: 'avc1', packetType: 'sequence-start', data: avcC })] });
    const audioBody = encodeAudioTag({ enhanced: true, tracks: [audioTrack({ codec: 'Opus', packetType: 'sequence-start', data: opusHead })] });
    catalog.onVideo(parseVideoTag(videoBody));
    catalog.onAudio(parseAudioTag(audioBody));
    videoBody.fill(0);
    audioBody.fill(0xff);
    const snap = catalog.snapshot();
    expect(snap.video[0]!.config).toEqual(avcC);
    expect(snap.audio[0]!.config).toEqual(opusHead);
    expect(snap.video[0]!.description).toMatchObject({ codec: 'avc1', width: 640, height: 360 });
    expect(snap.audio[0]!.description).toMatchObject({ codec: 'Opus', channels: 2 });
  });

  test('the same holds for a fixture tag body', () => {
    const tags = readFlvTags('hevc_aac.flv');
    const seq = tags.find((t) => t.type === 9 && parseVideoTag(t.body).tracks[0]?.packetType === 'sequence-start')!;
    const catalog = new TrackCatalog(4);
    catalog.onVideo(parseVideoTag(seq.body));
    const kept = catalog.snapshot().video[0]!.config!.slice();
    seq.body.fill(0x55);
    expect(catalog.snapshot().video[0]!.config).toEqual(kept);
    expect(kept).toEqual(hvcC);
  });

  test('a synthetic multitrack stream yields one entry per media and track id', () => {
    const catalog = new TrackCatalog(8);
    catalog.onVideo(
      wireVideo({
        frameType: 'key',
        enhanced: true,
        multitrack: 'many-tracks-many-codecs',
        tracks: [
          videoTrack({ trackId: 0, codec: 'hvc1', packetType: 'sequence-start', data: hvcC }),
          videoTrack({ trackId: 1, codec: 'avc1', packetType: 'sequence-start', data: avcC }),
        ],
      }),
    );
    catalog.onAudio(
      wireAudio({
        enhanced: true,
        multitrack: 'many-tracks-many-codecs',
        tracks: [
          audioTrack({ trackId: 0, codec: 'mp4a', packetType: 'sequence-start', data: asc }),
          audioTrack({ trackId: 1, codec: 'Opus', packetType: 'sequence-start', data: opusHead }),
        ],
      }),
    );
    for (let i = 0; i < 3; i++) {
      catalog.onVideo(
        wireVideo({
          frameType: i === 0 ? 'key' : 'inter',
          enhanced: true,
          multitrack: 'many-tracks-many-codecs',
          tracks: [
            videoTrack({ trackId: 0, codec: 'hvc1', packetType: 'coded-frames', data: new Uint8Array(10) }),
            videoTrack({ trackId: 1, codec: 'avc1', packetType: 'coded-frames', data: new Uint8Array(4) }),
          ],
        }),
      );
      // One track per message is legal too (OneTrack): only track 1 gets these.
      catalog.onAudio(wireAudio({ enhanced: true, multitrack: 'one-track', tracks: [audioTrack({ trackId: 1, codec: 'Opus', packetType: 'coded-frames', data: new Uint8Array(7) })] }));
    }

    const snap = catalog.snapshot();
    expect(snap.video.map((t) => [t.trackId, t.codec, t.frames, t.bytes])).toEqual([
      [0, 'hvc1', 3, 30],
      [1, 'avc1', 3, 12],
    ]);
    expect(snap.video[0]!.description).toMatchObject({ codec: 'hvc1', width: 640, height: 360 });
    expect(snap.video[1]!.description).toMatchObject({ codec: 'avc1', width: 640, height: 360 });
    expect(snap.video[0]!.config).toEqual(hvcC);
    expect(snap.video[1]!.config).toEqual(avcC);
    expect(snap.audio.map((t) => [t.trackId, t.codec, t.frames, t.bytes])).toEqual([
      [0, 'mp4a', 0, 0],
      [1, 'Opus', 3, 21],
    ]);
    expect(snap.audio[0]!.description).toMatchObject({ codec: 'mp4a', sampleRate: 48_000, channels: 2 });
    expect(snap.audio[1]!.description).toMatchObject({ codec: 'Opus', sampleRate: 48_000, channels: 2 });
  });

  test('audio tracks 0 and 1 of one codec (ManyTracks) are separate entries', () => {
    const catalog = new TrackCatalog(8);
    catalog.onAudio(
      wireAudio({
        enhanced: true,
        multitrack: 'many-tracks',
        tracks: [audioTrack({ trackId: 0, codec: 'Opus', packetType: 'sequence-start', data: opusHead }), audioTrack({ trackId: 1, codec: 'Opus', packetType: 'sequence-start', data: new Uint8Array(0) })],
      }),
    );
    const audio = catalog.snapshot().audio;
    expect(audio.map((t) => t.trackId)).toEqual([0, 1]);
    expect(audio[0]!.description).toEqual({ codec: 'Opus', codecString: 'opus', sampleRate: 48_000, channels: 2 });
    // An empty OpusHead is allowed by E-RTMP: 48 kHz, channels unknown, nothing kept as config.
    expect(audio[1]!.description).toEqual({ codec: 'Opus', codecString: 'opus', sampleRate: 48_000 });
    expect(audio[1]!.config).toBeUndefined();
  });

  test('more tracks than the limit throw TrackLimitError; known tracks do not count again', () => {
    const catalog = new TrackCatalog(3);
    const twoVideo = wireVideo({
      frameType: 'key',
      enhanced: true,
      multitrack: 'many-tracks',
      tracks: [videoTrack({ trackId: 0, codec: 'avc1', packetType: 'sequence-start', data: avcC }), videoTrack({ trackId: 1, codec: 'avc1', packetType: 'sequence-start', data: avcC })],
    });
    catalog.onVideo(twoVideo);
    catalog.onVideo(twoVideo);
    catalog.onAudio(wireAudio({ enhanced: true, tracks: [audioTrack({ codec: 'Opus', packetType: 'sequence-start', data: opusHead })] }));
    expect(catalog.snapshot().video).toHaveLength(2);
    expect(catalog.snapshot().audio).toHaveLength(1);

    const fourth = wireAudio({ enhanced: true, multitrack: 'one-track', tracks: [audioTrack({ trackId: 5, codec: 'Opus', packetType: 'coded-frames', data: new Uint8Array(3) })] });
    let thrown: unknown;
    try {
      catalog.onAudio(fourth);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TrackLimitError);
    expect(thrown).toMatchObject({ name: 'TrackLimitError', code: 'limit-exceeded' });
    expect((thrown as Error).message).toContain('3');
    // Nothing was added, and existing tracks still work.
    expect(catalog.snapshot().audio).toHaveLength(1);
    catalog.onAudio(wireAudio({ enhanced: true, tracks: [audioTrack({ codec: 'Opus', packetType: 'coded-frames', data: new Uint8Array(3) })] }));
    expect(catalog.snapshot().audio[0]!.frames).toBe(1);
  });

  test('a corrupt avcC calls the failure callback and leaves the description undefined', () => {
    const failures: DescribeFailure[] = [];
    const catalog = new TrackCatalog(4, (f) => failures.push(f));
    const corrupt = avcC.subarray(0, 9);
    expect(() =>
      catalog.onVideo(wireVideo({ frameType: 'key', enhanced: false, tracks: [videoTrack({ codec: 'avc1', packetType: 'sequence-start', data: corrupt })] })),
    ).not.toThrow();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ media: 'video', trackId: 0, codec: 'avc1' });
    expect(failures[0]!.error).toBeInstanceOf(ProtocolError);
    const v = catalog.snapshot().video[0]!;
    expect(v.description).toBeUndefined();
    // The frames that follow are still counted.
    catalog.onVideo(wireVideo({ frameType: 'key', enhanced: false, tracks: [videoTrack({ codec: 'avc1', packetType: 'coded-frames', data: new Uint8Array(20) })] }));
    expect(catalog.snapshot().video[0]).toMatchObject({ frames: 1, bytes: 20, description: undefined });
  });

  test('a corrupt AudioSpecificConfig is reported the same way', () => {
    const failures: DescribeFailure[] = [];
    const catalog = new TrackCatalog(4, (f) => failures.push(f));
    catalog.onAudio(wireAudio({ enhanced: true, tracks: [audioTrack({ codec: 'mp4a', packetType: 'sequence-start', data: Uint8Array.of(0xff) })] }));
    expect(failures.map((f) => [f.media, f.trackId, f.codec])).toEqual([['audio', 0, 'mp4a']]);
    expect(catalog.snapshot().audio[0]!.description).toBeUndefined();
  });

  test('a repeated SequenceStart replaces the description and config; an empty one does not', () => {
    const catalog = new TrackCatalog(4);
    const start = (data: Uint8Array): VideoTag => wireVideo({ frameType: 'key', enhanced: true, tracks: [videoTrack({ codec: 'av01', packetType: 'sequence-start', data })] });
    catalog.onVideo(start(av1C640));
    expect(catalog.snapshot().video[0]!.description).toMatchObject({ codec: 'av01', width: 640, height: 360 });
    expect(catalog.snapshot().video[0]!.config).toEqual(av1C640);

    catalog.onVideo(start(av1C980));
    expect(catalog.snapshot().video[0]!.description).toMatchObject({ codec: 'av01', width: 980, height: 540 });
    expect(catalog.snapshot().video[0]!.config).toEqual(av1C980);

    catalog.onVideo(start(new Uint8Array(0)));
    expect(catalog.snapshot().video[0]!.description).toMatchObject({ width: 980, height: 540 });
    expect(catalog.snapshot().video[0]!.config).toEqual(av1C980);
    expect(catalog.snapshot().video).toHaveLength(1);
  });

  test('a codec change on a track resets it to the new codec', () => {
    const catalog = new TrackCatalog(4);
    catalog.onVideo(wireVideo({ frameType: 'key', enhanced: true, tracks: [videoTrack({ codec: 'hvc1', packetType: 'sequence-start', data: hvcC })] }));
    catalog.onVideo(wireVideo({ frameType: 'key', enhanced: true, tracks: [videoTrack({ codec: 'av01', packetType: 'coded-frames', data: new Uint8Array(5) })] }));
    const v = catalog.snapshot().video[0]!;
    expect(v.codec).toBe('av01');
    expect(v.description).toBeUndefined();
    expect(v.config).toBeUndefined();
  });

  test('snapshots are detached from later updates', () => {
    const catalog = new TrackCatalog(4);
    catalog.onVideo(wireVideo({ frameType: 'key', enhanced: true, tracks: [videoTrack({ codec: 'av01', packetType: 'sequence-start', data: av1C640 })] }));
    const before = catalog.snapshot();
    catalog.onVideo(wireVideo({ frameType: 'key', enhanced: true, tracks: [videoTrack({ codec: 'av01', packetType: 'coded-frames', data: new Uint8Array(5) })] }));
    expect(before.video[0]!.frames).toBe(0);
    expect(catalog.snapshot().video[0]!.frames).toBe(1);
  });
});
