/**
 * Writes one complete, self-contained Matroska file (RFC 9559) from tracks and frames in decode
 * order: EBML header, then a Segment of known size holding Info, Tracks and Clusters of
 * SimpleBlocks. No SeekHead or Cues: the files are small and read front to back by FFmpeg.
 */
import { ProtocolError } from '@headwater/bytes';
import { describeAudioConfig, describeAudioFrame, describeVideoConfig, describeVideoFrame, parseOpusHead } from '@headwater/codecs';
import type { AudioDescription } from '@headwater/codecs';
import { ebmlBinary, ebmlFloat, ebmlMaster, ebmlString, ebmlUint, encodeEbml, encodeVint } from './ebml-writer.js';
import type { EbmlElement } from './ebml-writer.js';
import {
  MATROSKA_CODEC_IDS,
  OPUS_SEEK_PRE_ROLL_NS,
  av1BlockParts,
  flacCodecPrivate,
  isMkvAudioCodec,
  isMkvVideoCodec,
  opusPacketChannels,
  synthesizeOpusHead,
} from './matroska-codecs.js';
import type { MkvCodec } from './matroska-codecs.js';
import { MKV_ID, MKV_TRACK_TYPE, SIMPLE_BLOCK_FLAG } from './matroska-ids.js';

/** A track of the file. */
export interface MkvTrack {
  /** TrackNumber, 1..{@link MAX_TRACK_NUMBER}, unique in the file. */
  number: number;
  kind: 'video' | 'audio';
  /** The FLV FourCC; see MATROSKA_CODEC_IDS for the CodecID it becomes. */
  codec: MkvCodec;
  /**
   * The FLV SequenceStart payload: avcC, hvcC, av1C, AudioSpecificConfig (required for those),
   * OpusHead (synthesised when absent or empty), FLAC STREAMINFO in any FLV form (normalised to
   * `fLaC` + blocks). Ignored for VP8/VP9 (FLV's vpcC is not Matroska's CodecPrivate), AC-3,
   * E-AC-3 and MP3.
   */
  codecPrivate?: Uint8Array;
  /** Video size in pixels; taken from the config (or a VP8/VP9 key frame) when absent. */
  width?: number;
  height?: number;
  /** Audio sample rate in Hz and channels; taken from the config or first frame when absent. */
  sampleRate?: number;
  channels?: number;
  /** DefaultDuration: nanoseconds per frame, written when known (helps readers guess the frame rate). */
  defaultDurationNs?: number;
}

/** One frame (one Block). */
export interface MkvFrame {
  /** TrackNumber of a track in the file. */
  track: number;
  /**
   * Presentation time in ms (dts + composition time, plus any ModEx nanosecond offset), >= 0;
   * rounded to the TimestampScale. Matroska Block timestamps are presentation times.
   */
  ptsMs: number;
  /** Decode time in ms; when given it must not decrease within a track (audio: ptsMs is checked). */
  dtsMs?: number;
  keyframe: boolean;
  /**
   * Sets the SimpleBlock Invisible flag (RFC 9559 §10.2): decode it but do not show it (a
   * reference for other frames). FFmpeg 5.1 ignores the flag and outputs the frame anyway.
   */
  decodeOnly?: boolean;
  /** The coded frame: length-prefixed NALUs (as avcC/hvcC say), AV1 OBUs, VP8/VP9 frames, audio frames. */
  data: Uint8Array;
}

/** Input of {@link writeMatroskaSegment}. Frames in decode order, as received. */
export interface MatroskaSegmentInput {
  tracks: MkvTrack[];
  frames: MkvFrame[];
  /** Nanoseconds per Block timestamp tick. @defaultValue 1_000_000 (1 ms) */
  timecodeScaleNs?: number;
  /**
   * The Info Duration in ms: the span the file covers (end − start), not the end timestamp, so
   * FFmpeg's concat demuxer lays files back to back. @defaultValue last frame end − first pts,
   * with each track's last frame lasting its defaultDurationNs (else 0)
   */
  durationMs?: number;
}

/** Largest TrackNumber we write: a 2-byte VINT in the Block header (RFC 9559 §10.1). */
export const MAX_TRACK_NUMBER = 16382;
/** Name written as MuxingApp and WritingApp. */
export const MUXING_APP = 'headwater';
/** Relative Block timestamps are SI16 (RFC 9559 §10.1): a Cluster spans at most this many ticks each way. */
const MAX_RELATIVE_TICKS = 32767;
const MIN_RELATIVE_TICKS = -32768;
const DEFAULT_TIMECODE_SCALE_NS = 1_000_000;
const NS_PER_MS = 1_000_000;

interface ResolvedTrack {
  track: MkvTrack;
  /** Ticks added to every Block timestamp: CodecDelay, which readers subtract (RFC 9559 §5.1.4.1.25). */
  delayTicks: number;
  entry: EbmlElement;
  lastDtsMs: number;
  lastEndMs: number;
}

/**
 * Builds a Matroska file (DocType `matroska`) holding `frames` in the order given, which must be
 * decode order, as FFmpeg's muxer writes B-frames too. Clusters start at the first Block and
 * whenever a Block's timestamp would leave the SI16 range relative to its Cluster.
 * Throws ProtocolError (`mkv-*` codes) for bad input: unsupported codec, codec of the wrong
 * kind, missing configuration or dimensions, a frame for an unknown track, an empty frame, a
 * negative or non-finite time, or a decode time going back within a track.
 */
export function writeMatroskaSegment(input: MatroskaSegmentInput): Uint8Array {
  const scaleNs = input.timecodeScaleNs ?? DEFAULT_TIMECODE_SCALE_NS;
  if (!Number.isSafeInteger(scaleNs) || scaleNs < 1) throw new ProtocolError('mkv-bad-argument', `TimestampScale ${scaleNs} ns`);
  const tracks = new Map<number, ResolvedTrack>();
  for (const t of input.tracks) {
    if (!Number.isInteger(t.number) || t.number < 1 || t.number > MAX_TRACK_NUMBER) {
      throw new ProtocolError('mkv-bad-track', `TrackNumber ${t.number} outside 1..${MAX_TRACK_NUMBER}`);
    }
    if (tracks.has(t.number)) throw new ProtocolError('mkv-bad-track', `TrackNumber ${t.number} used twice`);
    tracks.set(t.number, resolveTrack(t, input.frames, scaleNs));
  }
  const clusters = buildClusters(input.frames, tracks, scaleNs);
  let firstPtsMs = Infinity;
  for (const f of input.frames) firstPtsMs = Math.min(firstPtsMs, f.ptsMs);
  let lastEndMs = 0;
  for (const t of tracks.values()) lastEndMs = Math.max(lastEndMs, t.lastEndMs);
  const durationMs = input.durationMs ?? (input.frames.length > 0 ? Math.max(0, lastEndMs - firstPtsMs) : 0);
  if (!Number.isFinite(durationMs) || durationMs < 0) throw new ProtocolError('mkv-bad-argument', `duration ${durationMs} ms`);
  const info = ebmlMaster(MKV_ID.Info, [
    ebmlUint(MKV_ID.TimestampScale, scaleNs),
    ebmlString(MKV_ID.MuxingApp, MUXING_APP),
    ebmlString(MKV_ID.WritingApp, MUXING_APP),
    ebmlFloat(MKV_ID.Duration, (durationMs * NS_PER_MS) / scaleNs),
  ]);
  const trackEntries = [...tracks.values()].map((t) => t.entry);
  return encodeEbml([ebmlHeader(), ebmlMaster(MKV_ID.Segment, [info, ebmlMaster(MKV_ID.Tracks, trackEntries), ...clusters])]);
}

/** The EBML header (RFC 8794 §11.2) with Matroska's DocType (RFC 9559 §4.1); v4 for CodecDelay/SeekPreRoll. */
function ebmlHeader(): EbmlElement {
  return ebmlMaster(MKV_ID.EBML, [
    ebmlUint(MKV_ID.EBMLVersion, 1),
    ebmlUint(MKV_ID.EBMLReadVersion, 1),
    ebmlUint(MKV_ID.EBMLMaxIDLength, 4),
    ebmlUint(MKV_ID.EBMLMaxSizeLength, 8),
    ebmlString(MKV_ID.DocType, 'matroska'),
    ebmlUint(MKV_ID.DocTypeVersion, 4),
    ebmlUint(MKV_ID.DocTypeReadVersion, 2),
  ]);
}

function resolveTrack(t: MkvTrack, frames: readonly MkvFrame[], scaleNs: number): ResolvedTrack {
  const codecId: string | undefined = Object.hasOwn(MATROSKA_CODEC_IDS, t.codec) ? MATROSKA_CODEC_IDS[t.codec] : undefined;
  if (codecId === undefined) throw new ProtocolError('mkv-unsupported-codec', `no Matroska mapping for codec ${JSON.stringify(String(t.codec).slice(0, 8))}`);
  const firstFrame = frames.find((f) => f.track === t.number)?.data;
  const children: EbmlElement[] = [
    ebmlUint(MKV_ID.TrackNumber, t.number),
    ebmlUint(MKV_ID.TrackUID, t.number),
    ebmlUint(MKV_ID.TrackType, t.kind === 'video' ? MKV_TRACK_TYPE.video : MKV_TRACK_TYPE.audio),
    ebmlUint(MKV_ID.FlagLacing, 0),
    ebmlString(MKV_ID.Language, 'und'),
    ebmlString(MKV_ID.CodecID, codecId),
  ];
  let delayTicks = 0;
  if (t.defaultDurationNs !== undefined) {
    if (!Number.isFinite(t.defaultDurationNs) || t.defaultDurationNs < 1) throw new ProtocolError('mkv-bad-track', `DefaultDuration ${t.defaultDurationNs} ns`);
  }
  if (t.kind === 'video') {
    if (!isMkvVideoCodec(t.codec)) throw new ProtocolError('mkv-bad-track', `${t.codec} is not a video codec`);
    const needsPrivate = t.codec === 'avc1' || t.codec === 'hvc1' || t.codec === 'av01';
    const priv = needsPrivate ? requiredPrivate(t) : undefined;
    let { width, height } = t;
    if (width === undefined || height === undefined) {
      const d = priv !== undefined ? describeVideoConfig(t.codec, priv) : firstFrame !== undefined ? describeVideoFrame(t.codec, firstFrame) : undefined;
      width ??= d?.width;
      height ??= d?.height;
    }
    if (!isDimension(width) || !isDimension(height)) throw new ProtocolError('mkv-bad-track', `video track ${t.number} has no valid width and height`);
    if (priv !== undefined) children.push(ebmlBinary(MKV_ID.CodecPrivate, priv));
    if (t.defaultDurationNs !== undefined) children.push(ebmlUint(MKV_ID.DefaultDuration, Math.round(t.defaultDurationNs)));
    children.push(ebmlMaster(MKV_ID.Video, [ebmlUint(MKV_ID.PixelWidth, width), ebmlUint(MKV_ID.PixelHeight, height)]));
  } else {
    if (!isMkvAudioCodec(t.codec)) throw new ProtocolError('mkv-bad-track', `${t.codec} is not an audio codec`);
    const { priv, described } = audioPrivate(t, firstFrame);
    const sampleRate = t.sampleRate ?? described?.sampleRate;
    const channels = t.channels ?? described?.channels;
    if (sampleRate === undefined || !Number.isFinite(sampleRate) || sampleRate <= 0) throw new ProtocolError('mkv-bad-track', `audio track ${t.number} has no sample rate`);
    if (channels === undefined || !Number.isInteger(channels) || channels < 1) throw new ProtocolError('mkv-bad-track', `audio track ${t.number} has no channel count`);
    if (priv !== undefined) children.push(ebmlBinary(MKV_ID.CodecPrivate, priv));
    if (t.defaultDurationNs !== undefined) children.push(ebmlUint(MKV_ID.DefaultDuration, Math.round(t.defaultDurationNs)));
    if (t.codec === 'Opus') {
      // As FFmpeg's matroskaenc: CodecDelay = pre-skip (when non-zero), SeekPreRoll 80 ms, and every
      // Block shifted by the delay rounded to ticks, which FFmpeg's reader subtracts again.
      const preSkip = parseOpusHead(priv!).preSkip;
      const delayNs = Math.round((preSkip * 1e9) / 48000);
      if (delayNs > 0) {
        children.push(ebmlUint(MKV_ID.CodecDelay, delayNs));
        delayTicks = Math.round(delayNs / scaleNs);
      }
      children.push(ebmlUint(MKV_ID.SeekPreRoll, OPUS_SEEK_PRE_ROLL_NS));
    }
    children.push(ebmlMaster(MKV_ID.Audio, [ebmlFloat(MKV_ID.SamplingFrequency, sampleRate), ebmlUint(MKV_ID.Channels, channels)]));
  }
  return { track: t, delayTicks, entry: ebmlMaster(MKV_ID.TrackEntry, children), lastDtsMs: -Infinity, lastEndMs: 0 };
}

function audioPrivate(t: MkvTrack, firstFrame: Uint8Array | undefined): { priv?: Uint8Array; described?: AudioDescription } {
  switch (t.codec) {
    case 'mp4a': {
      const priv = requiredPrivate(t);
      return { priv, described: describeAudioConfig('mp4a', priv) };
    }
    case 'Opus': {
      const given = t.codecPrivate !== undefined && t.codecPrivate.length > 0 ? t.codecPrivate : undefined;
      const priv = given ?? synthesizeOpusHead(t.channels ?? (firstFrame !== undefined ? opusPacketChannels(firstFrame) : undefined) ?? 2);
      return { priv, described: { codec: 'Opus', codecString: 'opus', sampleRate: 48000, channels: parseOpusHead(priv).channelCount } };
    }
    case 'fLaC': {
      const priv = flacCodecPrivate(requiredPrivate(t));
      return { priv, described: describeAudioConfig('fLaC', priv) };
    }
    case 'ac-3':
    case 'ec-3':
    case '.mp3': {
      if (firstFrame === undefined || (t.sampleRate !== undefined && t.channels !== undefined)) return {};
      const described = describeAudioFrame(t.codec, firstFrame);
      return described === undefined ? {} : { described };
    }
    default:
      throw new ProtocolError('mkv-bad-track', `${t.codec} is not an audio codec`);
  }
}

function requiredPrivate(t: MkvTrack): Uint8Array {
  if (t.codecPrivate === undefined || t.codecPrivate.length === 0) {
    throw new ProtocolError('mkv-missing-codec-private', `${t.codec} track ${t.number} needs its decoder configuration`);
  }
  return t.codecPrivate;
}

function isDimension(v: number | undefined): v is number {
  return v !== undefined && Number.isInteger(v) && v > 0;
}

/** Groups frames into Clusters, checking each frame before it is placed. */
function buildClusters(frames: readonly MkvFrame[], tracks: Map<number, ResolvedTrack>, scaleNs: number): EbmlElement[] {
  const clusters: EbmlElement[] = [];
  let clusterTicks = 0;
  let blocks: EbmlElement[] = [];
  const close = (): void => {
    if (blocks.length > 0) clusters.push(ebmlMaster(MKV_ID.Cluster, [ebmlUint(MKV_ID.Timestamp, clusterTicks), ...blocks]));
    blocks = [];
  };
  for (const f of frames) {
    const t = tracks.get(f.track);
    if (t === undefined) throw new ProtocolError('mkv-unknown-track', `frame for track ${f.track}, which is not in the file`);
    if (!Number.isFinite(f.ptsMs) || f.ptsMs < 0) throw new ProtocolError('mkv-bad-timestamp', `frame of track ${f.track} at ${f.ptsMs} ms`);
    if (f.data.length === 0) throw new ProtocolError('mkv-empty-frame', `empty frame on track ${f.track} at ${f.ptsMs} ms`);
    const dtsMs = f.dtsMs ?? (t.track.kind === 'audio' ? f.ptsMs : undefined);
    if (dtsMs !== undefined) {
      if (!Number.isFinite(dtsMs) || dtsMs < t.lastDtsMs) {
        throw new ProtocolError('mkv-non-monotonic-dts', `track ${f.track} goes from ${t.lastDtsMs} ms back to ${dtsMs} ms`);
      }
      t.lastDtsMs = dtsMs;
    }
    const frameEndMs = f.ptsMs + (t.track.defaultDurationNs ?? 0) / NS_PER_MS;
    t.lastEndMs = Math.max(t.lastEndMs, frameEndMs);
    const parts = t.track.codec === 'av01' ? av1BlockParts(f.data) : [f.data];
    // A temporal unit of temporal delimiters only carries no frame.
    if (parts.length === 0) continue;
    const ticks = Math.round((f.ptsMs * NS_PER_MS) / scaleNs) + t.delayTicks;
    if (blocks.length === 0 || ticks - clusterTicks > MAX_RELATIVE_TICKS || ticks - clusterTicks < MIN_RELATIVE_TICKS) {
      close();
      clusterTicks = ticks;
    }
    blocks.push(simpleBlock(f.track, ticks - clusterTicks, f.keyframe, f.decodeOnly ?? false, parts));
  }
  close();
  return clusters;
}

/** SimpleBlock (RFC 9559 §10.2): track VINT, SI16 timestamp relative to the Cluster, flags, no lacing. */
function simpleBlock(track: number, relativeTicks: number, keyframe: boolean, invisible: boolean, parts: Uint8Array[]): EbmlElement {
  const trackVint = encodeVint(track);
  const header = new Uint8Array(trackVint.length + 3);
  header.set(trackVint, 0);
  new DataView(header.buffer).setInt16(trackVint.length, relativeTicks);
  header[trackVint.length + 2] = (keyframe ? SIMPLE_BLOCK_FLAG.keyframe : 0) | (invisible ? SIMPLE_BLOCK_FLAG.invisible : 0);
  return ebmlBinary(MKV_ID.SimpleBlock, header, ...parts);
}
