/**
 * Inverse of {@link parseVideoTag}: builds legacy or enhanced video bodies, including the
 * Multitrack and ModEx forms no encoder in the wild emits (reference §9), for tests and the
 * synthetic publisher. `parseVideoTag(encodeVideoTag(t))` deep-equals `t` for every valid `t`.
 */
import { ByteWriter, ProtocolError } from '@headwater/bytes';
import { PACKET_TYPE_MOD_EX, checkTrackId, writeMultitrack, writeTimestampOffsetModEx } from './ex-header.js';
import { isVideoFourCc, legacyIdFromVideoCodec } from './fourcc.js';
import { VIDEO_FRAME_TYPE, VIDEO_PACKET_TYPE, isNaluCodec } from './video-tag.js';
import type { VideoPacketType, VideoTag, VideoTrackPacket } from './video-tag.js';

/**
 * Encodes a video message body. Enhanced coded frames of the NALU codecs are written as
 * CodedFramesX when every track's CTS is 0 (as OBS and FFmpeg do), else as CodedFrames.
 * A ModEx TimestampOffsetNano prelude is written when the tracks' `timestampOffsetNs` is non-zero.
 * Throws ProtocolError('bad-argument') for a model the wire cannot express.
 */
export function encodeVideoTag(tag: VideoTag): Uint8Array {
  // Sized up front (byte 0, ModEx, Multitrack header, per track FourCC + id + size + CTS): no growth.
  const w = new ByteWriter(16 + tag.tracks.reduce((n, t) => n + t.data.length + 16, 0));
  if (tag.command !== undefined) {
    if (tag.frameType !== 'command' || tag.tracks.length > 0) {
      throw new ProtocolError('bad-argument', 'a video command frame has frameType "command" and no tracks');
    }
    // Legacy: FrameType 5 | CodecID (AVC by convention); enhanced: IsExHeader | 5 | PacketType 0.
    w.u8(tag.enhanced ? 0x80 | (VIDEO_FRAME_TYPE.command << 4) : (VIDEO_FRAME_TYPE.command << 4) | 7);
    return w.u8(tag.command).finish();
  }
  return tag.enhanced ? encodeEnhanced(w, tag) : encodeLegacy(w, tag);
}

function encodeLegacy(w: ByteWriter, tag: VideoTag): Uint8Array {
  const t = onlyTrack(tag);
  if (t.timestampOffsetNs !== 0) throw new ProtocolError('bad-argument', 'legacy video cannot carry a timestamp offset');
  if (tag.frameType === 'command') throw new ProtocolError('bad-argument', 'legacy command frames carry a command, not a track');
  const codecId = legacyIdFromVideoCodec(t.codec);
  if (codecId === undefined) throw new ProtocolError('bad-argument', `${t.codec} has no legacy CodecID`);
  w.u8((VIDEO_FRAME_TYPE[tag.frameType] << 4) | codecId);
  if (t.codec === 'avc1' || t.codec === 'hvc1') {
    w.u8(legacyAvcPacketType(t.packetType)).i24(checkCts(t.compositionTimeMs));
  } else if (t.packetType !== 'coded-frames' || t.compositionTimeMs !== 0) {
    throw new ProtocolError('bad-argument', `legacy ${t.codec} carries only coded frames without CTS`);
  }
  return w.bytes(t.data).finish();
}

function legacyAvcPacketType(p: VideoPacketType): number {
  switch (p) {
    case 'sequence-start':
      return 0;
    case 'coded-frames':
      return 1;
    case 'sequence-end':
      return 2;
    case 'metadata':
    case 'mpeg2ts-sequence-start':
      throw new ProtocolError('bad-argument', `legacy AVC has no ${p} packet`);
    default: {
      const never: never = p;
      throw new ProtocolError('bad-argument', `unknown packet type ${String(never)}`);
    }
  }
}

function onlyTrack(tag: VideoTag): VideoTrackPacket {
  const t = tag.tracks[0];
  if (tag.tracks.length !== 1 || t === undefined) {
    throw new ProtocolError('bad-argument', `a non-Multitrack message carries one track, got ${tag.tracks.length}`);
  }
  if (t.trackId !== 0) throw new ProtocolError('bad-argument', 'track ids other than 0 need the Multitrack layout');
  return t;
}

function encodeEnhanced(w: ByteWriter, tag: VideoTag): Uint8Array {
  const first = tag.tracks[0];
  if (first === undefined) throw new ProtocolError('bad-argument', 'an enhanced video message needs a track');
  const packetType = first.packetType;
  const offsetNs = first.timestampOffsetNs;
  for (const t of tag.tracks) {
    if (t.packetType !== packetType) throw new ProtocolError('bad-argument', 'all tracks of a message share one packet type');
    if (t.timestampOffsetNs !== offsetNs) throw new ProtocolError('bad-argument', 'all tracks of a message share one timestamp offset');
    if (!isVideoFourCc(t.codec)) throw new ProtocolError('bad-argument', `${t.codec} has no FourCC`);
    checkTrackId(t.trackId);
  }
  const isMetadata = packetType === 'metadata';
  if (isMetadata !== (tag.frameType === 'command')) {
    throw new ProtocolError('bad-argument', 'frameType "command" without a command is only valid for metadata packets');
  }
  const wireType = wirePacketType(packetType, tag.tracks);
  const realType = tag.multitrack !== undefined ? VIDEO_PACKET_TYPE.multitrack : wireType;
  // Metadata: FrameType 5 as FFmpeg writes it (0xD4); inside a Multitrack FrameType 0 as OBS does,
  // because 5 with the outer type Multitrack would read as a command frame (E-RTMP v2 pseudocode).
  const rawFrameType = isMetadata && tag.multitrack !== undefined ? 0 : VIDEO_FRAME_TYPE[tag.frameType];
  w.u8(0x80 | (rawFrameType << 4) | (offsetNs !== 0 ? PACKET_TYPE_MOD_EX : realType));
  if (offsetNs !== 0) writeTimestampOffsetModEx(w, offsetNs, realType);
  const bodyOf = (t: VideoTrackPacket): Uint8Array => trackBody(t, wireType);
  if (tag.multitrack !== undefined) {
    writeMultitrack(w, {
      multitrack: tag.multitrack,
      packetType: wireType,
      tracks: tag.tracks.map((t) => ({ fourcc: t.codec, trackId: t.trackId, body: bodyOf(t) })),
    });
  } else {
    const t = onlyTrack(tag);
    w.fourcc(t.codec).bytes(bodyOf(t));
  }
  return w.finish();
}

function wirePacketType(p: VideoPacketType, tracks: readonly VideoTrackPacket[]): number {
  switch (p) {
    case 'sequence-start':
      return VIDEO_PACKET_TYPE.sequenceStart;
    case 'coded-frames':
      // CodedFramesX is only defined for the NALU codecs (reference §7).
      return tracks.every((t) => isNaluCodec(t.codec) && t.compositionTimeMs === 0)
        ? VIDEO_PACKET_TYPE.codedFramesX
        : VIDEO_PACKET_TYPE.codedFrames;
    case 'sequence-end':
      return VIDEO_PACKET_TYPE.sequenceEnd;
    case 'metadata':
      return VIDEO_PACKET_TYPE.metadata;
    case 'mpeg2ts-sequence-start':
      return VIDEO_PACKET_TYPE.mpeg2tsSequenceStart;
    default: {
      const never: never = p;
      throw new ProtocolError('bad-argument', `unknown packet type ${String(never)}`);
    }
  }
}

function trackBody(t: VideoTrackPacket, wireType: number): Uint8Array {
  if (wireType === VIDEO_PACKET_TYPE.codedFrames && isNaluCodec(t.codec)) {
    return new ByteWriter(t.data.length + 3).i24(checkCts(t.compositionTimeMs)).bytes(t.data).finish();
  }
  if (t.compositionTimeMs !== 0) {
    throw new ProtocolError('bad-argument', `${t.codec} ${t.packetType} cannot carry a composition time`);
  }
  return t.data;
}

function checkCts(ms: number): number {
  if (!Number.isInteger(ms) || ms < -0x800000 || ms > 0x7fffff) {
    throw new ProtocolError('bad-argument', `compositionTimeMs ${ms} does not fit in SI24`);
  }
  return ms;
}
