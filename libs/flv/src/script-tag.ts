/**
 * Script data (RTMP message type 18, FLV tag type 18): an AMF0 name and its arguments, chiefly
 * onMetaData (reference §6, §8.6). RTMP publishers prefix `@setDataFrame`; FLV files do not.
 */
import { ProtocolError } from '@headwater/bytes';
import { amfBoolean, amfNumber, amfObject, amfString, decodeAmf0 } from '@headwater/amf';
import type { AmfObject, AmfValue } from '@headwater/amf';
import { audioCodecFromMetadataId, isAudioFourCc, isVideoFourCc, videoCodecFromMetadataId } from './fourcc.js';
import type { AudioCodec, VideoCodec } from './fourcc.js';

/** A decoded script tag: its name (without `@setDataFrame`), first argument and all arguments. */
export interface ScriptTag {
  name: string;
  /** The first argument (onMetaData: an ECMA array or object), undefined when there is none. */
  value: AmfValue;
  args: AmfValue[];
}

/** The RTMP-side wrapper FFmpeg and OBS put before onMetaData (reference §6). */
export const SET_DATA_FRAME = '@setDataFrame';
const SET_DATA_FRAME_AMF = Uint8Array.from([0x02, 0x00, SET_DATA_FRAME.length, ...Array.from(SET_DATA_FRAME, (c) => c.charCodeAt(0))]);

/** Parses a script body: `[@setDataFrame] name args…`. Throws ProtocolError when the name is not a string. */
export function parseScriptTag(body: Uint8Array): ScriptTag {
  let values = decodeAmf0(body);
  if (values[0] === SET_DATA_FRAME) values = values.slice(1);
  const [name, ...args] = values;
  if (typeof name !== 'string') throw new ProtocolError('flv-bad-script-tag', 'script data does not start with a name string');
  return { name, value: args[0], args };
}

/**
 * The body without a leading AMF0 string `@setDataFrame` (a view; the body itself when absent):
 * what an FLV file stores for a metadata message received over RTMP.
 */
export function stripSetDataFrame(body: Uint8Array): Uint8Array {
  if (body.length < SET_DATA_FRAME_AMF.length) return body;
  for (let i = 0; i < SET_DATA_FRAME_AMF.length; i++) if (body[i] !== SET_DATA_FRAME_AMF[i]) return body;
  return body.subarray(SET_DATA_FRAME_AMF.length);
}

/** Typed fields that describe one track in onMetaData or in a TrackIdInfoMap entry. */
export interface MetadataTrackInfo {
  width?: number;
  height?: number;
  framerate?: number;
  /** kbps */
  videodatarate?: number;
  /** kbps */
  audiodatarate?: number;
  /** Raw value: a FourCC number (§8.6), a legacy CodecID (§6), or a FourCC string some muxers write. */
  videocodecid?: number | string;
  /** `videocodecid` resolved, when known. */
  videoCodec?: VideoCodec;
  /** Raw value: a FourCC number, a legacy SoundFormat, or a FourCC string. */
  audiocodecid?: number | string;
  /** `audiocodecid` resolved, when known. */
  audioCodec?: AudioCodec;
  audiosamplerate?: number;
  audiosamplesize?: number;
  audiochannels?: number;
  stereo?: boolean;
}

/** Typed view of onMetaData (reference §6, §8.6); absent or mistyped keys are left out. */
export interface MetadataInfo extends MetadataTrackInfo {
  /** seconds */
  duration?: number;
  filesize?: number;
  encoder?: string;
  /** v2: non-default video tracks by track id (1, 2, …). */
  videoTrackIdInfoMap?: Map<number, MetadataTrackInfo>;
  /** v2: non-default audio tracks by track id. */
  audioTrackIdInfoMap?: Map<number, MetadataTrackInfo>;
}

const NUMBER_KEYS = [
  'width',
  'height',
  'framerate',
  'videodatarate',
  'audiodatarate',
  'audiosamplerate',
  'audiosamplesize',
  'audiochannels',
] as const;

function trackInfo(o: AmfObject): MetadataTrackInfo {
  const out: MetadataTrackInfo = {};
  for (const k of NUMBER_KEYS) {
    const v = amfNumber(o, k);
    if (v !== undefined) out[k] = v;
  }
  const stereo = amfBoolean(o, 'stereo');
  if (stereo !== undefined) out.stereo = stereo;
  const v = amfNumber(o, 'videocodecid') ?? amfString(o, 'videocodecid');
  if (v !== undefined) {
    out.videocodecid = v;
    const codec = typeof v === 'number' ? videoCodecFromMetadataId(v) : isVideoFourCc(v) ? v : undefined;
    if (codec !== undefined) out.videoCodec = codec;
  }
  const a = amfNumber(o, 'audiocodecid') ?? amfString(o, 'audiocodecid');
  if (a !== undefined) {
    out.audiocodecid = a;
    const codec = typeof a === 'number' ? audioCodecFromMetadataId(a) : isAudioFourCc(a) ? a : undefined;
    if (codec !== undefined) out.audioCodec = codec;
  }
  return out;
}

function trackMap(v: AmfValue): Map<number, MetadataTrackInfo> | undefined {
  const o = amfObject(v);
  if (o === undefined) return undefined;
  const out = new Map<number, MetadataTrackInfo>();
  for (const key of Object.keys(o)) {
    // Track ids are UI8; keys that are not canonical decimal integers are ignored.
    const id = Number(key);
    const entry = amfObject(o[key]);
    if (!Number.isInteger(id) || id < 0 || id > 0xff || String(id) !== key || entry === undefined) continue;
    out.set(id, trackInfo(entry));
  }
  return out;
}

/** Extracts the typed onMetaData fields from its decoded value (ECMA array or object). */
export function metadataInfo(value: AmfValue): MetadataInfo {
  const o = amfObject(value);
  if (o === undefined) return {};
  const out: MetadataInfo = trackInfo(o);
  const duration = amfNumber(o, 'duration');
  if (duration !== undefined) out.duration = duration;
  // OBS writes `fileSize`, FFmpeg `filesize`.
  const filesize = amfNumber(o, 'filesize') ?? amfNumber(o, 'fileSize');
  if (filesize !== undefined) out.filesize = filesize;
  const encoder = amfString(o, 'encoder');
  if (encoder !== undefined) out.encoder = encoder;
  const videoMap = trackMap(o['videoTrackIdInfoMap']);
  if (videoMap !== undefined) out.videoTrackIdInfoMap = videoMap;
  const audioMap = trackMap(o['audioTrackIdInfoMap']);
  if (audioMap !== undefined) out.audioTrackIdInfoMap = audioMap;
  return out;
}
