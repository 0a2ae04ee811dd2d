/**
 * The segments against the real FFmpeg 5.1 (which cannot read Enhanced FLV): every shared
 * fixture is cut into source segments that ffprobe describes correctly and ffmpeg decodes with
 * no error output, each on its own and all joined; plus FLAC, AC-3, E-AC-3 and MP3
 * streams made by ffmpeg itself.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlvReader, encodeAudioTag, parseAudioTag, parseVideoTag } from '@headwater/flv';
import type { AudioTag } from '@headwater/flv';
import { fixturePath, listFlvFixtures } from '@headwater/testkit';
import { SourceSegmenter } from './source-segmenter.js';
import type { SegmenterTag } from './source-segmenter.js';
import type { SourceSegment } from './source-segment.js';
import { readMatroska } from './testing/ebml-reader.js';

/* The system's ffmpeg/ffprobe, at most two processes at a time (the machine has 2 shared cores). */
const MAX_PARALLEL = 2;
let running = 0;
const queue: (() => void)[] = [];

async function slot<T>(run: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await run();
  } finally {
    running--;
    queue.shift()?.();
  }
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end (never throws on a non-zero exit: the caller asserts). */
function run(program: 'ffmpeg' | 'ffprobe', args: string[]): Promise<RunResult> {
  return slot(
    () =>
      new Promise<RunResult>((resolve, reject) => {
        execFile(program, args, { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
          if (err && typeof err.code !== 'number') {
            reject(err);
            return;
          }
          resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
        });
      }),
  );
}

interface ProbeStream {
  index: number;
  codec_type: 'video' | 'audio' | string;
  codec_name: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  start_time?: string;
}

interface Probe {
  streams: ProbeStream[];
  format: { start_time?: string; duration?: string; format_name: string };
}

async function ffprobe(file: string): Promise<Probe> {
  const r = await run('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]);
  if (r.code !== 0 || r.stderr !== '') throw new Error(`ffprobe ${file}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Probe;
}

/** One decoded frame as framecrc lists it. */
interface DecodedFrame {
  stream: number;
  /** Presentation time in ms (the session timeline, thanks to -copyts). */
  ptsMs: number;
  /** Bytes of the raw frame (audio: samples × channels × 2 for s16). */
  size: number;
}

/**
 * Decodes every stream of `inputArgs` with `-xerror` and returns the decoded frames with their
 * input timestamps (`-copyts`, 1 ms video time base, no frame-rate conversion) and stderr.
 */
async function decode(inputArgs: string[]): Promise<{ code: number; stderr: string; frames: DecodedFrame[] }> {
  const r = await run('ffmpeg', ['-v', 'error', '-xerror', '-copyts', ...inputArgs, '-enc_time_base:v', '1/1000', '-fps_mode', 'passthrough', '-c:a', 'pcm_s16le', '-f', 'framecrc', '-']);
  const tb = new Map<number, number>();
  const frames: DecodedFrame[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^#tb (\d+): 1\/(\d+)$/.exec(line);
    if (m) tb.set(Number(m[1]), Number(m[2]));
    if (line === '' || line.startsWith('#')) continue;
    const [stream, , pts, , size] = line.split(',').map((s) => Number(s.trim()));
    frames.push({ stream: stream!, ptsMs: (pts! * 1000) / (tb.get(stream!) ?? 1000), size: size! });
  }
  return { code: r.code, stderr: r.stderr, frames };
}

const FFMPEG_VIDEO = { avc1: 'h264', hvc1: 'hevc', av01: 'av1', vp09: 'vp9', vp08: 'vp8' } as const;
const FFMPEG_AUDIO = { mp4a: 'aac', Opus: 'opus', fLaC: 'flac', 'ac-3': 'ac3', 'ec-3': 'eac3', '.mp3': 'mp3' } as const;
/** Picture sizes the fixtures README lists. */
const FIXTURE_SIZES = ['640x360', '980x540', '960x540'];
/** Samples per coded frame of the fixtures' audio (AAC-LC; Opus at FFmpeg's default 20 ms). */
const SAMPLES_PER_FRAME = { mp4a: 1024, Opus: 960 } as Record<string, number>;

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'headwater-mkv-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

function segmentAll(tags: SegmenterTag[], targetDurationMs = 2000): SourceSegment[] {
  const segmenter = new SourceSegmenter({ targetDurationMs });
  const out: SourceSegment[] = [];
  for (const t of tags) out.push(...segmenter.push(t));
  out.push(...segmenter.flush());
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** What the FLV holds on its default tracks, worked out from the tags alone. */
function flvSummary(tags: SegmenterTag[]): { videoFrames: number; audioFrames: number; startMs: number; endMs: number; frameMs: number } {
  const video: number[] = [];
  const videoDts: number[] = [];
  const audio: number[] = [];
  for (const t of tags) {
    const packets = t.type === 9 ? parseVideoTag(t.body).tracks : t.type === 8 ? parseAudioTag(t.body).tracks : [];
    for (const p of packets) {
      if (p.trackId !== 0 || p.packetType !== 'coded-frames' || p.data.length === 0) continue;
      const dts = t.timestampMs + p.timestampOffsetNs / 1e6;
      if (t.type === 9) {
        video.push(dts + ('compositionTimeMs' in p ? p.compositionTimeMs : 0));
        videoDts.push(dts);
      } else audio.push(dts);
    }
  }
  const step = (xs: number[]): number => median(xs.slice(1).map((x, i) => x - xs[i]!));
  const frameMs = step(videoDts);
  const ends = [Math.max(...video) + frameMs];
  if (audio.length > 0) ends.push(Math.max(...audio) + step(audio));
  return { videoFrames: video.length, audioFrames: audio.length, startMs: Math.min(...video, ...audio), endMs: Math.max(...ends), frameMs };
}

describe.each(listFlvFixtures())('fixture %s', (name) => {
  let segments: SourceSegment[];
  let files: string[];
  let flv: ReturnType<typeof flvSummary>;

  beforeAll(() => {
    const tags = new FlvReader().push(readFileSync(fixturePath(name)));
    flv = flvSummary(tags);
    segments = segmentAll(tags);
    files = segments.map((s) => {
      const file = path.join(workDir, `${name}-${s.index}.mkv`);
      writeFileSync(file, s.bytes);
      return file;
    });
  });

  it('cuts 2 s segments on key frames that tile the file', () => {
    expect(segments.length).toBeGreaterThan(0);
    segments.forEach((s, i) => {
      expect(s.index).toBe(i);
      expect(s.keyframeStart).toBe(true);
      expect(s.video).toHaveLength(1);
      expect(s.audio).toHaveLength(1);
      expect(s.bitrateBps).toBeGreaterThan(0);
      if (i > 0) expect(s.startMs).toBe(segments[i - 1]!.endMs);
      if (i < segments.length - 1) {
        expect(s.endReason).toBe('keyframe');
        expect(s.durationMs).toBeGreaterThanOrEqual(2000);
      }
    });
    const total = segments.reduce((n, s) => n + s.durationMs, 0);
    expect(Math.abs(total - (flv.endMs - flv.startMs))).toBeLessThanOrEqual(flv.frameMs);
    expect(segments.reduce((n, s) => n + s.video[0]!.frameCount, 0)).toBe(flv.videoFrames);
    expect(segments.reduce((n, s) => n + s.audio[0]!.frameCount, 0)).toBe(flv.audioFrames);
  });

  it('gives segments ffprobe describes and ffmpeg decodes without a single error, every frame in place', { timeout: 120_000 }, async () => {
    const results = await Promise.all(files.map(async (file) => ({ probe: await ffprobe(file), decoded: await decode(['-i', file]) })));
    let videoShown = 0;
    results.forEach(({ probe, decoded }, i) => {
      const s = segments[i]!;
      const v = s.video[0]!;
      const a = s.audio[0]!;
      const vs = probe.streams.find((x) => x.codec_type === 'video')!;
      const as = probe.streams.find((x) => x.codec_type === 'audio')!;
      expect(probe.format.format_name).toBe('matroska,webm');
      expect(vs.codec_name).toBe(FFMPEG_VIDEO[v.codec]);
      expect(FIXTURE_SIZES).toContain(`${vs.width}x${vs.height}`);
      expect([vs.width, vs.height]).toEqual([v.width, v.height]);
      expect(as.codec_name).toBe(FFMPEG_AUDIO[a.codec]);
      expect(Number(as.sample_rate)).toBe(a.sampleRate);
      expect(as.channels).toBe(a.channels);
      expect(Number(probe.format.duration)).toBeCloseTo(s.durationMs / 1000, 3);
      // The session timeline is kept: the file starts where the segment does.
      expect(Math.abs(Number(probe.format.start_time) * 1000 - s.startMs)).toBeLessThanOrEqual(flv.frameMs);

      expect(decoded.stderr).toBe('');
      expect(decoded.code).toBe(0);
      // Every video frame presented in [start, end) decodes, the first one included; a trailing
      // reference (open GOP) shows up at endMs, and nothing else.
      const video = decoded.frames.filter((f) => f.stream === vs.index);
      const inside = video.filter((f) => f.ptsMs >= s.startMs - 0.5 && f.ptsMs < s.endMs - 0.5);
      expect(inside).toHaveLength(v.frameCount);
      expect(video.length - inside.length).toBe(s.trailingReference ? 1 : 0);
      videoShown += inside.length;
      // Audio: every packet decodes, in full (Opus drops its pre-skip in the first segment only).
      const samples = decoded.frames.filter((f) => f.stream === as.index).reduce((n, f) => n + f.size / (2 * a.channels), 0);
      const preSkip = a.codec === 'Opus' && i === 0 ? 312 : 0;
      expect(samples).toBe(a.frameCount * SAMPLES_PER_FRAME[a.codec]! - preSkip);
    });
    expect(videoShown).toBe(flv.videoFrames);
  });

  it('gives segments ffmpeg decodes back to back', { timeout: 120_000 }, async () => {
    const trailing = segments.filter((s) => s.trailingReference).length;
    let decoded: Awaited<ReturnType<typeof decode>>;
    if (trailing === 0) {
      // One decoder across all files: the concat demuxer.
      const list = path.join(workDir, `${name}.txt`);
      writeFileSync(list, files.map((f) => `file '${f}'\n`).join(''));
      decoded = await decode(['-f', 'concat', '-safe', '0', '-i', list]);
    } else {
      // A trailing reference repeats the next key frame, which one decoder fed the bytes of every
      // file in a row rejects (HEVC "Duplicate POC"): each file gets its own input, as the
      // workers do, joined by the concat filter.
      const inputs = files.flatMap((f) => ['-i', f]);
      const pads = files.map((_, i) => `[${i}:v][${i}:a]`).join('');
      decoded = await decode([...inputs, '-filter_complex', `${pads}concat=n=${files.length}:v=1:a=1[v][a]`, '-map', '[v]', '-map', '[a]']);
    }
    expect(decoded.stderr).toBe('');
    expect(decoded.code).toBe(0);
    expect(decoded.frames.filter((f) => f.stream === 0)).toHaveLength(flv.videoFrames + trailing);
  });
});

/** Audio codecs FLV carries only as E-RTMP v2 (FFmpeg ≥ 8 writes them), made here by FFmpeg 5.1's encoders. */
const AUDIO_CASES = [
  { codec: 'fLaC', encoder: ['-c:a', 'flac'], name: 'flac' },
  { codec: 'ac-3', encoder: ['-c:a', 'ac3', '-b:a', '192k'], name: 'ac3' },
  { codec: 'ec-3', encoder: ['-c:a', 'eac3', '-b:a', '192k'], name: 'eac3' },
  { codec: '.mp3', encoder: ['-c:a', 'libmp3lame', '-b:a', '128k'], name: 'mp3' },
] as const;

describe.each(AUDIO_CASES)('$codec audio from ffmpeg', ({ codec, encoder, name }) => {
  it('is segmented on audio frames into files ffmpeg decodes without error', { timeout: 60_000 }, async () => {
    const source = path.join(workDir, `source.${name}.mkv`);
    const made = await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=5:sample_rate=48000', '-ac', '2', ...encoder, '-write_crc32', '0', '-f', 'matroska', '-y', source]);
    expect(made.stderr).toBe('');
    // Take FFmpeg's own frames out of its Matroska file and send them as E-RTMP audio would.
    const mkv = readMatroska(readFileSync(source));
    const track = mkv.tracks[0]!;
    const tags: SegmenterTag[] = [];
    const tag = (timestampMs: number, t: AudioTag): SegmenterTag => ({ type: 8, timestampMs, body: encodeAudioTag(t) });
    if (codec === 'fLaC') {
      // FFmpeg 8's FLV muxer sends the raw 34-byte STREAMINFO (reference §8.1): strip 'fLaC' and the block header.
      const streamInfo = track.codecPrivate!.subarray(8, 42);
      tags.push(tag(0, { enhanced: true, tracks: [{ trackId: 0, codec, packetType: 'sequence-start', timestampOffsetNs: 0, data: streamInfo }] }));
    } else if (codec !== '.mp3') {
      tags.push(tag(0, { enhanced: true, tracks: [{ trackId: 0, codec, packetType: 'sequence-start', timestampOffsetNs: 0, data: new Uint8Array(0) }] }));
    }
    for (const b of mkv.blocks) {
      const ms = Math.round((b.ticks * mkv.timestampScale) / 1e6);
      if (codec === '.mp3') {
        // MP3 on track 0 stays legacy (SoundFormat 2), as FFmpeg and OBS send it.
        tags.push(tag(ms, { enhanced: false, legacyFormat: { soundFormat: 2, rateHz: 44100, sampleSizeBits: 16, stereo: true }, tracks: [{ trackId: 0, codec, packetType: 'coded-frames', timestampOffsetNs: 0, data: b.data }] }));
      } else {
        tags.push(tag(ms, { enhanced: true, tracks: [{ trackId: 0, codec, packetType: 'coded-frames', timestampOffsetNs: 0, data: b.data }] }));
      }
    }
    const segments = segmentAll(tags);
    expect(segments.length).toBeGreaterThanOrEqual(2);
    const results = await Promise.all(
      segments.map(async (s) => {
        const file = path.join(workDir, `${name}-${s.index}.mkv`);
        writeFileSync(file, s.bytes);
        return { probe: await ffprobe(file), decoded: await decode(['-i', file]) };
      }),
    );
    let packets = 0;
    results.forEach(({ probe, decoded }, i) => {
      const s = segments[i]!;
      expect(s.video).toEqual([]);
      expect(s.audio[0]).toMatchObject({ codec, sampleRate: 48000, channels: 2 });
      if (i < segments.length - 1) expect(s).toMatchObject({ endReason: 'audio', durationMs: expect.toSatisfy((d: number) => d >= 2000) });
      expect(probe.streams).toHaveLength(1);
      expect(probe.streams[0]).toMatchObject({ codec_name: name, sample_rate: '48000', channels: 2 });
      expect(decoded.stderr).toBe('');
      expect(decoded.code).toBe(0);
      expect(decoded.frames.length).toBeGreaterThan(0);
      packets += s.audio[0]!.frameCount;
    });
    expect(packets).toBe(mkv.blocks.length);
  });
});
