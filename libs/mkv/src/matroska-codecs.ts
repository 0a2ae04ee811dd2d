/**
 * FLV codec FourCCs to Matroska codec mappings (RFC 9559 §5.1.4.1.21 and the Matroska codec
 * registry, https://www.matroska.org/technical/codec_specs.html): CodecID, the CodecPrivate each
 * one wants, and the per-frame rewrites (AV1 temporal delimiters).
 */
import { OBU_TYPE, parseFlacStreamInfo, splitObus, STREAMINFO_BYTES } from '@headwater/codecs';
import { ProtocolError } from '@headwater/bytes';

/** Matroska CodecID of every FLV codec we carry. */
export const MATROSKA_CODEC_IDS = {
  avc1: 'V_MPEG4/ISO/AVC',
  hvc1: 'V_MPEGH/ISO/HEVC',
  av01: 'V_AV1',
  vp09: 'V_VP9',
  vp08: 'V_VP8',
  mp4a: 'A_AAC',
  Opus: 'A_OPUS',
  fLaC: 'A_FLAC',
  'ac-3': 'A_AC3',
  'ec-3': 'A_EAC3',
  '.mp3': 'A_MPEG/L3',
} as const;

/** An FLV FourCC that Matroska can carry (VVC has no Matroska mapping FFmpeg 5.1 reads). */
export type MkvCodec = keyof typeof MATROSKA_CODEC_IDS;
export type MkvVideoCodec = 'avc1' | 'hvc1' | 'av01' | 'vp09' | 'vp08';
export type MkvAudioCodec = Exclude<MkvCodec, MkvVideoCodec>;

const VIDEO_CODECS: readonly string[] = ['avc1', 'hvc1', 'av01', 'vp09', 'vp08'] satisfies MkvVideoCodec[];

export function isMkvCodec(codec: string): codec is MkvCodec {
  return Object.hasOwn(MATROSKA_CODEC_IDS, codec);
}

export function isMkvVideoCodec(codec: string): codec is MkvVideoCodec {
  return VIDEO_CODECS.includes(codec);
}

export function isMkvAudioCodec(codec: string): codec is MkvAudioCodec {
  return isMkvCodec(codec) && !isMkvVideoCodec(codec);
}

/**
 * Whether frames are undecodable without a CodecPrivate: avcC, hvcC, av1C, AudioSpecificConfig,
 * FLAC STREAMINFO. VP8/VP9, AC-3, E-AC-3 and MP3 carry everything in-band; an Opus head can be
 * synthesised.
 */
export function codecNeedsConfig(codec: MkvCodec): boolean {
  switch (codec) {
    case 'avc1':
    case 'hvc1':
    case 'av01':
    case 'mp4a':
    case 'fLaC':
      return true;
    case 'vp09':
    case 'vp08':
    case 'Opus':
    case 'ac-3':
    case 'ec-3':
    case '.mp3':
      return false;
    default: {
      const never: never = codec;
      throw new ProtocolError('mkv-unsupported-codec', `unsupported codec ${String(never)}`);
    }
  }
}

/** libopus's default encoder delay at 48 kHz: what FFmpeg and most encoders write as pre-skip. */
export const OPUS_DEFAULT_PRE_SKIP = 312;
/** SeekPreRoll FFmpeg writes for Opus (80 ms, RFC 7845 §4.6 recommends at least that). */
export const OPUS_SEEK_PRE_ROLL_NS = 80_000_000;
const OPUS_HEAD_BYTES = 19;
const OPUS_RATE_HZ = 48000;

/**
 * libopus's Vorbis-order layouts (RFC 7845 §5.1.1.2) for 1..8 channels: stream count, coupled
 * count, channel mapping. Used only to synthesise a head for an empty E-RTMP Opus config.
 */
const VORBIS_LAYOUTS: readonly (readonly [number, number, readonly number[]])[] = [
  [1, 0, [0]],
  [1, 1, [0, 1]],
  [2, 1, [0, 2, 1]],
  [2, 2, [0, 1, 2, 3]],
  [3, 2, [0, 4, 1, 2, 3]],
  [4, 2, [0, 4, 1, 2, 3, 5]],
  [4, 3, [0, 4, 1, 2, 3, 5, 6]],
  [5, 3, [0, 6, 1, 2, 3, 4, 5, 7]],
];

/**
 * An OpusHead (RFC 7845 §5.1) for a stream whose E-RTMP SequenceStart was empty: version 1, the
 * given channels (mapping family 0 for 1–2, family 1 Vorbis order for 3–8), pre-skip, input rate
 * 48 kHz, gain 0.
 */
export function synthesizeOpusHead(channels = 2, preSkip = OPUS_DEFAULT_PRE_SKIP): Uint8Array {
  const layout = VORBIS_LAYOUTS[channels - 1];
  if (!Number.isInteger(channels) || layout === undefined) {
    throw new ProtocolError('bad-argument', `cannot synthesise an OpusHead for ${channels} channels`);
  }
  if (!Number.isInteger(preSkip) || preSkip < 0 || preSkip > 0xffff) throw new ProtocolError('bad-argument', `Opus pre-skip ${preSkip}`);
  const family = channels > 2 ? 1 : 0;
  const out = new Uint8Array(OPUS_HEAD_BYTES + (family === 0 ? 0 : 2 + channels));
  const view = new DataView(out.buffer);
  out.set([0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64], 0); // 'OpusHead'
  out[8] = 1;
  out[9] = channels;
  view.setUint16(10, preSkip, true);
  view.setUint32(12, OPUS_RATE_HZ, true);
  view.setInt16(16, 0, true);
  out[18] = family;
  if (family === 1) {
    out[19] = layout[0];
    out[20] = layout[1];
    out.set(layout[2], 21);
  }
  return out;
}

/** A copy of an OpusHead with another pre-skip (the field is UI16 LE at byte 10, RFC 7845 §5.1). */
export function opusHeadWithPreSkip(head: Uint8Array, preSkip: number): Uint8Array {
  if (head.length < OPUS_HEAD_BYTES) throw new ProtocolError('truncated', `OpusHead of ${head.length} bytes`);
  const out = head.slice();
  new DataView(out.buffer).setUint16(10, preSkip, true);
  return out;
}

/** Channels a single Opus packet codes, from its TOC byte's stereo flag (RFC 6716 §3.1). */
export function opusPacketChannels(packet: Uint8Array): 1 | 2 | undefined {
  const toc = packet[0];
  if (toc === undefined) return undefined;
  return toc & 0x04 ? 2 : 1;
}

const FLAC_MARKER = [0x66, 0x4c, 0x61, 0x43] as const; // 'fLaC'
/** METADATA_BLOCK_HEADER of a last STREAMINFO block: last flag, type 0, length 34 (RFC 9639 §8.1). */
const LAST_STREAMINFO_HEADER = [0x80, 0x00, 0x00, STREAMINFO_BYTES] as const;

/**
 * A_FLAC CodecPrivate: `fLaC` then the metadata blocks, STREAMINFO first (Matroska codec
 * registry). Accepts the three forms FLV carries (E-RTMP v2 §8.1): `fLaC` + blocks (kept), a
 * block header + STREAMINFO (prefixed with `fLaC`), or FFmpeg's raw 34-byte STREAMINFO
 * (prefixed with `fLaC` and a last-block header). Throws ProtocolError for anything else.
 */
export function flacCodecPrivate(config: Uint8Array): Uint8Array {
  parseFlacStreamInfo(config);
  if (FLAC_MARKER.every((b, i) => config[i] === b)) return config;
  // parseFlacStreamInfo accepted it, so `xx 00 00` here is a block header (see its comment).
  if (config[1] === 0 && config[2] === 0) {
    const out = new Uint8Array(4 + config.length);
    out.set(FLAC_MARKER, 0);
    out.set(config, 4);
    // A lone STREAMINFO must say it is the last block, or readers look for the next one.
    if (config.length === 4 + STREAMINFO_BYTES) out[4] = out[4]! | 0x80;
    return out;
  }
  const out = new Uint8Array(8 + STREAMINFO_BYTES);
  out.set(FLAC_MARKER, 0);
  out.set(LAST_STREAMINFO_HEADER, 4);
  out.set(config.subarray(0, STREAMINFO_BYTES), 8);
  return out;
}

/**
 * The byte ranges of an AV1 temporal unit to store in a Block: every OBU but temporal
 * delimiters, which the Matroska AV1 mapping says SHOULD be removed (codec registry, V_AV1,
 * "Block"). Returns views; a unit without delimiters comes back whole. Throws ProtocolError for
 * malformed OBU headers.
 */
export function av1BlockParts(temporalUnit: Uint8Array): Uint8Array[] {
  const obus = splitObus(temporalUnit);
  if (!obus.some((o) => o.type === OBU_TYPE.TEMPORAL_DELIMITER)) return [temporalUnit];
  const parts: Uint8Array[] = [];
  let obuStart = 0;
  let keptStart = 0;
  for (const obu of obus) {
    // Each OBU ends where its payload ends; the next one starts there.
    const end = obu.payload.byteOffset - temporalUnit.byteOffset + obu.payload.length;
    if (obu.type === OBU_TYPE.TEMPORAL_DELIMITER) {
      if (obuStart > keptStart) parts.push(temporalUnit.subarray(keptStart, obuStart));
      keptStart = end;
    }
    obuStart = end;
  }
  if (temporalUnit.length > keptStart) parts.push(temporalUnit.subarray(keptStart));
  return parts;
}
