/**
 * Audio tag bodies (RTMP message type 8 payloads and FLV tag type 8 bodies), legacy (reference §6)
 * and E-RTMP v2 ExAudio (reference §8.1–§8.3), normalised to one model like video-tag.ts.
 */
import { ByteReader, ProtocolError } from '@headwater/bytes';
import { PACKET_TYPE_MOD_EX, readModEx, readMultitrack } from './ex-header.js';
import type { FlvTagLimits, MultitrackType } from './ex-header.js';
import { SOUND_FORMAT_AAC, SOUND_FORMAT_EX_HEADER, audioCodecFromSoundFormat, isAudioFourCc } from './fourcc.js';
import type { AudioCodec, AudioFourCc } from './fourcc.js';
import { parseMultichannelConfig } from './multichannel-config.js';
import type { MultichannelConfig } from './multichannel-config.js';

/** Packet kinds of an audio track. Legacy AAC maps AACPacketType 0/1 to sequence-start/coded-frames. */
export type AudioPacketType = 'sequence-start' | 'coded-frames' | 'sequence-end' | 'multichannel-config';

/** One track's packet inside an audio message. */
export interface AudioTrackPacket {
  /** 0 for the default track and for every non-Multitrack message (reference §8.2). */
  trackId: number;
  codec: AudioCodec;
  packetType: AudioPacketType;
  /** ModEx TimestampOffsetNano of the message (reference §8.3), else 0. */
  timestampOffsetNs: number;
  /**
   * View into the body: AudioSpecificConfig / OpusHead / FLAC STREAMINFO for sequence-start,
   * frames for coded-frames, the raw config for multichannel-config. Copy it to keep it.
   */
  data: Uint8Array;
  /** The decoded config of a `multichannel-config` packet. */
  multichannel?: MultichannelConfig;
}

/** The four legacy header fields of byte 0 (reference §6); meaningless for AAC (always 0xAF). */
export interface LegacyAudioFormat {
  /** SoundFormat UB[4], kept because MP3 has two values (2 and 14). */
  soundFormat: number;
  /** SoundRate UB[2]: 0 → 5512, 1 → 11025, 2 → 22050, 3 → 44100. */
  rateHz: LegacySoundRateHz;
  /** SoundSize UB[1]: 0 → 8, 1 → 16. */
  sampleSizeBits: 8 | 16;
  /** SoundType UB[1]. */
  stereo: boolean;
}

export type LegacySoundRateHz = 5512 | 11025 | 22050 | 44100;
export const LEGACY_SOUND_RATES_HZ: readonly LegacySoundRateHz[] = [5512, 11025, 22050, 44100];

/** A parsed audio message. */
export interface AudioTag {
  /** True for SoundFormat 9 (ExHeader, reference §8.1). */
  enhanced: boolean;
  /** Byte 0 fields of a non-empty legacy message. */
  legacyFormat?: LegacyAudioFormat;
  /** Empty for the legal zero-length "silence" message (reference §6). */
  tracks: AudioTrackPacket[];
  /** The config of the first multichannel-config track. */
  multichannel?: MultichannelConfig;
  /** Set when the message used the Multitrack layout (reference §8.2). */
  multitrack?: MultitrackType;
}

/** Wire values of AudioPacketType (reference §8.1); 3, 6, 8–15 are reserved. */
export const AUDIO_PACKET_TYPE = {
  sequenceStart: 0,
  codedFrames: 1,
  sequenceEnd: 2,
  multichannelConfig: 4,
  multitrack: 5,
  modEx: PACKET_TYPE_MOD_EX,
} as const;

/** Parses an audio tag body. An empty body is the silence marker: `{ enhanced: false, tracks: [] }`. */
export function parseAudioTag(body: Uint8Array, limits?: FlvTagLimits): AudioTag {
  if (body.length === 0) return { enhanced: false, tracks: [] };
  const r = new ByteReader(body);
  const b0 = r.u8();
  const soundFormat = b0 >> 4;
  return soundFormat === SOUND_FORMAT_EX_HEADER ? parseEnhanced(r, b0, limits) : parseLegacy(r, b0);
}

function parseLegacy(r: ByteReader, b0: number): AudioTag {
  const soundFormat = b0 >> 4;
  const legacyFormat: LegacyAudioFormat = {
    soundFormat,
    rateHz: LEGACY_SOUND_RATES_HZ[(b0 >> 2) & 0x03]!,
    sampleSizeBits: b0 & 0x02 ? 16 : 8,
    stereo: (b0 & 0x01) === 1,
  };
  // Defined for every SoundFormat but 9, which the caller routed to parseEnhanced.
  const codec = audioCodecFromSoundFormat(soundFormat)!;
  let packetType: AudioPacketType = 'coded-frames';
  if (soundFormat === SOUND_FORMAT_AAC) {
    const aacPacketType = r.u8();
    if (aacPacketType === 0) packetType = 'sequence-start';
    else if (aacPacketType !== 1) throw new ProtocolError('flv-unknown-packet-type', `unknown AACPacketType ${aacPacketType}`);
  }
  return {
    enhanced: false,
    legacyFormat,
    tracks: [{ trackId: 0, codec, packetType, timestampOffsetNs: 0, data: r.rest() }],
  };
}

function parseEnhanced(r: ByteReader, b0: number, limits: FlvTagLimits | undefined): AudioTag {
  const { packetType, timestampOffsetNs } = readModEx(r, b0 & 0x0f);
  checkPacketType(packetType);
  const tag: AudioTag = { enhanced: true, tracks: [] };
  if (packetType === AUDIO_PACKET_TYPE.multitrack) {
    const m = readMultitrack(r, [AUDIO_PACKET_TYPE.multitrack, AUDIO_PACKET_TYPE.modEx], limits);
    checkPacketType(m.packetType);
    tag.multitrack = m.multitrack;
    for (const t of m.tracks) {
      tag.tracks.push(parseTrackBody(m.packetType, fourCcOf(t.fourcc), t.trackId, t.body, timestampOffsetNs));
    }
  } else {
    const codec = fourCcOf(r.fourcc());
    tag.tracks.push(parseTrackBody(packetType, codec, 0, r.rest(), timestampOffsetNs));
  }
  const withConfig = tag.tracks.find((t) => t.multichannel !== undefined);
  if (withConfig) tag.multichannel = withConfig.multichannel;
  return tag;
}

function checkPacketType(packetType: number): void {
  switch (packetType) {
    case AUDIO_PACKET_TYPE.sequenceStart:
    case AUDIO_PACKET_TYPE.codedFrames:
    case AUDIO_PACKET_TYPE.sequenceEnd:
    case AUDIO_PACKET_TYPE.multichannelConfig:
    case AUDIO_PACKET_TYPE.multitrack:
    case AUDIO_PACKET_TYPE.modEx:
      return;
    default:
      throw new ProtocolError('flv-unknown-packet-type', `unknown AudioPacketType ${packetType}`);
  }
}

function fourCcOf(s: string): AudioFourCc {
  if (!isAudioFourCc(s)) throw new ProtocolError('flv-unknown-fourcc', `unknown audio FourCC ${JSON.stringify(s)}`);
  return s;
}

function parseTrackBody(
  packetType: number,
  codec: AudioFourCc,
  trackId: number,
  body: Uint8Array,
  timestampOffsetNs: number,
): AudioTrackPacket {
  const packet = (type: AudioPacketType): AudioTrackPacket => ({ trackId, codec, packetType: type, timestampOffsetNs, data: body });
  switch (packetType) {
    case AUDIO_PACKET_TYPE.sequenceStart:
      return packet('sequence-start');
    case AUDIO_PACKET_TYPE.codedFrames:
      return packet('coded-frames');
    case AUDIO_PACKET_TYPE.sequenceEnd:
      return packet('sequence-end');
    case AUDIO_PACKET_TYPE.multichannelConfig: {
      const p = packet('multichannel-config');
      p.multichannel = parseMultichannelConfig(body);
      return p;
    }
    default:
      throw new ProtocolError('flv-unknown-packet-type', `unexpected AudioPacketType ${packetType} for a track`);
  }
}
