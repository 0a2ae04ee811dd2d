/**
 * A small strict EBML reader for tests: walks a file, checks that every element's size fits its
 * parent and that children fill their master exactly, and pulls out Matroska tracks and blocks.
 * Not part of the package build (tsconfig excludes src/testing).
 */
import { MKV_ID } from '../matroska-ids.js';

export interface EbmlNode {
  id: number;
  /** Offset of the ID's first byte. */
  offset: number;
  headerBytes: number;
  size: number;
  children?: EbmlNode[];
  /** Payload view for non-master elements. */
  data?: Uint8Array;
}

/** Masters we descend into (EBML header, Matroska levels we write or FFmpeg writes). */
const MASTERS = new Set<number>([
  MKV_ID.EBML,
  MKV_ID.Segment,
  MKV_ID.Info,
  MKV_ID.Tracks,
  MKV_ID.TrackEntry,
  MKV_ID.Video,
  MKV_ID.Audio,
  MKV_ID.Cluster,
  MKV_ID.BlockGroup,
  0x114d9b74, // SeekHead
  0x4dbb, // Seek
  0x1c53bb6b, // Cues
  0x1254c367, // Tags
]);

export function readVint(bytes: Uint8Array, at: number): { value: number; length: number; unknown: boolean } {
  const first = bytes[at];
  if (first === undefined || first === 0) throw new Error(`bad VINT at ${at}`);
  const length = Math.clz32(first) - 23;
  if (at + length > bytes.length) throw new Error(`VINT at ${at} runs past the end`);
  let value = first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const b = bytes[at + i]!;
    value = value * 256 + b;
    allOnes &&= b === 0xff;
  }
  return { value, length, unknown: allOnes };
}

export function readId(bytes: Uint8Array, at: number): { id: number; length: number } {
  const first = bytes[at];
  if (first === undefined || first < 0x10) throw new Error(`bad element ID at ${at}`);
  const length = Math.clz32(first) - 23;
  let id = 0;
  for (let i = 0; i < length; i++) id = id * 256 + bytes[at + i]!;
  return { id, length };
}

/**
 * Parses `bytes[start, end)` into a list of elements, descending into those `isMaster` names
 * (default: the Matroska masters); throws on any inconsistency.
 */
export function walkEbml(bytes: Uint8Array, start = 0, end = bytes.length, isMaster: (id: number) => boolean = (id) => MASTERS.has(id)): EbmlNode[] {
  const out: EbmlNode[] = [];
  let at = start;
  while (at < end) {
    const { id, length: idBytes } = readId(bytes, at);
    const size = readVint(bytes, at + idBytes);
    if (size.unknown) throw new Error(`unknown-size element 0x${id.toString(16)} at ${at}`);
    const headerBytes = idBytes + size.length;
    const dataStart = at + headerBytes;
    if (dataStart + size.value > end) throw new Error(`element 0x${id.toString(16)} at ${at} overruns its parent`);
    const node: EbmlNode = { id, offset: at, headerBytes, size: size.value };
    if (isMaster(id)) node.children = walkEbml(bytes, dataStart, dataStart + size.value, isMaster);
    else node.data = bytes.subarray(dataStart, dataStart + size.value);
    out.push(node);
    at = dataStart + size.value;
  }
  if (at !== end) throw new Error(`elements end at ${at}, parent at ${end}`);
  return out;
}

export function child(node: EbmlNode, id: number): EbmlNode | undefined {
  return node.children?.find((c) => c.id === id);
}

export function uintOf(node: EbmlNode | undefined): number | undefined {
  if (node?.data === undefined) return undefined;
  let v = 0;
  for (const b of node.data) v = v * 256 + b;
  return v;
}

export function floatOf(node: EbmlNode | undefined): number | undefined {
  if (node?.data === undefined) return undefined;
  const view = new DataView(node.data.buffer, node.data.byteOffset, node.data.length);
  return node.data.length === 4 ? view.getFloat32(0) : view.getFloat64(0);
}

export function stringOf(node: EbmlNode | undefined): string | undefined {
  return node?.data === undefined ? undefined : new TextDecoder().decode(node.data);
}

export interface ReadTrack {
  number: number;
  type: number;
  codecId: string;
  codecPrivate?: Uint8Array;
  codecDelayNs?: number;
  seekPreRollNs?: number;
  defaultDurationNs?: number;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
}

export interface ReadBlock {
  track: number;
  /** Cluster Timestamp + relative timestamp, in ticks. */
  ticks: number;
  keyframe: boolean;
  /** SimpleBlock Invisible flag. */
  invisible: boolean;
  data: Uint8Array;
  clusterTicks: number;
}

export interface ReadMatroska {
  docType: string;
  timestampScale: number;
  duration?: number;
  muxingApp?: string;
  tracks: ReadTrack[];
  blocks: ReadBlock[];
  clusterCount: number;
}

/** Reads a whole Matroska file (ours or FFmpeg's, with known sizes) into tracks and blocks. */
export function readMatroska(bytes: Uint8Array): ReadMatroska {
  const top = walkEbml(bytes);
  const header = top.find((n) => n.id === MKV_ID.EBML);
  const segment = top.find((n) => n.id === MKV_ID.Segment);
  if (!header || !segment) throw new Error('no EBML header or Segment');
  const info = child(segment, MKV_ID.Info);
  const out: ReadMatroska = {
    docType: stringOf(child(header, MKV_ID.DocType)) ?? '',
    timestampScale: uintOf(info && child(info, MKV_ID.TimestampScale)) ?? 1_000_000,
    tracks: [],
    blocks: [],
    clusterCount: 0,
  };
  const duration = floatOf(info && child(info, MKV_ID.Duration));
  if (duration !== undefined) out.duration = duration;
  const app = stringOf(info && child(info, MKV_ID.MuxingApp));
  if (app !== undefined) out.muxingApp = app;
  for (const entry of child(segment, MKV_ID.Tracks)?.children ?? []) {
    if (entry.id !== MKV_ID.TrackEntry) continue;
    const t: ReadTrack = {
      number: uintOf(child(entry, MKV_ID.TrackNumber)) ?? 0,
      type: uintOf(child(entry, MKV_ID.TrackType)) ?? 0,
      codecId: stringOf(child(entry, MKV_ID.CodecID)) ?? '',
    };
    const priv = child(entry, MKV_ID.CodecPrivate)?.data;
    if (priv) t.codecPrivate = priv;
    const set = <K extends keyof ReadTrack>(k: K, v: ReadTrack[K] | undefined): void => {
      if (v !== undefined) t[k] = v;
    };
    set('codecDelayNs', uintOf(child(entry, MKV_ID.CodecDelay)));
    set('seekPreRollNs', uintOf(child(entry, MKV_ID.SeekPreRoll)));
    set('defaultDurationNs', uintOf(child(entry, MKV_ID.DefaultDuration)));
    const video = child(entry, MKV_ID.Video);
    set('width', uintOf(video && child(video, MKV_ID.PixelWidth)));
    set('height', uintOf(video && child(video, MKV_ID.PixelHeight)));
    const audio = child(entry, MKV_ID.Audio);
    set('sampleRate', floatOf(audio && child(audio, MKV_ID.SamplingFrequency)));
    set('channels', uintOf(audio && child(audio, MKV_ID.Channels)));
    out.tracks.push(t);
  }
  for (const cluster of segment.children ?? []) {
    if (cluster.id !== MKV_ID.Cluster) continue;
    out.clusterCount++;
    const clusterTicks = uintOf(child(cluster, MKV_ID.Timestamp));
    if (clusterTicks === undefined) throw new Error('Cluster without Timestamp');
    for (const el of cluster.children ?? []) {
      const block = el.id === MKV_ID.SimpleBlock ? el.data : el.id === MKV_ID.BlockGroup ? child(el, MKV_ID.Block)?.data : undefined;
      if (block === undefined) continue;
      const tv = readVint(block, 0);
      const rel = new DataView(block.buffer, block.byteOffset + tv.length, 2).getInt16(0);
      const flags = block[tv.length + 2]!;
      if (flags & 0x06) throw new Error('laced blocks are not expected');
      out.blocks.push({
        track: tv.value,
        ticks: clusterTicks + rel,
        clusterTicks,
        keyframe: el.id === MKV_ID.SimpleBlock ? (flags & 0x80) !== 0 : true,
        invisible: (flags & 0x08) !== 0,
        data: block.subarray(tv.length + 3),
      });
    }
  }
  return out;
}
