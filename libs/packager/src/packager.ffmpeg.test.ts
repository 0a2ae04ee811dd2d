import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mpd } from './dash.js';
import { mediaPlaylist, multivariantPlaylist } from './hls.js';
import type { PackagingState } from './packaging-state.js';
import { applyEnd, applySegmentDone, applySourceSegment, createPackagingState } from './packaging-state.js';
import { MEDIA_PLAYLIST_NAME, MPD_NAME, MULTIVARIANT_PLAYLIST_NAME, renditionPath, segmentFileName } from './paths.js';

// A real-player check: Debian's FFmpeg 5.1 reads what we write, over real CMAF segments.

const SEGMENTS = 3;
let dir = '';
let state: PackagingState;

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
/** Runs FFmpeg to the end; returns its exit status and everything it logged (at -v error: errors only). */
function decode(args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', ...args, '-f', 'null', '-'], { cwd: dir, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}
const hlsArgs = (rendition: string) => [
  ...['-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4'],
  ...['-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', `${rendition}/seg-%d.m4s`, `${rendition}/x.m3u8`],
];

/** Duration of one CMAF segment (ms), as FFmpeg demuxes it: the sum of its packet durations. */
function segmentDurationMs(rendition: string, index: number): number {
  const out = run('ffprobe', ['-v', 'error', '-show_entries', 'packet=duration_time', '-of', 'csv=p=0', `concat:${rendition}/init.mp4|${rendition}/${segmentFileName(index)}`]);
  return Math.round(out.trim().split('\n').reduce((sum, line) => sum + Number(line), 0) * 1000);
}

/** `avc1.PPCCLL` from the avcC box of an init segment (ISO/IEC 14496-15 §5.3.3.1). */
function avcCodecString(initPath: string): string {
  const bytes = readFileSync(initPath);
  const at = bytes.indexOf('avcC', 0, 'latin1');
  expect(at).toBeGreaterThan(0);
  return `avc1.${bytes.subarray(at + 5, at + 8).toString('hex')}`;
}

/** Frames FFmpeg decodes from `input` for the stream `selector`, and the input's duration. */
function probe(input: string, selector: string): { frames: number; durationS: number } {
  const out = JSON.parse(
    run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', selector, '-show_entries', 'stream=nb_read_frames:format=duration', '-of', 'json', input]),
  ) as { streams: { nb_read_frames: string }[]; format: { duration: string } };
  return { frames: Number(out.streams[0]?.nb_read_frames), durationS: Number(out.format.duration) };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'packager-ffmpeg-'));
  mkdirSync(join(dir, 'v0'));
  mkdirSync(join(dir, 'a0'));
  run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30', '-t', '6', '-c:v', 'libx264', '-g', '60', '-sc_threshold', '0', ...hlsArgs('v0')]);
  // 5.99 s: 281 AAC frames, cut 94/94/93 at the 2 s marks; a full 6 s would leave a 4th, 21 ms segment.
  run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '5.99', '-c:a', 'aac', '-b:a', '128k', ...hlsArgs('a0')]);
  // Only our playlists may be read.
  for (const r of ['v0', 'a0']) unlinkSync(join(dir, r, 'x.m3u8'));

  state = createPackagingState({
    sessionId: 'sess-ffmpeg',
    channelId: 'chan-ffmpeg',
    startedAtMs: Date.UTC(2025, 0, 1),
    renditions: [
      { kind: 'video', id: 'v0', codecs: avcCodecString(join(dir, 'v0', 'init.mp4')), width: 320, height: 180, frameRate: 30, nominalBitrate: 300_000 },
      { kind: 'audio', id: 'a0', codecs: 'mp4a.40.2', sampleRateHz: 48_000, channels: 1, nominalBitrate: 128_000, language: 'en' },
    ],
  });
  // Source durations come from the video (the renditions share the keyframe cuts); workers finish out of order.
  const durations = Array.from({ length: SEGMENTS }, (_, i) => segmentDurationMs('v0', i));
  durations.forEach((durationMs, index) => (state = applySourceSegment(state, { index, durationMs })));
  for (const index of [2, 0, 1]) {
    for (const rendition of ['a0', 'v0']) {
      const bytes = statSync(join(dir, rendition, segmentFileName(index))).size;
      state = applySegmentDone(state, { rendition, index, durationMs: durations[index] ?? 0, bytes });
    }
  }
  state = applyEnd(state);
  writeFileSync(join(dir, MULTIVARIANT_PLAYLIST_NAME), multivariantPlaylist(state));
  for (const rendition of ['v0', 'a0']) writeFileSync(join(dir, renditionPath(rendition, MEDIA_PLAYLIST_NAME)), mediaPlaylist(state, rendition));
  writeFileSync(join(dir, MPD_NAME), mpd(state));
}, 30_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('FFmpeg 5.1 plays the packaged VOD', () => {
  test('the model saw three 2 s segments with measured bit rates', () => {
    expect(state.publishedCount).toBe(SEGMENTS);
    expect(state.segments.map((s) => s?.durationMs)).toEqual([2000, 2000, 2000]);
    expect(multivariantPlaylist(state)).toMatch(/BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",RESOLUTION=320x180,FRAME-RATE=30\.000,AUDIO="audio"/);
  });

  test('multivariant playlist: ffprobe reads it, video and audio, ~6 s', () => {
    const out = JSON.parse(run('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', MULTIVARIANT_PLAYLIST_NAME])) as {
      format: { duration: string };
      streams: { codec_type: string; codec_name: string; width?: number }[];
    };
    expect(Number(out.format.duration)).toBeCloseTo(6, 0);
    expect(out.streams.map((s) => [s.codec_type, s.codec_name])).toEqual(
      expect.arrayContaining([
        ['video', 'h264'],
        ['audio', 'aac'],
      ]),
    );
  });

  test('media and multivariant playlists decode without error (-xerror), every frame', () => {
    for (const rendition of ['v0', 'a0']) {
      expect(decode(['-xerror', '-i', renditionPath(rendition, MEDIA_PLAYLIST_NAME)])).toEqual({ status: 0, stderr: '' });
    }
    expect(decode(['-xerror', '-i', MULTIVARIANT_PLAYLIST_NAME, '-map', '0'])).toEqual({ status: 0, stderr: '' });
    expect(probe(renditionPath('v0', MEDIA_PLAYLIST_NAME), 'v:0')).toEqual({ frames: 180, durationS: 6 });
    expect(probe(renditionPath('a0', MEDIA_PLAYLIST_NAME), 'a:0').frames).toBeGreaterThanOrEqual(281);
  });

  test('DASH manifest: ffmpeg decodes both AdaptationSets, ~6 s', () => {
    expect(decode(['-i', MPD_NAME, '-map', '0'])).toEqual({ status: 0, stderr: '' });
    const video = probe(MPD_NAME, 'v:0');
    expect(video.frames).toBe(180);
    expect(video.durationS).toBeCloseTo(6, 1);
    expect(probe(MPD_NAME, 'a:0').frames).toBeGreaterThanOrEqual(281);
  });
});
