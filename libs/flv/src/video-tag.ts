/**
 * Video tag bodies (RTMP message type 9 payloads and FLV tag type 9 bodies), legacy (reference §6)
 * and Enhanced RTMP v1/v2 (reference §7, §8.2, §8.3), normalised to one model: a message is a
 * frame type plus one or more track packets, each with its codec, packet type and data view.
 */
import { ByteReader, ProtocolError } from '@headwater/bytes';
import { parseColorInfoPacket } from './color-info.js';
import type { ColorInfo } from './color-info.js';
import { PACKET_TYPE_MOD_EX, readModEx, readMultitrack } from './ex-header.js';
import type { FlvTagLimits, MultitrackType } from './ex-header.js';
import { isVideoFourCc, videoCodecFromLegacyId } from './fourcc.js';
import type { VideoCodec, VideoFourCc } from './fourcc.js';

/**
 * FrameType (reference §6/§7): 1 key, 2 inter, 3 disposable inter, 4 generated key, 5 info/command.
 * Metadata packets report `'command'` whatever byte 0 said: OBS writes FrameType 0, FFmpeg 5, and
 * the spec says to ignore it.
 */
export type VideoFrameType = 'key' | 'inter' | 'disposable' | 'generated-key' | 'command';

/** Packet kinds; CodedFramesX is reported as `'coded-frames'` with `compositionTimeMs` 0. */
export type VideoPacketType = 'sequence-start' | 'coded-frames' | 'sequence-end' | 'metadata' | 'mpeg2ts-sequence-start';

/** One track's packet inside a video message. */
export interface VideoTrackPacket {
  /** 0 for the default track and for every non-Multitrack message (reference §8.2). */
  trackId: number;
  codec: VideoCodec;
  packetType: VideoPacketType;
  /** SI24 CompositionTime (pts − dts); 0 when absent (CodedFramesX, AV1, VP8/9). */
  compositionTimeMs: number;
  /** ModEx TimestampOffsetNano of the message (reference §8.3), else 0. */
  timestampOffsetNs: number;
  /**
   * View into the body: the decoder configuration record for sequence-start, the frames
   * (length-prefixed NALUs, OBUs, VP frames) for coded-frames, the AMF bytes for metadata.
   * Copy it to keep it.
   */
  data: Uint8Array;
  /** The decoded colorInfo of a `metadata` packet whose AMF name is "colorInfo". */
  colorInfo?: ColorInfo;
}

/** A parsed video message. */
export interface VideoTag {
  frameType: VideoFrameType;
  /** True when byte 0 had the IsExHeader bit (E-RTMP), false for the legacy layout. */
  enhanced: boolean;
  /** The UI8 VideoCommand of a command frame (0 start / 1 end of client seek); `tracks` is then empty. */
  command?: number;
  tracks: VideoTrackPacket[];
  /** colorInfo of the first metadata track that has one (reference §7). */
  metadata?: ColorInfo;
  /** Set when the message used the Multitrack layout (reference §8.2). */
  multitrack?: MultitrackType;
}

/** Wire values of VideoPacketType (reference §7, §8). */
export const VIDEO_PACKET_TYPE = {
  sequenceStart: 0,
  codedFrames: 1,
  sequenceEnd: 2,
  codedFramesX: 3,
  metadata: 4,
  mpeg2tsSequenceStart: 5,
  multitrack: 6,
  modEx: PACKET_TYPE_MOD_EX,
} as const;

/** Wire values of FrameType. */
export const VIDEO_FRAME_TYPE = {
  key: 1,
  inter: 2,
  disposable: 3,
  'generated-key': 4,
  command: 5,
} as const satisfies Record<VideoFrameType, number>;

const FRAME_TYPES: readonly (VideoFrameType | undefined)[] = [undefined, 'key', 'inter', 'disposable', 'generated-key', 'command'];

/** Codecs whose CodedFrames carry an SI24 CompositionTime before length-prefixed NALUs. */
export function isNaluCodec(codec: VideoCodec): boolean {
  return codec === 'avc1' || codec === 'hvc1' || codec === 'vvc1';
}

function frameTypeOf(raw: number): VideoFrameType {
  const t = FRAME_TYPES[raw];
  if (t === undefined) throw new ProtocolError('flv-unknown-frame-type', `unknown video FrameType ${raw}`);
  return t;
}

/** Parses a video tag body. Throws ProtocolError on malformed, truncated or unknown input. */
export function parseVideoTag(body: Uint8Array, limits?: FlvTagLimits): VideoTag {
  const r = new ByteReader(body);
  const b0 = r.u8();
  return b0 & 0x80 ? parseEnhanced(r, b0, limits) : parseLegacy(r, b0);
}

function parseLegacy(r: ByteReader, b0: number): VideoTag {
  const frameType = frameTypeOf(b0 >> 4);
  if (frameType === 'command') return { frameType, enhanced: false, command: r.u8(), tracks: [] };
  const codecId = b0 & 0x0f;
  const codec = videoCodecFromLegacyId(codecId);
  if (codec === undefined) throw new ProtocolError('flv-unknown-codec-id', `unknown video CodecID ${codecId}`);
  if (codec === 'avc1' || codec === 'hvc1') {
    // AVCPacketType then SI24 CompositionTime (FLV 10.1 E.4.3.1); CodecID 12 reuses the layout.
    const avcPacketType = r.u8();
    const compositionTimeMs = r.i24();
    const packetType = LEGACY_AVC_PACKET_TYPES[avcPacketType];
    if (packetType === undefined) throw new ProtocolError('flv-unknown-packet-type', `unknown AVCPacketType ${avcPacketType}`);
    return {
      frameType,
      enhanced: false,
      tracks: [{ trackId: 0, codec, packetType, compositionTimeMs, timestampOffsetNs: 0, data: r.rest() }],
    };
  }
  return {
    frameType,
    enhanced: false,
    tracks: [{ trackId: 0, codec, packetType: 'coded-frames', compositionTimeMs: 0, timestampOffsetNs: 0, data: r.rest() }],
  };
}

/** AVCPacketType 0 sequence header, 1 NALUs, 2 end of sequence. */
const LEGACY_AVC_PACKET_TYPES: readonly (VideoPacketType | undefined)[] = ['sequence-start', 'coded-frames', 'sequence-end'];

function parseEnhanced(r: ByteReader, b0: number, limits: FlvTagLimits | undefined): VideoTag {
  const rawFrameType = (b0 >> 4) & 0x07;
  const { packetType, timestampOffsetNs } = readModEx(r, b0 & 0x0f);
  // E-RTMP v2 ExVideoTagHeader: a command frame (unless Metadata) is followed by one UI8 only.
  if (rawFrameType === VIDEO_FRAME_TYPE.command && packetType !== VIDEO_PACKET_TYPE.metadata) {
    return { frameType: 'command', enhanced: true, command: r.u8(), tracks: [] };
  }
  checkPacketType(packetType);
  const tag: VideoTag = { frameType: 'command', enhanced: true, tracks: [] };
  let effectiveType = packetType;
  if (packetType === VIDEO_PACKET_TYPE.multitrack) {
    const m = readMultitrack(r, [VIDEO_PACKET_TYPE.multitrack, VIDEO_PACKET_TYPE.modEx], limits);
    checkPacketType(m.packetType);
    effectiveType = m.packetType;
    tag.multitrack = m.multitrack;
    for (const t of m.tracks) {
      tag.tracks.push(parseTrackBody(m.packetType, fourCcOf(t.fourcc), t.trackId, t.body, timestampOffsetNs));
    }
  } else {
    const codec = fourCcOf(r.fourcc());
    tag.tracks.push(parseTrackBody(packetType, codec, 0, r.rest(), timestampOffsetNs));
  }
  // FrameType is ignored for Metadata (reference §7), also when it is the inner type of a Multitrack.
  if (effectiveType !== VIDEO_PACKET_TYPE.metadata) tag.frameType = frameTypeOf(rawFrameType);
  const withColor = tag.tracks.find((t) => t.colorInfo !== undefined);
  if (withColor) tag.metadata = withColor.colorInfo;
  return tag;
}

function checkPacketType(packetType: number): void {
  if (packetType > VIDEO_PACKET_TYPE.modEx) {
    throw new ProtocolError('flv-unknown-packet-type', `unknown VideoPacketType ${packetType}`);
  }
}

function fourCcOf(s: string): VideoFourCc {
  if (!isVideoFourCc(s)) throw new ProtocolError('flv-unknown-fourcc', `unknown video FourCC ${JSON.stringify(s)}`);
  return s;
}

function parseTrackBody(
  packetType: number,
  codec: VideoFourCc,
  trackId: number,
  body: Uint8Array,
  timestampOffsetNs: number,
): VideoTrackPacket {
  const packet = (type: VideoPacketType, data: Uint8Array, compositionTimeMs = 0): VideoTrackPacket => ({
    trackId,
    codec,
    packetType: type,
    compositionTimeMs,
    timestampOffsetNs,
    data,
  });
  switch (packetType) {
    case VIDEO_PACKET_TYPE.sequenceStart:
      return packet('sequence-start', body);
    case VIDEO_PACKET_TYPE.codedFrames: {
      // Only the NALU codecs carry an SI24 CompositionTime (reference §7); AV1/VP frames start at once.
      if (!isNaluCodec(codec)) return packet('coded-frames', body);
      const r = new ByteReader(body);
      const cts = r.i24();
      return packet('coded-frames', r.rest(), cts);
    }
    case VIDEO_PACKET_TYPE.sequenceEnd:
      return packet('sequence-end', body);
    case VIDEO_PACKET_TYPE.codedFramesX:
      return packet('coded-frames', body);
    case VIDEO_PACKET_TYPE.metadata: {
      const p = packet('metadata', body);
      const colorInfo = parseColorInfoPacket(body);
      if (colorInfo !== undefined) p.colorInfo = colorInfo;
      return p;
    }
    case VIDEO_PACKET_TYPE.mpeg2tsSequenceStart:
      return packet('mpeg2ts-sequence-start', body);
    default:
      throw new ProtocolError('flv-unknown-packet-type', `unexpected VideoPacketType ${packetType} for a track`);
  }
}
