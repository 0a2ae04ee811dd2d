import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { fixturePath, listFlvFixtures } from '@headwater/testkit';
import { FlvReader } from './flv-reader.js';
import type { FlvTag } from './flv-tag.js';
import { flvHeader, flvTag } from './flv-writer.js';
import { parseVideoTag } from './video-tag.js';
import type { VideoTag } from './video-tag.js';
import { parseAudioTag } from './audio-tag.js';
import type { AudioTag } from './audio-tag.js';
import { metadataInfo, parseScriptTag } from './script-tag.js';

interface ParsedFixture {
  bytes: Uint8Array;
  tags: FlvTag[];
  video: { tag: FlvTag; parsed: VideoTag }[];
  audio: { tag: FlvTag; parsed: AudioTag }[];
}

const cache = new Map<string, ParsedFixture>();

function load(name: string): ParsedFixture {
  const hit = cache.get(name);
  if (hit) return hit;
  const bytes = new Uint8Array(readFileSync(fixturePath(name)));
  const reader = new FlvReader();
  const tags = reader.push(bytes);
  reader.end();
  const video: ParsedFixture['video'] = [];
  const audio: ParsedFixture['audio'] = [];
  for (const tag of tags) {
    if (tag.type === 9) video.push({ tag, parsed: parseVideoTag(tag.body) });
    if (tag.type === 8) audio.push({ tag, parsed: parseAudioTag(tag.body) });
  }
  const out = { bytes, tags, video, audio };
  cache.set(name, out);
  return out;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex').slice(0, 12);

/** The wire packet type nibble of an enhanced single-track body (to tell CodedFramesX apart). */
const wireNibble = (body: Uint8Array): number => body[0]! & 0x0f;

function summarize(tag: FlvTag): string {
  const head = `${tag.type} t=${tag.timestampMs} n=${tag.body.length} sha=${sha(tag.body)}`;
  switch (tag.type) {
    case 9: {
      const v = parseVideoTag(tag.body);
      const tracks = v.tracks.map((t) => `${t.codec}/${t.packetType}#${t.trackId} cts=${t.compositionTimeMs} d=${t.data.length}`);
      const x = v.enhanced && v.multitrack === undefined ? ` wire=${wireNibble(tag.body)}` : '';
      return `${head} ${v.enhanced ? 'ex' : 'legacy'} ${v.frameType}${x} ${tracks.join(' ')}${v.metadata ? ' colorInfo' : ''}`;
    }
    case 8: {
      const a = parseAudioTag(tag.body);
      const tracks = a.tracks.map((t) => `${t.codec}/${t.packetType}#${t.trackId} d=${t.data.length}`);
      const mc = a.multichannel ? ` channels=${a.multichannel.order}:${a.multichannel.channelCount}` : '';
      return `${head} ${a.enhanced ? 'ex' : 'legacy'} ${tracks.join(' ')}${mc}`;
    }
    case 18:
      return `${head} ${parseScriptTag(tag.body).name}`;
  }
}

const fixtures = listFlvFixtures();

test('the shared fixtures are all there', () => {
  expect(fixtures).toEqual([
    'av1_aac.flv',
    'h264_aac.flv',
    'hevc_aac.flv',
    'veovera_bbb_av1_opus.flv',
    'veovera_testsrc2_av1_opus.flv',
    'vp9_opus.flv',
  ]);
});

describe.each(fixtures)('%s', (name) => {
  test('every tag parses; summary matches the golden file', async () => {
    const { tags } = load(name);
    const last = tags.at(-1)!;
    const golden = {
      file: name,
      tagCount: tags.length,
      lastTimestampMs: last.timestampMs,
      tags: tags.map(summarize),
    };
    await expect(JSON.stringify(golden, null, 1) + '\n').toMatchFileSnapshot(`__golden__/${name.replace(/\.flv$/, '')}.json`);
  });

  test('rewriting every tag with flv-writer reproduces the file byte for byte', () => {
    const { bytes, tags } = load(name);
    const reader = new FlvReader();
    reader.push(bytes.subarray(0, 13));
    const parts: Uint8Array[] = [flvHeader(reader.header!)];
    for (const t of tags) parts.push(...flvTag(t.type, t.timestampMs, t.body));
    expect(Buffer.compare(Buffer.concat(parts), bytes)).toBe(0);
  });

  test('starts with onMetaData, lasts about 10 s (30 s for bbb), offsets are contiguous', () => {
    const { tags } = load(name);
    const meta = parseScriptTag(tags[0]!.body);
    expect(meta.name).toBe('onMetaData');
    const info = metadataInfo(meta.value);
    const expectedS = name.includes('bbb') ? 30 : 10;
    expect(info.duration).toBeGreaterThan(expectedS - 0.2);
    expect(info.duration).toBeLessThan(expectedS + 0.2);
    expect(tags.at(-1)!.timestampMs).toBeGreaterThan(expectedS * 1000 - 200);
    expect(tags.at(-1)!.timestampMs).toBeLessThan(expectedS * 1000 + 200);
    let offset = 13;
    for (const t of tags) {
      expect(t.offset).toBe(offset);
      offset += 11 + t.body.length + 4;
    }
  });
});

describe('fixture specifics (fixtures/README.md)', () => {
  const videoKinds = (name: string): string[] =>
    load(name).video.flatMap(({ parsed }) => parsed.tracks.map((t) => `${t.codec}/${t.packetType}`));

  test('h264_aac: legacy AVC and legacy AAC only', () => {
    const { video, audio, tags } = load('h264_aac.flv');
    expect(video.every((v) => !v.parsed.enhanced && v.parsed.tracks[0]!.codec === 'avc1')).toBe(true);
    expect(audio.every((a) => !a.parsed.enhanced && a.parsed.legacyFormat?.soundFormat === 10)).toBe(true);
    expect(video[0]!.parsed.tracks[0]!.packetType).toBe('sequence-start');
    expect(audio[0]!.parsed.tracks[0]!.packetType).toBe('sequence-start');
    // 30 fps for 10 s, a key frame every 2 s, then an AVC end of sequence.
    expect(video.filter((v) => v.parsed.tracks[0]!.packetType === 'coded-frames')).toHaveLength(300);
    expect(video.filter((v) => v.parsed.frameType === 'key' && v.parsed.tracks[0]!.packetType === 'coded-frames')).toHaveLength(5);
    expect(video.at(-1)!.parsed.tracks[0]!.packetType).toBe('sequence-end');
    expect(video.some((v) => v.parsed.tracks[0]!.compositionTimeMs !== 0)).toBe(true);
    const info = metadataInfo(parseScriptTag(tags[0]!.body).value);
    expect(info).toMatchObject({ width: 640, height: 360, framerate: 30, videoCodec: 'avc1', audioCodec: 'mp4a' });
  });

  test('hevc_aac: hvc1 CodedFrames and CodedFramesX, one Metadata packet with colorInfo', () => {
    const { video, audio } = load('hevc_aac.flv');
    expect(video.every((v) => v.parsed.enhanced && v.parsed.tracks[0]!.codec === 'hvc1')).toBe(true);
    const nibbles = new Set(video.map((v) => wireNibble(v.tag.body)));
    expect(nibbles.has(1)).toBe(true);
    expect(nibbles.has(3)).toBe(true);
    const withCts = video.filter((v) => v.parsed.tracks[0]!.compositionTimeMs !== 0);
    expect(withCts.every((v) => wireNibble(v.tag.body) === 1)).toBe(true);
    const metadata = video.filter((v) => v.parsed.tracks[0]!.packetType === 'metadata');
    expect(metadata).toHaveLength(1);
    // FFmpeg's D4 form (FrameType 5) for SDR input: an empty colorConfig.
    expect(metadata[0]!.tag.body[0]).toBe(0xd4);
    expect(metadata[0]!.parsed.frameType).toBe('command');
    expect(metadata[0]!.parsed.metadata).toEqual({ colorConfig: {} });
    expect(audio.every((a) => !a.parsed.enhanced && a.parsed.tracks[0]?.codec === 'mp4a')).toBe(true);
  });

  test('av1_aac: av01 without CTS, one Metadata packet', () => {
    const { video } = load('av1_aac.flv');
    expect(video.every((v) => v.parsed.tracks[0]!.codec === 'av01' && v.parsed.tracks[0]!.compositionTimeMs === 0)).toBe(true);
    expect(videoKinds('av1_aac.flv').filter((k) => k === 'av01/metadata')).toHaveLength(1);
  });

  test('vp9_opus: vp09 video; Opus SequenceStart, MultichannelConfig and CodedFrames', () => {
    const { video, audio } = load('vp9_opus.flv');
    expect(video.every((v) => v.parsed.tracks[0]!.codec === 'vp09')).toBe(true);
    const kinds = new Set(audio.flatMap((a) => a.parsed.tracks.map((t) => `${t.codec}/${t.packetType}`)));
    expect(kinds).toEqual(new Set(['Opus/sequence-start', 'Opus/multichannel-config', 'Opus/coded-frames']));
    const mc = audio.find((a) => a.parsed.multichannel)!.parsed.multichannel!;
    expect(mc).toEqual({ order: 'native', channelCount: 2, channelMask: 0x3 });
  });

  test.each(['veovera_testsrc2_av1_opus.flv', 'veovera_bbb_av1_opus.flv'])('%s: two video SequenceStarts, the first empty; Opus audio', (name) => {
    const { video, audio } = load(name);
    const starts = video.filter((v) => v.parsed.tracks[0]!.packetType === 'sequence-start');
    expect(starts).toHaveLength(2);
    expect(starts[0]!.parsed.tracks[0]!.data.length).toBe(0);
    expect(starts[1]!.parsed.tracks[0]!.data.length).toBeGreaterThan(0);
    expect(video.every((v) => v.parsed.tracks[0]!.codec === 'av01')).toBe(true);
    expect(audio.every((a) => a.parsed.tracks.every((t) => t.codec === 'Opus'))).toBe(true);
  });
});
