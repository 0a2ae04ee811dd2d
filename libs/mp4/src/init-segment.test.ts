/**
 * readInitSegment against real CMAF init segments: FFmpeg 5.1's HLS muxer (fMP4) writes one per
 * case at test time, and ffprobe, reading the init plus its first fragment, is the reference.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '@headwater/bytes';
import { BoxBudget, MAX_BOX_DEPTH, readBoxes } from './box-reader.js';
import { readInitSegment } from './init-segment.js';
import type { TrackInfo } from './init-segment.js';

const exec = promisify(execFile);

const VIDEO = ['-f', 'lavfi', '-i', 'testsrc2=s=128x72:r=25'];
const AUDIO_48K = ['-f', 'lavfi', '-i', 'sine=r=48000'];
const AUDIO_44K = ['-f', 'lavfi', '-i', 'sine=r=44100'];
const X265_QUIET = ['-x265-params', 'log-level=error'];

/** One ffmpeg output per case; `expected` is what the reader must say about its single track. */
const cases: { name: string; args: string[]; expected: Partial<TrackInfo> }[] = [
  { name: 'avc1', args: [...VIDEO, '-c:v', 'libx264'], expected: { kind: 'video', fourcc: 'avc1', codecString: 'avc1.64000a', width: 128, height: 72, frameRate: 25 } },
  { name: 'avc3', args: [...VIDEO, '-c:v', 'libx264', '-tag:v', 'avc3'], expected: { fourcc: 'avc3', codecString: 'avc3.64000a' } },
  {
    name: 'avc1-baseline-320x180',
    args: ['-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=30', '-c:v', 'libx264', '-profile:v', 'baseline', '-level', '3.0'],
    expected: { fourcc: 'avc1', codecString: 'avc1.42c01e', width: 320, height: 180, frameRate: 30 },
  },
  { name: 'hvc1', args: [...VIDEO, '-c:v', 'libx265', '-tag:v', 'hvc1', ...X265_QUIET], expected: { fourcc: 'hvc1', codecString: 'hvc1.1.6.L30.90' } },
  { name: 'hev1', args: [...VIDEO, '-c:v', 'libx265', ...X265_QUIET], expected: { fourcc: 'hev1', codecString: 'hev1.1.6.L30.90' } },
  {
    name: 'hvc1-main10',
    args: [...VIDEO, '-c:v', 'libx265', '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p10le', ...X265_QUIET],
    expected: { fourcc: 'hvc1', codecString: 'hvc1.2.4.L30.90', bitDepth: 10 },
  },
  { name: 'av01', args: [...VIDEO, '-c:v', 'libsvtav1'], expected: { fourcc: 'av01', codecString: 'av01.0.00M.08' } },
  { name: 'vp09', args: [...VIDEO, '-c:v', 'libvpx-vp9'], expected: { fourcc: 'vp09', codecString: 'vp09.00.10.08' } },
  { name: 'aac-stereo', args: [...AUDIO_48K, '-c:a', 'aac', '-ac', '2'], expected: { kind: 'audio', fourcc: 'mp4a', codecString: 'mp4a.40.2', sampleRate: 48000, channels: 2 } },
  { name: 'aac-mono-44k', args: [...AUDIO_44K, '-c:a', 'aac', '-ac', '1'], expected: { codecString: 'mp4a.40.2', sampleRate: 44100, channels: 1 } },
  // MP3 has no decoder config in MP4 and FFmpeg's ISO-mode entry always says 2 channels: unknown.
  { name: 'mp3', args: [...AUDIO_44K, '-c:a', 'libmp3lame'], expected: { fourcc: 'mp4a', codecString: 'mp4a.40.34', sampleRate: 44100 } },
  { name: 'opus', args: [...AUDIO_48K, '-c:a', 'libopus', '-ac', '2'], expected: { fourcc: 'Opus', codecString: 'opus', sampleRate: 48000, channels: 2 } },
  { name: 'flac', args: [...AUDIO_44K, '-c:a', 'flac', '-strict', '-2'], expected: { fourcc: 'fLaC', codecString: 'flac', sampleRate: 44100, channels: 1 } },
  { name: 'ac-3-5.1', args: [...AUDIO_48K, '-c:a', 'ac3', '-ac', '6'], expected: { fourcc: 'ac-3', codecString: 'ac-3', channels: 6 } },
  { name: 'ec-3', args: [...AUDIO_48K, '-c:a', 'eac3', '-ac', '2'], expected: { fourcc: 'ec-3', codecString: 'ec-3', channels: 2 } },
];

let dir: string;
const inits = new Map<string, Uint8Array>();

/** Writes `<dir>/<name>/init.mp4` and `seg-0.m4s` with FFmpeg's HLS muxer, as the ladder does. */
async function hlsFmp4(name: string, args: string[]): Promise<string> {
  const out = path.join(dir, name);
  await mkdir(out, { recursive: true });
  await exec(
    'ffmpeg',
    ['-v', 'error', '-y', ...args, '-t', '0.2', '-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', path.join(out, 'seg-%d.m4s'), path.join(out, 'index.m3u8')],
    { env: { ...process.env, SVT_LOG: '1' } },
  );
  return out;
}

interface ProbeStream {
  codec_type: string;
  codec_tag_string: string;
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  time_base: string;
}

/** ffprobe's view of init + first fragment (the init alone leaves some decoder fields unknown). */
async function probe(out: string): Promise<ProbeStream[]> {
  const whole = path.join(out, 'whole.mp4');
  await writeFile(whole, Buffer.concat([await readFile(path.join(out, 'init.mp4')), await readFile(path.join(out, 'seg-0.m4s'))]));
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-show_entries', 'stream', '-of', 'json', whole], { maxBuffer: 1 << 22 });
  return (JSON.parse(stdout) as { streams: ProbeStream[] }).streams;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'headwater-mp4-'));
  await Promise.all(
    [...cases, { name: 'muxed', args: [...VIDEO, ...AUDIO_48K, '-c:v', 'libx264', '-c:a', 'aac'] }].map(async (c) => {
      // A plain Uint8Array: Buffer#slice would share memory and let one test's edits leak into the next.
      inits.set(c.name, new Uint8Array(await readFile(path.join(await hlsFmp4(c.name, c.args), 'init.mp4'))));
    }),
  );
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function init(name: string): Uint8Array {
  const bytes = inits.get(name);
  if (!bytes) throw new Error(`no init segment ${name}`);
  return bytes;
}

describe('readInitSegment on FFmpeg output', () => {
  it.each(cases)('$name', async ({ name, expected }) => {
    const info = readInitSegment(init(name));
    expect(info.fragmented).toBe(true);
    expect(info.majorBrand).toBe('iso5');
    expect(info.tracks).toHaveLength(1);
    const track = info.tracks[0]!;
    expect(track).toMatchObject(expected);
    if (name === 'mp3') expect(track).not.toHaveProperty('channels');

    const [stream, ...others] = await probe(path.join(dir, name));
    expect(others).toEqual([]);
    expect(track.kind).toBe(stream!.codec_type);
    expect(track.fourcc).toBe(stream!.codec_tag_string);
    expect(`1/${track.timescale}`).toBe(stream!.time_base);
    if (track.kind === 'video') {
      expect([track.width, track.height]).toEqual([stream!.width, stream!.height]);
      expect([track.displayWidth, track.displayHeight]).toEqual([stream!.width, stream!.height]);
    } else {
      expect(track.sampleRate).toBe(Number(stream!.sample_rate));
      if (track.channels !== undefined) expect(track.channels).toBe(stream!.channels);
    }
    // The codec string agrees with the profile and level ffprobe decodes.
    const [, first, second] = track.codecString.split('.');
    switch (track.fourcc) {
      case 'avc1':
      case 'avc3':
        expect(parseInt(track.codecString.slice(-2), 16)).toBe(stream!.level);
        expect({ '42': 'Constrained Baseline', '64': 'High' }[first!.slice(0, 2)]).toBe(stream!.profile);
        break;
      case 'hvc1':
      case 'hev1':
        expect(track.codecString.split('.')[3]).toBe(`L${stream!.level}`);
        expect({ '1': 'Main', '2': 'Main 10' }[first!]).toBe(stream!.profile);
        break;
      case 'av01':
        expect(Number(second!.slice(0, 2))).toBe(stream!.level);
        expect(first).toBe('0'); // Main
        expect(stream!.profile).toBe('Main');
        break;
      case 'vp09':
        expect(`Profile ${Number(first)}`).toBe(stream!.profile);
        break;
      case 'mp4a':
        if (second === '2') expect(stream!.profile).toBe('LC');
        break;
      default:
        break;
    }
  });

  it('describes every track of a muxed init segment in moov order', () => {
    const info = readInitSegment(init('muxed'));
    expect(info.tracks.map((t) => [t.kind, t.trackId, t.codecString])).toEqual([
      ['video', 1, 'avc1.64000a'],
      ['audio', 2, 'mp4a.40.2'],
    ]);
  });
});

/** Rewrites the top-level box at `offset` so its header uses a 64-bit largesize (size field 1). */
function withLargesize(bytes: Uint8Array, offset: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = view.getUint32(offset);
  const out = new Uint8Array(bytes.length + 8);
  out.set(bytes.subarray(0, offset));
  const header = new DataView(out.buffer, offset, 16);
  header.setUint32(0, 1);
  out.set(bytes.subarray(offset + 4, offset + 8), offset + 4);
  header.setUint32(8, 0);
  header.setUint32(12, size + 8);
  out.set(bytes.subarray(offset + 8), offset + 16);
  return out;
}

function topLevelOffset(bytes: Uint8Array, type: string): number {
  let offset = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (offset < bytes.length) {
    if (String.fromCharCode(...bytes.subarray(offset + 4, offset + 8)) === type) return offset;
    offset += view.getUint32(offset);
  }
  throw new Error(`no ${type}`);
}

describe('box headers', () => {
  it('reads a largesize (size 1) moov', () => {
    const bytes = init('muxed');
    const rewritten = withLargesize(bytes, topLevelOffset(bytes, 'moov'));
    expect(rewritten.length).toBe(bytes.length + 8);
    expect(readInitSegment(rewritten)).toEqual(readInitSegment(bytes));
  });

  it('reads a last box of size 0 (to the end of the data)', () => {
    const bytes = init('muxed').slice();
    const moov = topLevelOffset(bytes, 'moov');
    expect(moov + new DataView(bytes.buffer).getUint32(moov)).toBe(bytes.length); // moov is last
    new DataView(bytes.buffer).setUint32(moov, 0);
    expect(readInitSegment(bytes)).toEqual(readInitSegment(init('muxed')));
  });

  it('skips the extended type of uuid boxes and tracks of other handlers', () => {
    const uuid = new Uint8Array(8 + 16 + 3);
    new DataView(uuid.buffer).setUint32(0, uuid.length);
    uuid.set([0x75, 0x75, 0x69, 0x64], 4);
    const bytes = init('avc1');
    const withUuid = new Uint8Array([...uuid, ...bytes]);
    expect(readInitSegment(withUuid)).toEqual(readInitSegment(bytes));
    // A hint track: the same trak with its handler renamed is left out.
    const hinted = bytes.slice();
    const at = Buffer.from(hinted).indexOf('vide');
    hinted.set([0x68, 0x69, 0x6e, 0x74], at);
    expect(readInitSegment(hinted).tracks).toEqual([]);
  });

  it.each([
    ['no moov', () => init('avc1').subarray(0, topLevelOffset(init('avc1'), 'moov')), 'missing-box'],
    ['truncated moov', () => init('avc1').subarray(0, init('avc1').length - 1), 'truncated'],
    ['box smaller than its header', () => new Uint8Array([0, 0, 0, 4, 0x66, 0x72, 0x65, 0x65]), 'bad-box'],
    ['largesize past the data', () => new Uint8Array([0, 0, 0, 1, 0x6d, 0x6f, 0x6f, 0x76, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), 'truncated'],
    ['unsupported sample entry', () => {
      const bytes = init('avc1').slice();
      bytes.set([0x6d, 0x70, 0x34, 0x76], Buffer.from(bytes).indexOf('avc1', 40)); // mp4v
      return bytes;
    }, 'unsupported-codec'],
  ] as const)('refuses %s', (_name, make, code) => {
    expect(() => readInitSegment(make())).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });

  it('caps nesting depth and box count', () => {
    // A chain of nested boxes one deeper than allowed.
    let payload = new Uint8Array(0);
    for (let i = 0; i <= MAX_BOX_DEPTH + 1; i++) {
      const box = new Uint8Array(8 + payload.length);
      new DataView(box.buffer).setUint32(0, box.length);
      box.set([0x6d, 0x6f, 0x6f, 0x76], 4);
      box.set(payload, 8);
      payload = box;
    }
    const budget = new BoxBudget();
    const walk = (data: Uint8Array, depth: number): void => {
      for (const b of readBoxes(data, depth, budget)) walk(b.payload, depth + 1);
    };
    expect(() => walk(payload, 0)).toThrow(ProtocolError);
    // 5000 empty `free` boxes: past MAX_BOXES.
    const many = new Uint8Array(8 * 5000);
    for (let i = 0; i < 5000; i++) {
      new DataView(many.buffer).setUint32(i * 8, 8);
      many.set([0x66, 0x72, 0x65, 0x65], i * 8 + 4);
    }
    expect(() => readInitSegment(many)).toThrow(expect.objectContaining({ code: 'limit-exceeded' }));
  });
});
