import { AAC_FRAME_SAMPLES, audioSegmentWindow } from './audio-window.js';
import type { AudioSegmentWindow } from './audio-window.js';
import { encoderArgs, renditionPixelFormat, tonemapFilter } from './ffmpeg-encoders.js';
import type { AudioRendition, LadderPlan, PassthroughRendition, TranscodeRendition } from './ladder-plan.js';

/** The files one segment job reads and writes. Paths are POSIX; the caller creates the directories. */
export interface SegmentIo {
  /** The source segment (Matroska or fragmented MP4, codec configuration intact). */
  input: string;
  /** Renditions go to `<outputDir>/<renditionId>/` (see {@link segmentOutputs}). */
  outputDir: string;
  /** Segment number: names `seg-<segmentIndex>.m4s`. */
  segmentIndex: number;
  /** Session time of the segment's first video frame (the keyframe the ingest cut at). */
  startMs: number;
  /** Time to the next segment's keyframe. Needed for transcoded audio unless `isLast`. */
  durationMs?: number;
  /** Last segment of the session: transcoded audio runs to the end of the input. */
  isLast?: boolean;
  /**
   * Session time minus the input file's own timestamps: 0 when source segments carry session
   * timestamps (recommended), `startMs`-ish when each file restarts near 0.
   * @defaultValue 0
   */
  inputOffsetMs?: number;
  /**
   * The previous source segment, decoded ahead of this one for transcoded audio so the AAC
   * encoder of this segment starts warm and the source decoder never restarts at the join
   * (see {@link audioSegmentWindow}). Absolute path. Without it the preroll is silence: the
   * timing stays gapless but the first frames after the join may click.
   */
  previous?: { input: string; offsetMs?: number };
  /** Threads for each decoder, the filter graph and each encoder (benchmarks use 1). */
  threads?: number;
  /** @defaultValue `'error'` */
  logLevel?: 'quiet' | 'panic' | 'fatal' | 'error' | 'warning' | 'info' | 'verbose' | 'debug';
}

/** Where a rendition's outputs of one segment land. */
export interface SegmentOutput {
  renditionId: string;
  /** `<outputDir>/<renditionId>`: must exist before ffmpeg runs. */
  dir: string;
  /** CMAF header (ftyp+moov); byte-identical for every segment of the rendition. */
  init: string;
  /** CMAF fragment(s) (moof+mdat) of this segment. */
  segment: string;
  /** A one-entry playlist ffmpeg's HLS muxer writes as a by-product: ignore, delete. */
  muxerPlaylist: string;
}

/** Bad arguments for a segment job (unknown rendition, bad time, relative path where one is needed). */
export class FfmpegArgsError extends Error {
  override readonly name = 'FfmpegArgsError';
}

/** Every rendition id of a plan, video first. */
export function planRenditionIds(plan: LadderPlan): string[] {
  return [...plan.video.map((r) => r.id), ...(plan.audio ? [plan.audio.id] : [])];
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/** The output files of `renditionIds` for one segment. */
export function segmentOutputs(renditionIds: readonly string[], outputDir: string, segmentIndex: number): SegmentOutput[] {
  return renditionIds.map((renditionId) => {
    const dir = joinPath(outputDir, renditionId);
    return {
      renditionId,
      dir,
      init: joinPath(dir, 'init.mp4'),
      segment: joinPath(dir, `seg-${segmentIndex}.m4s`),
      muxerPlaylist: joinPath(dir, `ffmpeg-${segmentIndex}.m3u8`),
    };
  });
}

/**
 * The MP4 muxer flags behind the HLS muxer, measured on FFmpeg 5.1:
 * - `frag_discont` makes the first fragment's tfdt the first packet's timestamp instead of 0,
 *   so with `-copyts` each fragment sits on the session timeline and fragments from
 *   different workers concatenate;
 * - edit lists stay on (the default): with B-frames, tfdt is the keyframe's pts and one
 *   `elst` entry (media_time = the reorder delay, constant per encoder setup) maps
 *   composition back, so FFmpeg and browsers agree on pts; the `cmaf` flag's negative
 *   composition offsets instead make FFmpeg's demuxer shift video late by the delay;
 * - `delay_moov` + `frag_custom` + `dash` are what the HLS muxer itself sets for fMP4;
 *   `skip_sidx`: a sidx per fragment would break `cat init seg-* ` concatenation;
 * - a 90 kHz video timescale fits every frame rate and the millisecond source timestamps.
 * The moov then holds nothing that depends on the segment, so init.mp4 is byte-identical.
 */
const CMAF_SEGMENT_OPTIONS = 'movflags=+frag_discont+delay_moov+frag_custom+dash+skip_sidx:video_track_timescale=90000';
/** Longer than any segment, so the HLS muxer never cuts one (the ingest already did). */
const HLS_NEVER_CUT_SECONDS = '86400';

function hlsOutputArgs(out: SegmentOutput, segmentIndex: number): string[] {
  return [
    // Without this, segment 0's B-frame dts < 0 shifts that whole segment late by the reorder delay.
    '-avoid_negative_ts', 'disabled',
    '-f', 'hls',
    '-hls_segment_type', 'fmp4',
    '-hls_time', HLS_NEVER_CUT_SECONDS,
    '-hls_list_size', '0',
    '-start_number', String(segmentIndex),
    '-hls_fmp4_init_filename', 'init.mp4',
    '-hls_segment_options', CMAF_SEGMENT_OPTIONS,
    // The HLS muxer expands printf patterns in the segment name: protect '%' in the directory.
    '-hls_segment_filename', joinPath(out.dir.replaceAll('%', '%%'), 'seg-%d.m4s'),
    out.muxerPlaylist,
  ];
}

const seconds = (ms: number): string => String(Number((ms / 1000).toFixed(6)));

/** The ffconcat script (as a data: URL) that chains the previous and current segment into one demuxer. */
function concatUrl(previous: string, previousOffsetMs: number, input: string, inputOffsetMs: number): string {
  if (!previous.startsWith('/') || !input.startsWith('/')) {
    throw new FfmpegArgsError('previous and input must be absolute paths (the concat list resolves names against itself)');
  }
  const gapMs = inputOffsetMs - previousOffsetMs;
  if (gapMs < 0) throw new FfmpegArgsError(`previous.offsetMs (${previousOffsetMs}) must not exceed inputOffsetMs (${inputOffsetMs})`);
  const quote = (p: string): string => `'file:${p.replaceAll("'", "'\\''")}'`;
  // concat shifts file i by (start_i − inpoint_i), start_i being the sum of earlier `duration`s:
  // inpoint 0 everywhere and duration = the clock difference keeps both files on the
  // previous file's clock, which -itsoffset then moves to the session clock.
  const script = ['ffconcat version 1.0', `file ${quote(previous)}`, 'inpoint 0', `duration ${seconds(gapMs)}`, `file ${quote(input)}`, 'inpoint 0', ''].join('\n');
  const utf8 = new TextEncoder().encode(script);
  let binary = '';
  for (const b of utf8) binary += String.fromCharCode(b);
  return `data:text/plain;base64,${btoa(binary)}`;
}

function checkIo(io: SegmentIo): void {
  const okTime = (v: number | undefined): boolean => v === undefined || (Number.isFinite(v) && v >= 0);
  if (!Number.isInteger(io.segmentIndex) || io.segmentIndex < 0) throw new FfmpegArgsError(`segmentIndex must be an integer ≥ 0 (got ${io.segmentIndex})`);
  if (!okTime(io.startMs)) throw new FfmpegArgsError(`startMs must be a time ≥ 0 (got ${io.startMs})`);
  if (!okTime(io.durationMs)) throw new FfmpegArgsError(`durationMs must be a time ≥ 0 (got ${String(io.durationMs)})`);
  for (const [name, v] of [['inputOffsetMs', io.inputOffsetMs], ['previous.offsetMs', io.previous?.offsetMs]] as const) {
    if (v !== undefined && !Number.isFinite(v)) throw new FfmpegArgsError(`${name} must be finite (got ${v})`);
  }
  if (io.threads !== undefined && (!Number.isInteger(io.threads) || io.threads < 1 || io.threads > 64)) {
    throw new FfmpegArgsError(`threads must be an integer from 1 to 64 (got ${io.threads})`);
  }
  for (const [name, p] of [['input', io.input], ['outputDir', io.outputDir], ['previous.input', io.previous?.input]] as const) {
    if (p !== undefined && (p === '' || p.includes('\0'))) throw new FfmpegArgsError(`${name} must be a non-empty path`);
  }
}

interface Selection {
  passthrough: PassthroughRendition[];
  transcode: TranscodeRendition[];
  audio: AudioRendition | undefined;
}

function select(plan: LadderPlan, renditionIds: 'all' | readonly string[]): { selection: Selection; ids: string[] } {
  const ids = renditionIds === 'all' ? planRenditionIds(plan) : [...renditionIds];
  if (ids.length === 0) throw new FfmpegArgsError('no rendition selected');
  if (new Set(ids).size !== ids.length) throw new FfmpegArgsError('a rendition is selected twice');
  const selection: Selection = { passthrough: [], transcode: [], audio: undefined };
  for (const id of ids) {
    const video = plan.video.find((r) => r.id === id);
    if (video?.kind === 'passthrough') selection.passthrough.push(video);
    else if (video?.kind === 'transcode') selection.transcode.push(video);
    else if (plan.audio && plan.audio.id === id) selection.audio = plan.audio;
    else throw new FfmpegArgsError(`rendition ${JSON.stringify(id)} is not in the plan`);
  }
  return { selection, ids };
}

/**
 * `[in]` → (tone-map once, at the largest rendition's size) → split → fps/scale/format per
 * rendition. Returns the graph chains and each rendition's output label.
 */
function videoFilter(decodeInput: number, transcodes: readonly TranscodeRendition[], endMs: number | undefined): { chains: string[]; labels: Map<string, string> } {
  const byStream = new Map<number, TranscodeRendition[]>();
  for (const r of transcodes) byStream.set(r.sourceStreamIndex, [...(byStream.get(r.sourceStreamIndex) ?? []), r]);
  const chains: string[] = [];
  const labels = new Map<string, string>();
  for (const [stream, group] of byStream) {
    // Frames at or after the next segment's cut belong to it: an open-GOP file ends with the next
    // key frame (the reference of its leading pictures), which FFmpeg outputs too (see
    // SourceSegment.trailingReference in @headwater/mkv). With -copyts, pts are session times.
    const trim = endMs === undefined ? [] : [`trim=end=${seconds(endMs)}`];
    const head: string[] = [];
    const tonemapFrom = group.find((r) => r.tonemapFrom !== undefined)?.tonemapFrom;
    if (tonemapFrom !== undefined) {
      // Tone-mapping is float math per pixel: do it once, on the largest picture any rendition needs.
      const largest = group.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
      head.push(`scale=${largest.width}:${largest.height}:flags=bicubic`, tonemapFilter(tonemapFrom));
    }
    const branches = group.map((_, i) => `[s${stream}_${i}]`);
    if (group.length > 1) head.push(`split=${group.length}`);
    const source = `[${decodeInput}:v:${stream}]`;
    if (head.length > 0) chains.push(`${source}${[...trim, ...head].join(',')}${branches.join('')}`);
    group.forEach((r, i) => {
      const label = `v${labels.size}`;
      labels.set(r.id, label);
      const steps = [
        ...(head.length > 0 ? [] : trim),
        ...(r.convertsFrameRate === true && r.frameRateFraction !== undefined ? [`fps=${r.frameRateFraction}`] : []),
        `scale=${r.width}:${r.height}:flags=bicubic`,
        'setsar=1',
        `format=${renditionPixelFormat(r)}`,
      ];
      chains.push(`${head.length > 0 ? (branches[i] ?? '') : source}${steps.join(',')}[${label}]`);
    });
  }
  return { chains, labels };
}

/**
 * Decode → (previous tail +) this segment → resample to the session sample clock starting
 * exactly at the window's encode start (`first_pts` pads or trims, so encoder frames land on
 * the grid) → AAC. The bitstream filter then drops every packet outside the window.
 */
function audioFilter(audioInput: number, audio: AudioRendition, window: AudioSegmentWindow): string {
  const sr = window.sampleRate;
  // Skip most of the previous segment before resampling; aresample does the sample-exact trim.
  const trimStartMs = Math.max(0, (window.encodeFromSample / sr) * 1000 - 50);
  const layout = audio.channels === 1 ? 'mono' : 'stereo';
  return (
    `[${audioInput}:a:0]atrim=start=${seconds(trimStartMs)},` +
    `aresample=${sr}:async=1:min_hard_comp=0.005:first_pts=${window.encodeFromSample},` +
    `aformat=sample_fmts=fltp:sample_rates=${sr}:channel_layouts=${layout}[aout]`
  );
}

function audioDropExpression(window: AudioSegmentWindow): string {
  // Half a frame of slack either side: packet pts are multiples of 1024 by construction.
  const half = AAC_FRAME_SAMPLES / 2;
  const terms = [`lt(pts\\,${window.startSample - half})`];
  if (window.endSample !== undefined) terms.push(`gte(pts\\,${window.endSample - half})`);
  return `noise=drop=${terms.join('+')}`;
}

/**
 * The ffmpeg argv (without `ffmpeg`) that turns one source segment into one CMAF fragment per
 * selected rendition, in one process: each source stream is decoded once and split, copies
 * come from a second demuxer of the same file (FFmpeg 5.1 invents dts from 0 for a Matroska
 * stream that is both decoded and copied), and each rendition is muxed by the HLS muxer into
 * `<outputDir>/<id>/init.mp4` + `seg-<segmentIndex>.m4s`, on the session timeline
 * (`-copyts`, `-itsoffset`), byte-identical init segments.
 */
export function ffmpegArgsForSegment(plan: LadderPlan, renditionIds: 'all' | readonly string[], io: SegmentIo): string[] {
  checkIo(io);
  const { selection, ids } = select(plan, renditionIds);
  const outputs = new Map(segmentOutputs(ids, io.outputDir, io.segmentIndex).map((o) => [o.renditionId, o]));
  const output = (id: string): SegmentOutput => outputs.get(id) as SegmentOutput;
  const inputOffsetMs = io.inputOffsetMs ?? 0;
  const threads = io.threads === undefined ? [] : ['-threads', String(io.threads)];

  const args = ['-hide_banner', '-nostdin', '-nostats', '-y', '-loglevel', io.logLevel ?? 'error', '-copyts'];
  if (io.threads !== undefined) args.push('-filter_complex_threads', String(io.threads));
  let inputs = 0;
  const addInput = (offsetMs: number, source: string[]): number => {
    args.push(...threads, ...(offsetMs === 0 ? [] : ['-itsoffset', seconds(offsetMs)]), ...source);
    return inputs++;
  };

  const audio = selection.audio;
  const audioTranscode = audio?.kind === 'transcode';
  const window = audio && audioTranscode ? audioSegmentWindow(audio, io) : undefined;
  const needsCopy = selection.passthrough.length > 0 || (audio !== undefined && !audioTranscode);
  const copyInput = needsCopy ? addInput(inputOffsetMs, ['-i', io.input]) : -1;
  const decodeInput = selection.transcode.length > 0 || (audioTranscode && !io.previous) ? addInput(inputOffsetMs, ['-i', io.input]) : -1;
  let audioInput = decodeInput;
  if (audioTranscode && io.previous) {
    const previousOffsetMs = io.previous.offsetMs ?? inputOffsetMs;
    audioInput = addInput(previousOffsetMs, ['-f', 'concat', '-safe', '0', '-i', concatUrl(io.previous.input, previousOffsetMs, io.input, inputOffsetMs)]);
  }

  const endMs = io.isLast || io.durationMs === undefined ? undefined : io.startMs + io.durationMs;
  const { chains: graph, labels } = videoFilter(decodeInput, selection.transcode, endMs);
  if (audio && window) graph.push(audioFilter(audioInput, audio, window));
  if (graph.length > 0) args.push('-filter_complex', graph.join(';'));

  for (const r of selection.passthrough) {
    // hvc1, not FFmpeg's default hev1: parameter sets live in the sample entry (Apple requires it).
    const tag = r.codec === 'hvc1' ? ['-tag:v', 'hvc1'] : [];
    args.push('-map', `${copyInput}:v:${r.sourceStreamIndex}`, '-c:v', 'copy', ...tag, ...hlsOutputArgs(output(r.id), io.segmentIndex));
  }
  for (const r of selection.transcode) {
    args.push('-map', `[${labels.get(r.id) ?? ''}]`, ...encoderArgs(r, plan.presets, io.threads), ...hlsOutputArgs(output(r.id), io.segmentIndex));
  }
  if (audio && window) {
    args.push(
      '-map', '[aout]',
      '-c:a', 'aac',
      '-b:a', String(audio.bitrateBps),
      ...threads,
      '-bsf:a', audioDropExpression(window),
      ...hlsOutputArgs(output(audio.id), io.segmentIndex),
    );
  } else if (audio) {
    args.push('-map', `${copyInput}:a:0`, '-c:a', 'copy', ...hlsOutputArgs(output(audio.id), io.segmentIndex));
  }
  return args;
}
