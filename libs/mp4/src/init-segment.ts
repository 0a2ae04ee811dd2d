import { ByteReader, ProtocolError } from '@headwater/bytes';
import type { AudioSampleEntry } from './audio-sample-entry.js';
import { AUDIO_SAMPLE_ENTRIES, readAudioSampleEntry } from './audio-sample-entry.js';
import type { Mp4Box } from './box-reader.js';
import { BoxBudget, childrenOf, findBox, readBoxes, readFullBox, requireBox } from './box-reader.js';
import type { VideoSampleEntry } from './video-sample-entry.js';
import { readVideoSampleEntry, VIDEO_SAMPLE_ENTRIES } from './video-sample-entry.js';

/** Most tracks one init segment may describe (CMAF has one; a muxed file a handful). */
export const MAX_TRACKS = 64;
/** Most compatible brands read from `ftyp`. */
export const MAX_BRANDS = 64;

/** Fields every track has. */
interface TrackBase {
  /** `tkhd` track_ID. */
  trackId: number;
  /** `mdhd` timescale: media time units per second. */
  timescale: number;
  /** RFC 6381 codec string, as HLS CODECS and DASH `@codecs` want it (`avc1.64001f`, `mp4a.40.2`). */
  codecString: string;
}

/** A video track (`hdlr` handler `vide`). */
export interface VideoTrackInfo extends TrackBase {
  kind: 'video';
  /** Sample entry FourCC. */
  fourcc: VideoSampleEntry;
  /** VisualSampleEntry width in pixels (what HLS RESOLUTION and DASH `@width` advertise at 1:1 aspect). */
  width: number;
  /** VisualSampleEntry height in pixels. */
  height: number;
  /** `tkhd` presentation width in pixels (16.16 rounded down), after pixel aspect ratio. */
  displayWidth: number;
  /** `tkhd` presentation height in pixels. */
  displayHeight: number;
  /** Frames per second, when the bitstream's timing information signals it. */
  frameRate?: number;
  /** Luma bit depth, when the configuration record says. */
  bitDepth?: number;
}

/** An audio track (`hdlr` handler `soun`). */
export interface AudioTrackInfo extends TrackBase {
  kind: 'audio';
  /** Sample entry FourCC. */
  fourcc: AudioSampleEntry;
  /** Output sample rate in Hz (HE-AAC: the SBR rate; Opus: 48000). */
  sampleRate: number;
  /**
   * Output channel count from the codec configuration (AudioSpecificConfig, dOps, dfLa, dac3,
   * dec3); undefined when there is none (MP3), since ISO writers may put a fixed 2 in the entry.
   */
  channels?: number;
}

/** One described track. */
export type TrackInfo = VideoTrackInfo | AudioTrackInfo;

/** What an init segment (`ftyp` + `moov`) says about its tracks. */
export interface InitSegmentInfo {
  /** `ftyp` major brand, when there is an `ftyp`. */
  majorBrand?: string;
  compatibleBrands: string[];
  /** Whether `moov` has an `mvex` (movie fragments follow: fMP4 / CMAF). */
  fragmented: boolean;
  /** Video and audio tracks in `moov` order; tracks of other handlers (text, metadata, hint) are left out. */
  tracks: TrackInfo[];
}

/**
 * Reads an fMP4 / CMAF init segment (ISO/IEC 14496-12: `ftyp` then `moov`; a whole MP4 file
 * works too). Only the boxes on the way to each track's sample description are walked:
 * moov/trak/{tkhd, mdia/{mdhd, hdlr, minf/stbl/stsd}}. Every size is checked against the bytes
 * there; hostile input throws only ProtocolError (`truncated`, `bad-box`, `missing-box`,
 * `unsupported-codec`, `limit-exceeded`, or a codec record's own codes).
 */
export function readInitSegment(bytes: Uint8Array): InitSegmentInfo {
  const budget = new BoxBudget();
  const top = readBoxes(bytes, 0, budget);
  const info: InitSegmentInfo = { compatibleBrands: [], fragmented: false, tracks: [] };
  const ftyp = findBox(top, 'ftyp');
  if (ftyp) {
    const r = new ByteReader(ftyp.payload);
    info.majorBrand = r.fourcc();
    r.skip(4); // minor_version
    while (r.remaining >= 4 && info.compatibleBrands.length < MAX_BRANDS) info.compatibleBrands.push(r.fourcc());
  }
  const moov = childrenOf(requireBox(top, 'moov', 'the init segment'), budget);
  info.fragmented = findBox(moov, 'mvex') !== undefined;
  const traks = moov.filter((b) => b.type === 'trak');
  if (traks.length > MAX_TRACKS) throw new ProtocolError('limit-exceeded', `${traks.length} tracks exceed the limit ${MAX_TRACKS}`);
  for (const trak of traks) {
    const track = readTrack(trak, budget);
    if (track) info.tracks.push(track);
  }
  return info;
}

/** One `trak`; undefined for a handler other than video or audio. */
function readTrack(trak: Mp4Box, budget: BoxBudget): TrackInfo | undefined {
  const children = childrenOf(trak, budget);
  const mdia = childrenOf(requireBox(children, 'mdia', 'trak'), budget);
  const handler = readHandler(requireBox(mdia, 'hdlr', 'mdia'));
  if (handler !== 'vide' && handler !== 'soun') return undefined;
  const tkhd = readTkhd(requireBox(children, 'tkhd', 'trak'));
  const timescale = readTimescale(requireBox(mdia, 'mdhd', 'mdia'));
  const minf = childrenOf(requireBox(mdia, 'minf', 'mdia'), budget);
  const stbl = childrenOf(requireBox(minf, 'stbl', 'minf'), budget);
  const { version, entry } = readFirstSampleEntry(requireBox(stbl, 'stsd', 'stbl'), budget);
  const base = { trackId: tkhd.trackId, timescale };
  if (handler === 'vide') {
    const fourcc = entry.type;
    if (!isOneOf(VIDEO_SAMPLE_ENTRIES, fourcc)) throw unsupported(fourcc);
    const v = readVideoSampleEntry(fourcc, entry, budget);
    const track: VideoTrackInfo = {
      kind: 'video',
      fourcc,
      ...base,
      codecString: v.codecString,
      width: v.width,
      height: v.height,
      displayWidth: tkhd.width,
      displayHeight: tkhd.height,
    };
    if (v.frameRate !== undefined) track.frameRate = v.frameRate;
    if (v.bitDepth !== undefined) track.bitDepth = v.bitDepth;
    return track;
  }
  const fourcc = entry.type;
  if (!isOneOf(AUDIO_SAMPLE_ENTRIES, fourcc)) throw unsupported(fourcc);
  const a = readAudioSampleEntry(fourcc, entry, version, budget);
  const track: AudioTrackInfo = { kind: 'audio', fourcc, ...base, codecString: a.codecString, sampleRate: a.sampleRate };
  if (a.channels !== undefined) track.channels = a.channels;
  return track;
}

/** hdlr (§8.4.3): FullBox, pre_defined, handler_type. */
function readHandler(hdlr: Mp4Box): string {
  const { reader } = readFullBox(hdlr);
  reader.skip(4);
  return reader.fourcc();
}

/** tkhd (§8.3.2): track_ID and the 16.16 presentation size. */
function readTkhd(tkhd: Mp4Box): { trackId: number; width: number; height: number } {
  const { version, reader } = readFullBox(tkhd);
  reader.skip(version === 1 ? 16 : 8); // creation_time, modification_time
  const trackId = reader.u32();
  reader.skip(4 + (version === 1 ? 8 : 4)); // reserved, duration
  reader.skip(8 + 2 + 2 + 2 + 2 + 36); // reserved, layer, alternate_group, volume, reserved, matrix
  const width = reader.u32() >>> 16;
  const height = reader.u32() >>> 16;
  return { trackId, width, height };
}

/** mdhd (§8.4.2): the media timescale. */
function readTimescale(mdhd: Mp4Box): number {
  const { version, reader } = readFullBox(mdhd);
  reader.skip(version === 1 ? 16 : 8); // creation_time, modification_time
  const timescale = reader.u32();
  if (timescale === 0) throw new ProtocolError('bad-box', 'mdhd timescale is 0');
  return timescale;
}

/** stsd (§8.5.2): the first sample entry (CMAF tracks have exactly one). */
function readFirstSampleEntry(stsd: Mp4Box, budget: BoxBudget): { version: number; entry: Mp4Box } {
  const { version, reader } = readFullBox(stsd);
  const count = reader.u32();
  const entries = readBoxes(reader.rest(), stsd.depth + 1, budget);
  const entry = entries[0];
  if (count === 0 || entry === undefined) throw new ProtocolError('missing-box', 'stsd has no sample entry');
  return { version, entry };
}

function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

function unsupported(fourcc: string): ProtocolError {
  // The FourCC came off the wire: show it escaped, never raw control bytes.
  return new ProtocolError('unsupported-codec', `unsupported sample entry ${JSON.stringify(fourcc)}`);
}
