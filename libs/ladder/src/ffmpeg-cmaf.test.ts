/**
 * Runs the argv for real (Debian FFmpeg 5.1) on a 4 s source cut into two 2 s Matroska
 * segments, as two separate "workers" would, and checks the CMAF outputs with ffprobe and a
 * small box reader: sizes and codecs as planned, byte-identical init segments, tfdt on the
 * session timeline, clean decoding of init + seg-0 + seg-1, aligned keyframes, gapless audio.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { av1CodecString, avcCodecString, hevcCodecString, parseAv1c, parseAvcc, parseHvcc } from '@headwater/codecs';
import { audioSegmentWindow } from './audio-window.js';
import { ffmpegArgsForSegment, planRenditionIds, segmentOutputs } from './ffmpeg-args.js';
import type { SegmentIo } from './ffmpeg-args.js';
import type { LadderConfig } from './ladder-config.js';
import { planLadder } from './ladder-planner.js';
import type { LadderPlan, LadderSource } from './ladder-plan.js';

const execAsync = promisify(execFile);
// SVT-AV1 logs its banner straight to stderr whatever -loglevel says; SVT_LOG=1 keeps errors only.
const exec = (file: string, args: string[], options: { maxBuffer?: number } = {}): Promise<{ stdout: string; stderr: string }> =>
  execAsync(file, args, { ...options, env: { ...process.env, SVT_LOG: '1' } });
/** Runs ffmpeg with exactly `args`; resolves to its stderr (empty at `-loglevel error` when all went well). */
const ffmpegRaw = async (args: string[]): Promise<string> => (await exec('ffmpeg', args, { maxBuffer: 1 << 26 })).stderr;
const ffmpeg = (args: string[]): Promise<string> => ffmpegRaw(['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...args]);
async function ffprobe(file: string, entries: string, select?: string): Promise<Record<string, unknown>> {
  const args = ['-v', 'error', '-of', 'json', '-show_entries', entries, ...(select ? ['-select_streams', select] : []), file];
  return JSON.parse((await exec('ffprobe', args, { maxBuffer: 1 << 26 })).stdout) as Record<string, unknown>;
}

// ---- a minimal ISO BMFF reader (test-only): enough to find moov/moof children ----

interface Box {
  type: string;
  /** Payload (after the 8- or 16-byte header). */
  body: Uint8Array;
}

function boxes(data: Uint8Array): Box[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: Box[] = [];
  let off = 0;
  while (off + 8 <= data.length) {
    let size = view.getUint32(off);
    const type = String.fromCharCode(...data.subarray(off + 4, off + 8));
    let header = 8;
    if (size === 1) {
      size = Number(view.getBigUint64(off + 8));
      header = 16;
    } else if (size === 0) size = data.length - off;
    if (size < header || off + size > data.length) throw new Error(`bad box ${type} at ${off}`);
    out.push({ type, body: data.subarray(off + header, off + size) });
    off += size;
  }
  return out;
}

/** Bytes before the child boxes of sample entries (ISO/IEC 14496-12 §12.1.3, §12.2.3). */
const SAMPLE_ENTRY_HEADER: Record<string, number> = { avc1: 78, hvc1: 78, av01: 78, mp4a: 28 };

function find(data: Uint8Array, path: readonly string[]): Uint8Array[] {
  const [head, ...rest] = path;
  const hits = boxes(data).filter((b) => b.type === head);
  if (rest.length === 0) return hits.map((b) => b.body);
  return hits.flatMap((b) => {
    let children = b.body;
    if (b.type === 'stsd') children = b.body.subarray(8); // FullBox header + entry_count
    const skip = SAMPLE_ENTRY_HEADER[b.type];
    if (skip !== undefined) children = b.body.subarray(skip);
    return find(children, rest);
  });
}

const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at);

/** The media timescale (mdhd) of the single track of an init segment. */
function timescale(init: Uint8Array): number {
  const mdhd = find(init, ['moov', 'trak', 'mdia', 'mdhd'])[0];
  if (!mdhd) throw new Error('no mdhd');
  return mdhd[0] === 1 ? u32(mdhd, 20) : u32(mdhd, 12);
}

/** baseMediaDecodeTime of the first fragment of a media segment. */
function tfdt(segment: Uint8Array): number {
  const box = find(segment, ['moof', 'traf', 'tfdt'])[0];
  if (!box) throw new Error('no tfdt');
  return box[0] === 1 ? Number(new DataView(box.buffer, box.byteOffset).getBigUint64(4)) : u32(box, 4);
}

/** The RFC 6381 string of an init segment, computed from its decoder configuration record. */
const STSD = ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'];

function initCodecString(init: Uint8Array): string {
  const stsd = STSD;
  const avcC = find(init, [...stsd, 'avc1', 'avcC'])[0];
  if (avcC) {
    const r = parseAvcc(avcC);
    return avcCodecString(r.profileIndication, r.profileCompatibility, r.levelIndication);
  }
  const hvcC = find(init, [...stsd, 'hvc1', 'hvcC'])[0];
  if (hvcC) return hevcCodecString(parseHvcc(hvcC));
  const av1C = find(init, [...stsd, 'av01', 'av1C'])[0];
  if (av1C) return av1CodecString(parseAv1c(av1C));
  throw new Error('no known sample entry');
}

// ---- the source: 4 s of 640x360@30 H.264 + AAC, cut at the 2 s keyframe ----

let dir: string;
const seg = (i: number): string => join(dir, `src-${i}.mkv`);
/** Session start of each source segment: its first video frame, from the Matroska timestamps. */
const startsMs: number[] = [];
let sourceDescription: LadderSource;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ladder-cmaf-'));
  // A rising tone: unlike a pure sine, it lines up with itself at one lag only.
  const tone = '0.4*sin(2*PI*(300+150*t)*t)';
  await ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', `aevalsrc=${tone}|${tone}:s=48000`,
    '-t', '4', '-c:v', 'libx264', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-c:a', 'aac', join(dir, 'source.mkv'),
  ]);
  // Cut with stream copy at the keyframes, keeping the session timestamps (as the ingest does).
  await ffmpeg(['-i', join(dir, 'source.mkv'), '-c', 'copy', '-f', 'segment', '-segment_time', '2', '-reset_timestamps', '0', join(dir, 'src-%d.mkv')]);
  for (const i of [0, 1]) {
    const probe = (await ffprobe(seg(i), 'packet=pts_time', 'v:0')) as { packets: Array<{ pts_time: string }> };
    startsMs.push(Math.round(Number(probe.packets[0]?.pts_time) * 1000));
  }
  sourceDescription = {
    video: { codec: 'avc1', codecString: 'avc1.64001e', width: 640, height: 360, frameRate: 30, bitDepth: 8, bitrateBps: 1_000_000 },
    audio: { codec: 'mp4a', codecString: 'mp4a.40.2', objectType: 2, sampleRate: 48000, channels: 2 },
  };
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the job of segment `i` into its own output directory, like an independent worker. */
async function runSegment(plan: LadderPlan, ids: 'all' | readonly string[], i: number, outName: string, extra: Partial<SegmentIo> = {}): Promise<string> {
  const outputDir = join(dir, `${outName}-${i}`);
  const selected = ids === 'all' ? planRenditionIds(plan) : ids;
  for (const o of segmentOutputs(selected, outputDir, i)) await mkdir(o.dir, { recursive: true });
  const io: SegmentIo = {
    input: seg(i),
    outputDir,
    segmentIndex: i,
    startMs: startsMs[i] ?? 0,
    ...(i === 1 ? { isLast: true, previous: { input: seg(0) } } : { durationMs: (startsMs[1] ?? 0) - (startsMs[0] ?? 0) }),
    ...extra,
  };
  expect(await ffmpegRaw(ffmpegArgsForSegment(plan, ids, io))).toBe('');
  return outputDir;
}

interface Joined {
  init0: Uint8Array;
  init1: Uint8Array;
  seg1: Uint8Array;
  all: string;
}

/** Reads both workers' outputs of a rendition and writes init + seg-0 + seg-1. */
async function join2(outName: string, id: string): Promise<Joined> {
  const o0 = segmentOutputs([id], join(dir, `${outName}-0`), 0)[0];
  const o1 = segmentOutputs([id], join(dir, `${outName}-1`), 1)[0];
  if (!o0 || !o1) throw new Error('no outputs');
  const [init0, seg0, init1, seg1] = await Promise.all([readFile(o0.init), readFile(o0.segment), readFile(o1.init), readFile(o1.segment)]);
  const all = join(dir, `${outName}-${id}-all.mp4`);
  await writeFile(all, Buffer.concat([init0, seg0, seg1]));
  return { init0, init1, seg1, all };
}

async function decodesCleanly(file: string): Promise<void> {
  const { stderr } = await exec('ffmpeg', ['-v', 'error', '-xerror', '-i', file, '-f', 'null', '-']);
  expect(stderr).toBe('');
}

async function durationS(file: string): Promise<number> {
  const probe = (await ffprobe(file, 'format=duration')) as { format: { duration: string } };
  return Number(probe.format.duration);
}

describe('ffmpegArgsForSegment on FFmpeg 5.1', () => {
  let plan: LadderPlan;

  beforeAll(async () => {
    plan = planLadder(sourceDescription);
    expect(planRenditionIds(plan)).toEqual(['source', '360p', '160p', 'audio']);
    await runSegment(plan, 'all', 0, 'out');
    await runSegment(plan, 'all', 1, 'out');
  }, 60_000);

  it('cut the source where expected', () => {
    // x264's B-frame delay puts the first frame at 2 frames; the second segment at frame 62.
    expect(startsMs).toEqual([67, 2067]);
  });

  it.each(['source', '360p', '160p'])('%s: planned size and codec, identical init, session tfdt, clean 4 s decode', async (id) => {
    const r = plan.video.find((v) => v.id === id);
    if (!r) throw new Error(id);
    const { init0, init1, seg1, all } = await join2('out', id);
    expect(Buffer.compare(init0, init1)).toBe(0);
    expect(initCodecString(init0)).toBe(r.codecString);
    // The second worker's fragment starts at the session time of its keyframe (±1 ms: Matroska ms).
    expect(Math.abs(tfdt(seg1) / timescale(init1) - (startsMs[1] ?? 0) / 1000)).toBeLessThan(0.001);
    await decodesCleanly(all);
    expect(Math.abs((await durationS(all)) - 4)).toBeLessThan(0.1);
    const probe = (await ffprobe(all, 'stream=codec_name,width,height,pix_fmt,r_frame_rate')) as { streams: Array<Record<string, unknown>> };
    expect(probe.streams).toEqual([{ codec_name: 'h264', width: r.width, height: r.height, pix_fmt: 'yuv420p', r_frame_rate: '30/1' }]);
  });

  it('puts keyframes at the same instants in every video rendition, one at each segment start', async () => {
    const keyframes: number[][] = [];
    for (const id of ['source', '360p', '160p']) {
      const { all } = await join2('out', id);
      const probe = (await ffprobe(all, 'packet=pts_time,flags')) as { packets: Array<{ pts_time: string; flags: string }> };
      keyframes.push(probe.packets.filter((p) => p.flags.startsWith('K')).map((p) => Math.round(Number(p.pts_time) * 1000)));
    }
    for (const k of keyframes) expect(k).toEqual(startsMs);
  });

  it('copies AAC gaplessly: the joined packets are contiguous and start at the session time', async () => {
    const { init0, init1, seg1, all } = await join2('out', 'audio');
    expect(Buffer.compare(init0, init1)).toBe(0);
    expect(find(init0, [...STSD, 'mp4a', 'esds'])).toHaveLength(1);
    const src1 = (await ffprobe(seg(1), 'packet=pts_time', 'a:0')) as { packets: Array<{ pts_time: string }> };
    expect(tfdt(seg1) / timescale(init1)).toBeCloseTo(Number(src1.packets[0]?.pts_time), 3);
    await decodesCleanly(all);
    const probe = (await ffprobe(all, 'packet=pts,duration')) as { packets: Array<{ pts: number; duration: number }> };
    const steps = probe.packets.slice(1).map((p, i) => p.pts - (probe.packets[i]?.pts ?? 0));
    // Matroska keeps milliseconds: steps are 1024 ± 48 samples, never a gap or overlap of a frame.
    expect(Math.min(...steps)).toBeGreaterThan(1024 - 48);
    expect(Math.max(...steps)).toBeLessThan(1024 + 48);
  });
});

describe('transcoded audio on FFmpeg 5.1', () => {
  let plan: LadderPlan;

  beforeAll(async () => {
    // The whole ladder in one single-threaded process per segment: copy demuxer, decode demuxer,
    // and for segment 1 the concat demuxer feeding the audio encoder.
    plan = planLadder(sourceDescription, { audioPassthrough: false });
    await runSegment(plan, 'all', 0, 'aac', { threads: 1 });
    await runSegment(plan, 'all', 1, 'aac', { threads: 1 });
  }, 60_000);

  it('still makes every video rendition', async () => {
    for (const id of ['source', '360p', '160p']) {
      const { init0, init1, all } = await join2('aac', id);
      expect(Buffer.compare(init0, init1)).toBe(0);
      await decodesCleanly(all);
    }
  });

  it('tiles the AAC frame grid: seg-1 starts where seg-0 ends, packets contiguous', async () => {
    const audio = plan.audio;
    if (!audio) throw new Error('no audio');
    const { init0, init1, seg1, all } = await join2('aac', 'audio');
    expect(Buffer.compare(init0, init1)).toBe(0);
    expect(find(init0, [...STSD, 'mp4a', 'esds'])).toHaveLength(1);
    const window = audioSegmentWindow(audio, { startMs: startsMs[1] ?? 0, isLast: true });
    expect(tfdt(seg1)).toBe(window.startSample);
    expect(timescale(init1)).toBe(48000);
    await decodesCleanly(all);
    const probe = (await ffprobe(all, 'packet=pts')) as { packets: Array<{ pts: number }> };
    const pts = probe.packets.map((p) => p.pts);
    expect(pts[0]).toBe(0);
    expect(pts.every((p, i) => p === i * 1024)).toBe(true);
  });

  it('decodes like the source, sample-aligned, across the join', async () => {
    const { all } = await join2('aac', 'audio');
    // Reference: the same source packets decoded in one go (concat demuxer keeps their timestamps).
    const list = join(dir, 'ref.ffconcat');
    await writeFile(list, `ffconcat version 1.0\nfile '${seg(0)}'\ninpoint 0\nduration 0\nfile '${seg(1)}'\ninpoint 0\n`);
    const pcm = async (args: string[], name: string): Promise<Int16Array> => {
      const out = join(dir, name);
      await ffmpeg([...args, '-map', '0:a:0', '-af', 'aresample=async=1:first_pts=0', '-ac', '1', '-f', 's16le', out]);
      const b = await readFile(out);
      return new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2);
    };
    const ref = await pcm(['-copyts', '-f', 'concat', '-safe', '0', '-i', list], 'ref.raw');
    const out = await pcm(['-copyts', '-i', all], 'out.raw');
    const snrDb = (start: number, length: number, lag: number): number => {
      let signal = 0;
      let noise = 0;
      for (let i = start; i < start + length; i++) {
        const r = ref[i] ?? 0;
        signal += r * r;
        noise += (r - (out[i + lag] ?? 0)) ** 2;
      }
      return 10 * Math.log10(signal / (noise + 1));
    };
    // No lag, before and after the join: gapless and in sync with the source timeline.
    for (const at of [48000, 144000]) {
      let best = { lag: 0, snr: -Infinity };
      for (let lag = -2048; lag <= 2048; lag++) {
        const snr = snrDb(at, 512, lag);
        if (snr > best.snr) best = { lag, snr };
      }
      expect(best.lag).toBe(0);
    }
    // Every 1024-sample window after the first 100 ms matches the source well, the join included.
    const windows: number[] = [];
    for (let at = 4800; at + 1024 <= Math.min(ref.length, out.length) - 4800; at += 1024) windows.push(snrDb(at, 1024, 0));
    // Measured ~60 dB everywhere; 40 leaves room for encoder changes but not for a click at the join.
    expect(Math.min(...windows)).toBeGreaterThan(40);
  });
});

describe('source segments whose timestamps restart at 0', () => {
  it('give byte-identical outputs once inputOffsetMs moves them to the session clock', async () => {
    // The same cut, but each file rebased to start at 0 (a segment writer that does not keep session time).
    await ffmpeg(['-i', join(dir, 'source.mkv'), '-c', 'copy', '-f', 'segment', '-segment_time', '2', '-reset_timestamps', '1', join(dir, 'rel-%d.mkv')]);
    const firstMs = async (file: string): Promise<number> => {
      const probe = (await ffprobe(file, 'format=start_time')) as { format: { start_time: string } };
      return Math.round(Number(probe.format.start_time) * 1000);
    };
    const offsets = [(await firstMs(seg(0))) - (await firstMs(join(dir, 'rel-0.mkv'))), (await firstMs(seg(1))) - (await firstMs(join(dir, 'rel-1.mkv')))];
    expect(offsets[1]).toBeGreaterThan(1900);
    const plan = planLadder(sourceDescription, { audioPassthrough: false });
    const ids = ['360p', 'audio'];
    await runSegment(plan, ids, 1, 'abs', { threads: 1 });
    await runSegment(plan, ids, 1, 'rel', {
      threads: 1,
      input: join(dir, 'rel-1.mkv'),
      inputOffsetMs: offsets[1],
      previous: { input: join(dir, 'rel-0.mkv'), offsetMs: offsets[0] },
    });
    for (const id of ids) {
      const [abs] = segmentOutputs([id], join(dir, 'abs-1'), 1);
      const [rel] = segmentOutputs([id], join(dir, 'rel-1'), 1);
      if (!abs || !rel) throw new Error('no outputs');
      expect(Buffer.compare(await readFile(abs.segment), await readFile(rel.segment))).toBe(0);
    }
  }, 30_000);
});

describe('other codecs and HDR on FFmpeg 5.1', () => {
  it.each<[string, Partial<LadderConfig>, string]>([
    ['hevc', { videoCodec: 'hevc' }, 'hevc'],
    ['av1', { videoCodec: 'av1' }, 'av1'],
  ])('%s rendition: planned codec string, identical init, clean decode', async (name, config, codecName) => {
    const plan = planLadder(sourceDescription, config);
    const r = plan.video.find((v) => v.id === '360p');
    if (!r) throw new Error('no 360p');
    await runSegment(plan, ['360p'], 0, name);
    await runSegment(plan, ['360p'], 1, name);
    const { init0, init1, seg1, all } = await join2(name, '360p');
    expect(Buffer.compare(init0, init1)).toBe(0);
    // SVT-AV1 also writes chroma position and (unspecified) colour, which the planner cannot know:
    // the long form starts with the planned short form.
    expect(initCodecString(init0).startsWith(r.codecString)).toBe(true);
    expect(Math.abs(tfdt(seg1) / timescale(init1) - (startsMs[1] ?? 0) / 1000)).toBeLessThan(0.001);
    await decodesCleanly(all);
    const probe = (await ffprobe(all, 'stream=codec_name,width,height')) as { streams: Array<Record<string, unknown>> };
    expect(probe.streams).toEqual([{ codec_name: codecName, width: 640, height: 360 }]);
  }, 30_000);

  it.each<[string, Partial<LadderConfig>, Record<string, unknown>]>([
    ['tone-mapped to SDR H.264', {}, { codec_name: 'h264', pix_fmt: 'yuv420p', color_transfer: 'bt709', color_primaries: 'bt709' }],
    ['kept HDR in HEVC Main 10', { videoCodec: 'hevc' }, { codec_name: 'hevc', pix_fmt: 'yuv420p10le', color_transfer: 'smpte2084', color_primaries: 'bt2020' }],
  ])('a PQ source %s', async (name, config, expected) => {
    const hdr = join(dir, 'hdr.mkv');
    await ffmpeg([
      '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30', '-t', '1',
      '-c:v', 'libx265', '-pix_fmt', 'yuv420p10le', '-color_primaries', 'bt2020', '-color_trc', 'smpte2084', '-colorspace', 'bt2020nc',
      '-x265-params', 'log-level=error', hdr,
    ]);
    const plan = planLadder(
      { video: { codec: 'hvc1', codecString: 'hvc1.2.4.L60.B0', width: 320, height: 180, frameRate: 30, bitDepth: 10, hdr: 'pq' } },
      { ...config, passthrough: false, rungs: [{ height: 160, bitrateBps: 300_000 }] },
    );
    const r = plan.video[0];
    if (!r) throw new Error('no rendition');
    const outputDir = join(dir, `hdr-${name.length}`);
    const [o] = segmentOutputs([r.id], outputDir, 0);
    if (!o) throw new Error('no output');
    await mkdir(o.dir, { recursive: true });
    expect(await ffmpegRaw(ffmpegArgsForSegment(plan, [r.id], { input: hdr, outputDir, segmentIndex: 0, startMs: 0 }))).toBe('');
    const all = join(dir, `hdr-${name.length}.mp4`);
    await writeFile(all, Buffer.concat([await readFile(o.init), await readFile(o.segment)]));
    await decodesCleanly(all);
    expect(initCodecString(await readFile(o.init))).toBe(r.codecString);
    const probe = (await ffprobe(all, 'stream=codec_name,pix_fmt,color_transfer,color_primaries')) as { streams: Array<Record<string, unknown>> };
    expect(probe.streams).toEqual([expected]);
  }, 30_000);
});
