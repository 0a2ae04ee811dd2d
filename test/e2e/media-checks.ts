/**
 * Checks of a transcoded session's output directory (issue 3, end-to-end acceptance) run with
 * the real FFmpeg 5.1 tools: ffmpeg decodes, ffprobe reads packets, frames and streams. Each
 * check returns measured figures (for the test to print) and `problems`: plain sentences naming
 * the rendition and the numbers, empty when the output is right. The checks read the output the
 * way players do, through `master.m3u8` (and each media playlist) and through `manifest.mpd`,
 * plus the files segment by segment (init + seg-N) where a property belongs to segments.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAudioTag, parseVideoTag, type FlvTag } from '@headwater/flv';
import type { PackagingState, Rendition } from '@headwater/packager';

const run = promisify(execFile);
const MAX_OUTPUT_BYTES = 1 << 28;

/** Samples per AAC-LC frame (ISO/IEC 14496-3 §4.5.1): the gapless tolerance at joins. */
export const AAC_FRAME_SAMPLES = 1024;
/** Largest difference of first video pts across renditions at one segment index. */
export const ALIGNMENT_TOLERANCE_MS = 1;
/** A window at a join this much quieter than the audio around it is a dropout (silence, priming). */
export const DROPOUT_THRESHOLD_DB = -12;

export type ManifestFormat = 'hls' | 'dash';
export const MANIFEST_FORMATS: readonly ManifestFormat[] = ['hls', 'dash'];

/** Timing of the published stream, from its FLV tags (the default track). */
export interface SourceTiming {
  /** Earliest presentation time of a video frame (timestamp + composition time). */
  videoStartMs: number;
  /** Latest video presentation time plus one frame. */
  videoEndMs: number;
  /** Median decode-time step between video frames. */
  frameMs: number;
  audioStartMs: number | null;
  audioEndMs: number | null;
  /** Presentation time of every key frame: where the ingest may cut segments. */
  keyFramePtsMs: number[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function steps(values: readonly number[]): number[] {
  return values.slice(1).map((v, i) => v - values[i]!).filter((d) => d > 0);
}

/** {@link SourceTiming} of published tags (the archive or a fixture, tag for tag). */
export function sourceTiming(tags: readonly FlvTag[]): SourceTiming {
  const dts: number[] = [];
  const pts: number[] = [];
  const audio: number[] = [];
  const keyFramePtsMs: number[] = [];
  for (const tag of tags) {
    if (tag.type === 9) {
      const video = parseVideoTag(tag.body);
      for (const t of video.tracks) {
        if (t.trackId !== 0 || t.packetType !== 'coded-frames') continue;
        dts.push(tag.timestampMs);
        pts.push(tag.timestampMs + t.compositionTimeMs);
        if (video.frameType === 'key') keyFramePtsMs.push(tag.timestampMs + t.compositionTimeMs);
      }
    } else if (tag.type === 8) {
      if (parseAudioTag(tag.body).tracks.some((t) => t.trackId === 0 && t.packetType === 'coded-frames')) audio.push(tag.timestampMs);
    }
  }
  if (pts.length === 0) throw new Error('the source has no video frames');
  const frameMs = median(steps(dts));
  const audioFrameMs = median(steps(audio));
  return {
    videoStartMs: Math.min(...pts),
    videoEndMs: Math.max(...pts) + frameMs,
    frameMs,
    audioStartMs: audio.length > 0 ? audio[0]! : null,
    audioEndMs: audio.length > 0 ? audio.at(-1)! + audioFrameMs : null,
    keyFramePtsMs,
  };
}

interface ProbedPacket {
  ptsMs: number;
  /** Undefined where ffprobe reports none (the first sample of a fragment, FFmpeg 5.1). */
  durationMs: number | undefined;
  key: boolean;
}

const ms = (s: string | undefined): number | undefined => (s === undefined || s === 'N/A' ? undefined : Number(s) * 1000);

async function ffprobeJson<T>(args: readonly string[]): Promise<T> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-of', 'json', ...args], { maxBuffer: MAX_OUTPUT_BYTES });
  return JSON.parse(stdout) as T;
}

async function probePackets(input: string, select: string): Promise<ProbedPacket[]> {
  const out = await ffprobeJson<{ packets?: { pts_time?: string; duration_time?: string; flags?: string }[] }>([
    '-select_streams', select, '-show_entries', 'packet=pts_time,duration_time,flags', input,
  ]);
  return (out.packets ?? []).map((p) => ({ ptsMs: ms(p.pts_time) ?? NaN, durationMs: ms(p.duration_time), key: p.flags?.startsWith('K') ?? false }));
}

/** Start and end (last pts + its duration, else the median duration) of packets in presentation order. */
function span(packets: readonly ProbedPacket[]): { startMs: number; endMs: number } {
  const typical = median(packets.flatMap((p) => (p.durationMs === undefined ? [] : [p.durationMs])));
  let startMs = Infinity;
  let endMs = -Infinity;
  for (const p of packets) {
    startMs = Math.min(startMs, p.ptsMs);
    endMs = Math.max(endMs, p.ptsMs + (p.durationMs ?? typical));
  }
  return { startMs, endMs };
}

/** What a player opens for one rendition in one format, and the ffprobe stream specifier inside it. */
export function renditionInput(dir: string, format: ManifestFormat, id: string): { input: string; select: string } {
  return format === 'hls' ? { input: path.join(dir, id, 'index.m3u8'), select: '0' } : { input: path.join(dir, 'manifest.mpd'), select: `m:id:${id}` };
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

// ---------------------------------------------------------------------------------------------
// Decode

/**
 * Decodes every stream of the ladder (`-map 0`) through `master.m3u8` or `manifest.mpd` with
 * `-xerror` at error log level. Catches: undecodable segments, missing init/segments, bad
 * sample entries, timestamps the demuxer rejects; anything ffmpeg logs as an error.
 */
export async function checkDecode(dir: string, format: ManifestFormat): Promise<string[]> {
  const input = path.join(dir, format === 'hls' ? 'master.m3u8' : 'manifest.mpd');
  try {
    const { stderr } = await run('ffmpeg', ['-nostdin', '-v', 'error', '-xerror', '-i', input, '-map', '0', '-f', 'null', '-'], { maxBuffer: MAX_OUTPUT_BYTES });
    return stderr.trim() === '' ? [] : [`${format}: ffmpeg decode logged: ${stderr.trim().slice(0, 2000)}`];
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return [`${format}: ffmpeg decode failed (exit ${e.code}): ${(e.stderr ?? String(err)).trim().slice(0, 2000)}`];
  }
}

// ---------------------------------------------------------------------------------------------
// Manifests

/** Segment URIs a media playlist lists, and whether it is ended. */
function mediaPlaylistSegments(text: string): { uris: string[]; ended: boolean; totalS: number; map: string | undefined } {
  const uris = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  const totalS = [...text.matchAll(/^#EXTINF:([\d.]+),/gm)].reduce((s, m) => s + Number(m[1]), 0);
  return { uris, ended: text.includes('#EXT-X-ENDLIST'), totalS, map: /^#EXT-X-MAP:URI="([^"]+)"/m.exec(text)?.[1] };
}

/**
 * The ended session's manifests: every rendition in the multivariant playlist, each media
 * playlist ended and listing `seg-0..N-1` after `init.mp4`, the MPD static with N timeline
 * entries. Catches: a rendition left out of a manifest, a playlist never ended (the last writer
 * lost a race), HLS and DASH pointing at different files, a listed duration off the source.
 */
export async function checkManifests(dir: string, state: PackagingState, source: SourceTiming, toleranceMs: number): Promise<{ problems: string[]; hlsTotalMs: number[]; mpdDurationMs: number }> {
  const problems: string[] = [];
  const count = state.endSegmentCount ?? -1;
  const master = await readFile(path.join(dir, 'master.m3u8'), 'utf8');
  const hlsTotalMs: number[] = [];
  const sourceMs = source.videoEndMs - source.videoStartMs;
  for (const r of state.renditions) {
    if (!master.includes(`${r.id}/index.m3u8`)) problems.push(`master.m3u8 does not list ${r.id}`);
    const media = mediaPlaylistSegments(await readFile(path.join(dir, r.id, 'index.m3u8'), 'utf8'));
    const expected = Array.from({ length: count }, (_, i) => `seg-${i}.m4s`);
    if (media.uris.join() !== expected.join()) problems.push(`${r.id}/index.m3u8 lists ${media.uris.join(' ')}, expected seg-0..${count - 1}`);
    if (!media.ended) problems.push(`${r.id}/index.m3u8 has no EXT-X-ENDLIST`);
    if (media.map !== 'init.mp4') problems.push(`${r.id}/index.m3u8 maps ${media.map}, expected init.mp4`);
    hlsTotalMs.push(round(media.totalS * 1000, 1));
    if (Math.abs(media.totalS * 1000 - sourceMs) > toleranceMs) problems.push(`${r.id}/index.m3u8 lists ${media.totalS.toFixed(3)} s, source ${(sourceMs / 1000).toFixed(3)} s`);
  }
  const mpd = await readFile(path.join(dir, 'manifest.mpd'), 'utf8');
  if (!/<MPD[^>]*\btype="static"/.test(mpd)) problems.push('manifest.mpd is not type="static" after the end');
  for (const r of state.renditions) if (!mpd.includes(`<Representation id="${r.id}"`)) problems.push(`manifest.mpd has no Representation ${r.id}`);
  if (!mpd.includes('media="$RepresentationID$/seg-$Number$.m4s"') || !mpd.includes('initialization="$RepresentationID$/init.mp4"') || !mpd.includes('startNumber="0"')) {
    problems.push('manifest.mpd templates do not name the files the HLS playlists list');
  }
  for (const timeline of mpd.matchAll(/<SegmentTimeline>([\s\S]*?)<\/SegmentTimeline>/g)) {
    const n = [...timeline[1]!.matchAll(/<S\b([^>]*)\/>/g)].reduce((sum, m) => sum + 1 + Number(/\br="(\d+)"/.exec(m[1]!)?.[1] ?? 0), 0);
    if (n !== count) problems.push(`manifest.mpd timeline has ${n} segments, expected ${count}`);
  }
  const d = /mediaPresentationDuration="PT([\d.]+)S"/.exec(mpd);
  const mpdDurationMs = d ? Number(d[1]) * 1000 : NaN;
  if (!(Math.abs(mpdDurationMs - sourceMs) <= toleranceMs)) problems.push(`manifest.mpd lasts ${mpdDurationMs} ms, source ${sourceMs} ms`);
  return { problems, hlsTotalMs, mpdDurationMs };
}

// ---------------------------------------------------------------------------------------------
// Renditions (per format)

/** What one rendition measured through one manifest. */
export interface RenditionFigures {
  id: string;
  codec: string;
  width?: number;
  height?: number;
  level?: number;
  sampleRate?: number;
  channels?: number;
  packets: number;
  firstPtsMs: number;
  durationMs: number;
}

interface ProbedStream {
  codec_name?: string;
  codec_tag_string?: string;
  width?: number;
  height?: number;
  level?: number;
  sample_rate?: string;
  channels?: number;
}

/** ffprobe's names for a codec string's sample entry. */
const CODEC_NAMES: Record<string, string> = { avc1: 'h264', avc3: 'h264', hvc1: 'hevc', hev1: 'hevc', av01: 'av1', mp4a: 'aac' };

/** The level a codec string announces, as ffprobe reports it (H.264 level_idc, HEVC general_level_idc, AV1 seq_level_idx). */
export function announcedLevel(codecs: string): number | undefined {
  const [entry, a, b, c] = codecs.split('.');
  if (entry === 'avc1' || entry === 'avc3') return a && a.length === 6 ? parseInt(a.slice(4), 16) : undefined;
  if (entry === 'hvc1' || entry === 'hev1') return c?.startsWith('L') || c?.startsWith('H') ? Number(c.slice(1)) : undefined;
  if (entry === 'av01') return b ? parseInt(b, 10) : undefined;
  return undefined;
}

/**
 * Reads one rendition through a manifest: its stream (codec, sample entry, size, level, sample
 * rate, channels) against the plan, and its packets' first pts and duration against the
 * source. Catches: a rendition at the wrong size or codec, a codec string whose level lies (a
 * player would refuse or mis-select it), a rendition short of or longer than the input (lost
 * or duplicated segments) beyond `toleranceMs`.
 */
export async function checkRendition(
  dir: string,
  format: ManifestFormat,
  r: Rendition,
  source: SourceTiming,
  toleranceMs: number,
): Promise<{ figures: RenditionFigures; problems: string[] }> {
  const { input, select } = renditionInput(dir, format, r.id);
  const where = `${format} ${r.id}`;
  const problems: string[] = [];
  const streams = (await ffprobeJson<{ streams?: ProbedStream[] }>(['-select_streams', select, '-show_entries', 'stream=codec_name,codec_tag_string,width,height,level,sample_rate,channels', input])).streams ?? [];
  const s = streams[0] ?? {};
  if (streams.length !== 1) problems.push(`${where}: ${streams.length} streams, expected 1`);
  const packets = await probePackets(input, select);
  const { startMs, endMs } = span(packets);
  const entry = r.codecs.split('.')[0]!;
  if (s.codec_tag_string !== entry || s.codec_name !== CODEC_NAMES[entry]) {
    problems.push(`${where}: codec ${s.codec_name}/${s.codec_tag_string}, plan says ${r.codecs}`);
  }
  const figures: RenditionFigures = { id: r.id, codec: `${s.codec_name}/${s.codec_tag_string}`, packets: packets.length, firstPtsMs: round(startMs), durationMs: round(endMs - startMs) };
  let expectedMs: number;
  if (r.kind === 'video') {
    Object.assign(figures, { width: s.width, height: s.height, level: s.level });
    if (s.width !== r.width || s.height !== r.height) problems.push(`${where}: ${s.width}x${s.height}, plan says ${r.width}x${r.height}`);
    const level = announcedLevel(r.codecs);
    if (level !== undefined && s.level !== level) problems.push(`${where}: level ${s.level} in the bitstream, ${r.codecs} announces ${level}`);
    expectedMs = source.videoEndMs - source.videoStartMs;
  } else {
    Object.assign(figures, { sampleRate: Number(s.sample_rate), channels: s.channels });
    if (Number(s.sample_rate) !== r.sampleRateHz || s.channels !== r.channels) {
      problems.push(`${where}: ${s.sample_rate} Hz ${s.channels} ch, plan says ${r.sampleRateHz} Hz ${r.channels} ch`);
    }
    expectedMs = (source.audioEndMs ?? 0) - (source.audioStartMs ?? 0);
  }
  if (packets.length === 0 || !(Math.abs(figures.durationMs - expectedMs) <= toleranceMs)) {
    problems.push(`${where}: lasts ${figures.durationMs} ms over ${packets.length} packets, source ${round(expectedMs)} ms (tolerance ${toleranceMs} ms)`);
  }
  return { figures, problems };
}

// ---------------------------------------------------------------------------------------------
// Segments (the files both manifests share)

/** Per segment index: the first video pts of every video rendition, and what they spread over. */
export interface SegmentFigures {
  /** Largest spread of first video pts across renditions at one index. */
  maxAlignmentSpreadMs: number;
  /** Per video rendition, the first pts of each segment. */
  videoStartsMs: Record<string, number[]>;
  /** Frames presented twice (same pts, or inside the previous segment's span), per video rendition. */
  repeatedFrames: Record<string, number>;
  /** Audio segment joins: next segment's first pts − (previous last pts + duration); + is a hole, − an overlap. */
  audioJoinsMs: number[];
  /** Session time of each audio segment's first sample. */
  audioSegmentStartsMs: number[];
}

const segmentInput = (dir: string, id: string, index: number): string =>
  `concat:${path.join(dir, id, 'init.mp4')}|${path.join(dir, id, `seg-${index}.m4s`)}`;

/** Runs `fn` over `items`, `limit` at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/**
 * Reads every segment of every rendition as a player fetches it (its init + seg-N); both
 * manifests name these same files (see {@link checkManifests}).
 * `alignment` catches: renditions cut at different times (a transcoded GOP not aligned with the
 * source cut, a passthrough re-timed against transcodes: a player switching renditions jumps),
 * a video segment not starting with a key frame (not independently decodable), and frames
 * presented twice (a segment carrying the next segment's key frame or frames inside the next
 * segment's span: players show a frame twice or stall, decoders see duplicate pictures).
 * `gapless` catches: holes or overlaps between consecutive audio segments larger than one AAC
 * frame (a click or a skip at every join; with transcoded audio, a frame-grid tiling that is off).
 */
export async function checkSegments(dir: string, state: PackagingState): Promise<{ figures: SegmentFigures; alignment: string[]; gapless: string[] }> {
  const alignment: string[] = [];
  const gapless: string[] = [];
  const count = state.endSegmentCount ?? 0;
  const indices = Array.from({ length: count }, (_, i) => i);
  const jobs = state.renditions.flatMap((r) => indices.map((i) => ({ r, i })));
  const probed = await mapLimit(jobs, 2, async ({ r, i }) => ({ r, i, packets: await probePackets(segmentInput(dir, r.id, i), '0') }));
  const videoStartsMs: Record<string, number[]> = {};
  const repeatedFrames: Record<string, number> = {};
  const lastEnd = new Map<string, number>();
  const seen = new Map<string, Set<number>>();
  const audio: { startMs: number; endMs: number }[] = [];
  for (const { r, i, packets } of probed) {
    if (packets.length === 0) {
      (r.kind === 'video' ? alignment : gapless).push(`${r.id} seg-${i}: no packets`);
      continue;
    }
    if (r.kind === 'audio') {
      audio[i] = span(packets);
      continue;
    }
    if (!packets[0]!.key) alignment.push(`${r.id} seg-${i}: does not start with a key frame`);
    const { startMs } = span(packets);
    (videoStartsMs[r.id] ??= [])[i] = round(startMs, 3);
    const pts = seen.get(r.id) ?? new Set<number>();
    seen.set(r.id, pts);
    let repeated = 0;
    for (const p of packets) {
      const key = Math.round(p.ptsMs * 10);
      if (pts.has(key)) repeated++;
      pts.add(key);
    }
    // Segments come in index order per rendition (mapLimit keeps order, jobs are grouped by rendition).
    const prevLast = lastEnd.get(r.id);
    const lastPts = Math.max(...packets.map((p) => p.ptsMs));
    if (prevLast !== undefined && prevLast >= startMs) alignment.push(`${r.id} seg-${i - 1} presents frames up to ${prevLast.toFixed(3)} ms, past seg-${i}'s first frame at ${startMs.toFixed(3)} ms`);
    lastEnd.set(r.id, lastPts);
    repeatedFrames[r.id] = (repeatedFrames[r.id] ?? 0) + repeated;
    if (repeated > 0) alignment.push(`${r.id} seg-${i}: ${repeated} frame(s) at a presentation time an earlier frame already had`);
  }
  let maxSpread = 0;
  for (const i of indices) {
    const starts = Object.entries(videoStartsMs).flatMap(([id, list]) => (list[i] === undefined ? [] : [{ id, ms: list[i] }]));
    if (starts.length === 0) continue;
    const lo = Math.min(...starts.map((s) => s.ms));
    const hi = Math.max(...starts.map((s) => s.ms));
    maxSpread = Math.max(maxSpread, hi - lo);
    if (hi - lo > ALIGNMENT_TOLERANCE_MS) alignment.push(`seg-${i} starts at ${starts.map((s) => `${s.id} ${s.ms.toFixed(3)}`).join(', ')} ms (spread ${(hi - lo).toFixed(3)} ms)`);
  }
  const audioJoinsMs: number[] = [];
  const audioRendition = state.renditions.find((r) => r.kind === 'audio');
  if (audioRendition) {
    const frameMs = (AAC_FRAME_SAMPLES * 1000) / audioRendition.sampleRateHz;
    for (let i = 1; i < audio.length; i++) {
      const prev = audio[i - 1];
      const cur = audio[i];
      if (!prev || !cur) continue;
      const join = cur.startMs - prev.endMs;
      audioJoinsMs.push(round(join, 3));
      if (Math.abs(join) > frameMs) gapless.push(`${audioRendition.id} seg-${i - 1}→seg-${i}: ${join > 0 ? 'hole' : 'overlap'} of ${Math.abs(join).toFixed(3)} ms (> one AAC frame, ${frameMs.toFixed(3)} ms)`);
    }
  }
  return {
    figures: { maxAlignmentSpreadMs: round(maxSpread, 3), videoStartsMs, repeatedFrames, audioJoinsMs, audioSegmentStartsMs: audio.map((a) => round(a?.startMs ?? NaN, 3)) },
    alignment,
    gapless,
  };
}

/**
 * The plan against what the source is (not only against itself): the passthrough rendition has
 * the source's size, every rung keeps the source aspect (to 2 px of even rounding), none is
 * larger than the source, and a rung named `<N>p` has a short side of N. Catches: a planner
 * upscaling, stretching, or naming rungs after sizes they do not have.
 */
export function checkPlan(state: PackagingState, source: { width: number; height: number }): string[] {
  const problems: string[] = [];
  for (const r of state.renditions) {
    if (r.kind !== 'video') continue;
    const short = Math.min(r.width, r.height);
    if (r.id === 'source') {
      if (r.width !== source.width || r.height !== source.height) problems.push(`source rendition is ${r.width}x${r.height}, the source ${source.width}x${source.height}`);
      continue;
    }
    if (r.width > source.width || r.height > source.height) problems.push(`${r.id} (${r.width}x${r.height}) is larger than the source`);
    if (Math.abs(r.width - (r.height * source.width) / source.height) > 2) problems.push(`${r.id} (${r.width}x${r.height}) does not keep the source aspect`);
    const named = /^(\d+)p/.exec(r.id)?.[1];
    if (named !== undefined && short !== Math.min(Number(named), Math.min(source.width, source.height))) problems.push(`${r.id} has a short side of ${short}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Audio, decoded whole (per format)

/** The whole audio rendition decoded through one manifest. */
export interface AudioFigures {
  /** Largest hole (+) or overlap (−) between consecutive decoded frames, by magnitude. */
  maxFrameGapMs: number;
  /** At each video segment join: audio pts − (first audio pts + samples decoded before / rate); drift a continuous renderer would hear. */
  driftAtVideoJoinsMs: number[];
  /** Per audio segment join: RMS of 5 ms around the join against the median of its neighbourhood, dB (null: too quiet to tell). */
  joinLevelDb: (number | null)[];
  decodedMs: number;
}

async function decodedFrames(input: string, select: string, fallbackRate: number): Promise<{ ptsMs: number; samples: number; rate: number }[]> {
  const out = await ffprobeJson<{ frames?: { pts_time?: string; nb_samples?: number; sample_rate?: string }[] }>([
    '-select_streams', select, '-show_entries', 'frame=pts_time,nb_samples,sample_rate', input,
  ]);
  return (out.frames ?? []).map((f) => ({ ptsMs: ms(f.pts_time) ?? NaN, samples: f.nb_samples ?? 0, rate: Number(f.sample_rate) || fallbackRate }));
}

async function decodePcm(input: string, select: string, sampleRate: number): Promise<Float32Array> {
  const map = select === '0' ? '0:a:0' : `0:${select}`;
  const { stdout } = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', input, '-map', map, '-ac', '1', '-ar', String(sampleRate), '-f', 'f32le', '-'], {
    encoding: 'buffer',
    maxBuffer: MAX_OUTPUT_BYTES,
  });
  // Copied: a Buffer's byteOffset may not be 4-aligned.
  return new Float32Array(new Uint8Array(stdout).buffer, 0, Math.floor(stdout.length / 4));
}

function rms(pcm: Float32Array, from: number, to: number): number {
  let sum = 0;
  const a = Math.max(0, from);
  const b = Math.min(pcm.length, to);
  for (let i = a; i < b; i++) sum += pcm[i]! * pcm[i]!;
  return b > a ? Math.sqrt(sum / (b - a)) : 0;
}

/**
 * Decodes the whole audio rendition through a manifest, as a player plays it. Catches: a hole
 * or overlap between decoded frames larger than one AAC frame anywhere (gapless, issue 3);
 * drift that accumulates over joins (each join loses or doubles a little: timestamps look fine
 * pairwise, but a renderer playing samples back to back drifts off the video) beyond one video
 * frame at any video segment join; and a dropout at an audio segment join (priming silence or
 * a fade-in from an encoder restarted cold at every segment), louder than {@link DROPOUT_THRESHOLD_DB}.
 */
export async function checkAudio(
  dir: string,
  format: ManifestFormat,
  r: Rendition & { kind: 'audio' },
  videoJoinsMs: readonly number[],
  audioSegmentStartsMs: readonly number[],
  videoFrameMs: number,
): Promise<{ figures: AudioFigures; problems: string[] }> {
  const { input, select } = renditionInput(dir, format, r.id);
  const where = `${format} ${r.id}`;
  const problems: string[] = [];
  const frames = await decodedFrames(input, select, r.sampleRateHz);
  const frameMs = (AAC_FRAME_SAMPLES * 1000) / r.sampleRateHz;
  let maxGap = 0;
  const expected: number[] = [];
  let samples = 0;
  const first = frames[0]?.ptsMs ?? NaN;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    expected.push(first + (samples * 1000) / f.rate);
    samples += f.samples;
    if (i === 0) continue;
    const prev = frames[i - 1]!;
    const gap = f.ptsMs - (prev.ptsMs + (prev.samples * 1000) / prev.rate);
    if (Math.abs(gap) > Math.abs(maxGap)) maxGap = gap;
    if (Math.abs(gap) > frameMs) problems.push(`${where}: ${gap > 0 ? 'hole' : 'overlap'} of ${Math.abs(gap).toFixed(3)} ms at ${f.ptsMs.toFixed(3)} ms (> one AAC frame)`);
  }
  const driftAtVideoJoinsMs: number[] = [];
  for (const joinMs of videoJoinsMs.slice(1)) {
    // The frame playing at the join: the last one starting at or before it.
    let k = -1;
    for (let i = 0; i < frames.length && frames[i]!.ptsMs <= joinMs; i++) k = i;
    if (k < 0) continue;
    const drift = frames[k]!.ptsMs - expected[k]!;
    driftAtVideoJoinsMs.push(round(drift, 3));
    if (Math.abs(drift) > videoFrameMs) problems.push(`${where}: audio drifted ${drift.toFixed(3)} ms off its sample count at the video join ${joinMs} ms (> one video frame)`);
  }
  const pcm = await decodePcm(input, select, r.sampleRateHz);
  const perMs = r.sampleRateHz / 1000;
  const half = Math.round(2.5 * perMs);
  const joinLevelDb: (number | null)[] = [];
  for (const startMs of audioSegmentStartsMs.slice(1)) {
    const at = Math.round((startMs - first) * perMs);
    const around: number[] = [];
    for (let off = -200; off <= 200; off += 5) if (Math.abs(off) >= 10) around.push(rms(pcm, at + Math.round(off * perMs) - half, at + Math.round(off * perMs) + half));
    const ref = median(around);
    // Below -60 dBFS the content is silence itself: nothing to tell a dropout from.
    if (ref < 1e-3) {
      joinLevelDb.push(null);
      continue;
    }
    const db = 20 * Math.log10(Math.max(rms(pcm, at - half, at + half), 1e-9) / ref);
    joinLevelDb.push(round(db, 1));
    if (db < DROPOUT_THRESHOLD_DB) problems.push(`${where}: the join at ${startMs} ms is ${db.toFixed(1)} dB below the audio around it (dropout)`);
  }
  return { figures: { maxFrameGapMs: round(maxGap, 3), driftAtVideoJoinsMs, joinLevelDb, decodedMs: round((samples * 1000) / r.sampleRateHz, 1) }, problems };
}

// ---------------------------------------------------------------------------------------------
// Everything

/** A/V figures of one format. */
export interface SyncFigures {
  /** First audio pts − first video pts (the first video rendition) in the output. */
  avStartOffsetMs: number;
  /** The same in the source. */
  sourceAvStartOffsetMs: number;
  /** Audio duration − video duration in the output and in the source. */
  audioMinusVideoMs: number;
  sourceAudioMinusVideoMs: number;
  /**
   * Largest A/V offset, against the source, at a segment join of any video rendition: (video
   * segment start − the source key frame it was cut at) − (audio's start shift + its drift there).
   */
  maxJoinAvOffsetMs: number;
}

/** Kinds of problems, one test each. */
export const CHECK_KINDS = ['decode', 'manifests', 'renditions', 'alignment', 'gapless', 'sync'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** All figures of one session's output, and its problems by kind. */
export interface LadderReport {
  manifests: { hlsTotalMs: number[]; mpdDurationMs: number };
  segments: SegmentFigures;
  formats: Partial<Record<ManifestFormat, { renditions: RenditionFigures[]; sync?: SyncFigures; audio?: AudioFigures }>>;
  problems: Record<CheckKind, string[]>;
}

function nearest(values: readonly number[], target: number): number {
  let best = NaN;
  for (const v of values) if (!(Math.abs(v - target) >= Math.abs(best - target))) best = v;
  return best;
}

/**
 * Every check on a downloaded, ended session: decode (HLS and DASH), manifests, the plan against
 * the source, each rendition through each manifest, segment alignment and audio joins, decoded
 * audio continuity, and A/V sync. `sync` is judged against the source, within one video frame:
 * the offset between first audio and first video must be the source's (catches audio shifted by
 * an encoder delay or a wrong start), audio must outlast video by what it does in the source
 * (catches audio cut short or padded), and at every segment join of every video rendition the
 * video must sit where the source key frame was, relative to the audio (catches video re-timed
 * onto a wrong frame rate, drifting off the audio over a long stream, and audio drift).
 */
export async function checkLadderOutput(opts: {
  dir: string;
  state: PackagingState;
  source: SourceTiming;
  sourceSize: { width: number; height: number };
  segmentTargetMs: number;
}): Promise<LadderReport> {
  const { dir, state, source, segmentTargetMs } = opts;
  const problems: Record<CheckKind, string[]> = { decode: [], manifests: [], renditions: [], alignment: [], gapless: [], sync: [] };
  const manifests = await checkManifests(dir, state, source, segmentTargetMs);
  problems.manifests.push(...manifests.problems);
  problems.renditions.push(...checkPlan(state, opts.sourceSize));
  const segments = await checkSegments(dir, state);
  problems.alignment.push(...segments.alignment);
  problems.gapless.push(...segments.gapless);
  const formats: LadderReport['formats'] = {};
  const audioRendition = state.renditions.find((r): r is Rendition & { kind: 'audio' } => r.kind === 'audio');
  const firstVideo = state.renditions.find((r) => r.kind === 'video');
  const videoJoinsMs = (firstVideo && segments.figures.videoStartsMs[firstVideo.id]) ?? [];
  for (const format of MANIFEST_FORMATS) {
    problems.decode.push(...(await checkDecode(dir, format)));
    const renditions: RenditionFigures[] = [];
    for (const r of state.renditions) {
      const checked = await checkRendition(dir, format, r, source, segmentTargetMs);
      renditions.push(checked.figures);
      problems.renditions.push(...checked.problems);
    }
    const entry: NonNullable<LadderReport['formats'][ManifestFormat]> = { renditions };
    formats[format] = entry;
    const audio = renditions.find((f) => f.id === audioRendition?.id);
    const video = renditions.find((f) => f.id === firstVideo?.id);
    if (!audioRendition || !audio || !video || source.audioStartMs === null || source.audioEndMs === null) continue;
    const checked = await checkAudio(dir, format, audioRendition, videoJoinsMs, segments.figures.audioSegmentStartsMs, source.frameMs);
    entry.audio = checked.figures;
    problems.gapless.push(...checked.problems);
    const audioShiftMs = audio.firstPtsMs - source.audioStartMs;
    let maxJoin = 0;
    for (const [id, starts] of Object.entries(segments.figures.videoStartsMs)) {
      starts.forEach((startMs, i) => {
        const key = nearest(source.keyFramePtsMs, startMs);
        const drift = i === 0 ? 0 : (checked.figures.driftAtVideoJoinsMs[i - 1] ?? 0);
        const offset = startMs - key - (audioShiftMs + drift);
        if (Math.abs(offset) > Math.abs(maxJoin)) maxJoin = offset;
        if (Math.abs(offset) > source.frameMs) {
          problems.sync.push(`${format} ${id} seg-${i}: video starts at ${startMs} ms for the source key frame at ${key} ms, audio shifted ${round(audioShiftMs + drift, 3)} ms: A/V off by ${round(offset, 3)} ms (> one video frame)`);
        }
      });
    }
    const sync: SyncFigures = {
      avStartOffsetMs: round(audio.firstPtsMs - video.firstPtsMs),
      sourceAvStartOffsetMs: round(source.audioStartMs - source.videoStartMs),
      audioMinusVideoMs: round(audio.durationMs - video.durationMs),
      sourceAudioMinusVideoMs: round(source.audioEndMs - source.audioStartMs - (source.videoEndMs - source.videoStartMs)),
      maxJoinAvOffsetMs: round(maxJoin, 3),
    };
    entry.sync = sync;
    if (Math.abs(sync.avStartOffsetMs - sync.sourceAvStartOffsetMs) > source.frameMs) {
      problems.sync.push(`${format}: audio starts ${sync.avStartOffsetMs} ms after video, the source ${sync.sourceAvStartOffsetMs} ms (> one video frame apart)`);
    }
    if (Math.abs(sync.audioMinusVideoMs - sync.sourceAudioMinusVideoMs) > source.frameMs) {
      problems.sync.push(`${format}: audio lasts ${sync.audioMinusVideoMs} ms longer than video, the source ${sync.sourceAudioMinusVideoMs} ms (> one video frame apart)`);
    }
  }
  return { manifests: { hlsTotalMs: manifests.hlsTotalMs, mpdDurationMs: manifests.mpdDurationMs }, segments: segments.figures, formats, problems };
}

/** The figures worth printing per session, on a few lines. */
export function summarize(report: LadderReport): string {
  const lines: string[] = [];
  for (const [format, f] of Object.entries(report.formats)) {
    const renditions = f.renditions.map((r) => `${r.id} ${r.codec} ${r.width !== undefined ? `${r.width}x${r.height} ` : ''}${r.durationMs} ms`).join('; ');
    lines.push(`${format}: ${renditions}`);
    if (f.sync) lines.push(`${format} A/V: start offset ${f.sync.avStartOffsetMs} ms (source ${f.sync.sourceAvStartOffsetMs}), audio−video ${f.sync.audioMinusVideoMs} ms (source ${f.sync.sourceAudioMinusVideoMs}), max join offset ${f.sync.maxJoinAvOffsetMs} ms`);
    if (f.audio) lines.push(`${format} audio: max frame gap ${f.audio.maxFrameGapMs} ms, drift at joins [${f.audio.driftAtVideoJoinsMs.join(', ')}] ms, join level [${f.audio.joinLevelDb.join(', ')}] dB`);
  }
  const s = report.segments;
  lines.push(`segments: alignment spread ${s.maxAlignmentSpreadMs} ms, audio joins [${s.audioJoinsMs.join(', ')}] ms, repeated frames ${JSON.stringify(s.repeatedFrames)}`);
  return lines.join('\n');
}
