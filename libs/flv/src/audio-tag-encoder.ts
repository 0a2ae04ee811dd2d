/**
 * Inverse of {@link parseAudioTag}: builds legacy or ExAudio bodies, including Multitrack and
 * ModEx forms, for tests and the synthetic publisher. `parseAudioTag(encodeAudioTag(t))`
 * deep-equals `t` for every valid `t`.
 */
import { ByteWriter, ProtocolError } from '@headwater/bytes';
import { AUDIO_PACKET_TYPE, LEGACY_SOUND_RATES_HZ } from './audio-tag.js';
import type { AudioPacketType, AudioTag, AudioTrackPacket } from './audio-tag.js';
import { PACKET_TYPE_MOD_EX, checkTrackId, writeMultitrack, writeTimestampOffsetModEx } from './ex-header.js';
import { SOUND_FORMAT_AAC, SOUND_FORMAT_EX_HEADER, audioCodecFromSoundFormat, isAudioFourCc } from './fourcc.js';

/**
 * Encodes an audio message body. A legacy message needs `legacyFormat` (its byte 0); a legacy
 * message without tracks is the empty silence body. Throws ProtocolError('bad-argument') for a
 * model the wire cannot express.
 */
export function encodeAudioTag(tag: AudioTag): Uint8Array {
  // Sized up front (byte 0, ModEx, Multitrack header, per track FourCC + id + size + CTS): no growth.
  const w = new ByteWriter(16 + tag.tracks.reduce((n, t) => n + t.data.length + 16, 0));
  return tag.enhanced ? encodeEnhanced(w, tag) : encodeLegacy(w, tag);
}

function encodeLegacy(w: ByteWriter, tag: AudioTag): Uint8Array {
  if (tag.tracks.length === 0) {
    if (tag.legacyFormat !== undefined) throw new ProtocolError('bad-argument', 'the empty silence message has no format byte');
    return w.finish();
  }
  const t = tag.tracks[0]!;
  const f = tag.legacyFormat;
  if (tag.tracks.length !== 1 || f === undefined) {
    throw new ProtocolError('bad-argument', 'a legacy audio message carries one track and a legacyFormat');
  }
  if (t.trackId !== 0 || t.timestampOffsetNs !== 0) {
    throw new ProtocolError('bad-argument', 'legacy audio has track 0 and no timestamp offset');
  }
  if (f.soundFormat === SOUND_FORMAT_EX_HEADER || audioCodecFromSoundFormat(f.soundFormat) !== t.codec) {
    throw new ProtocolError('bad-argument', `SoundFormat ${f.soundFormat} does not carry ${t.codec}`);
  }
  const rate = LEGACY_SOUND_RATES_HZ.indexOf(f.rateHz);
  if (rate < 0) throw new ProtocolError('bad-argument', `no legacy SoundRate for ${f.rateHz} Hz`);
  w.u8((f.soundFormat << 4) | (rate << 2) | (f.sampleSizeBits === 16 ? 2 : 0) | (f.stereo ? 1 : 0));
  if (f.soundFormat === SOUND_FORMAT_AAC) {
    if (t.packetType !== 'sequence-start' && t.packetType !== 'coded-frames') {
      throw new ProtocolError('bad-argument', `legacy AAC has no ${t.packetType} packet`);
    }
    w.u8(t.packetType === 'sequence-start' ? 0 : 1);
  } else if (t.packetType !== 'coded-frames') {
    throw new ProtocolError('bad-argument', `legacy ${t.codec} carries only coded frames`);
  }
  return w.bytes(t.data).finish();
}

function encodeEnhanced(w: ByteWriter, tag: AudioTag): Uint8Array {
  const first = tag.tracks[0];
  if (first === undefined) throw new ProtocolError('bad-argument', 'an ExAudio message needs a track');
  if (tag.legacyFormat !== undefined) throw new ProtocolError('bad-argument', 'ExAudio has no legacy format fields');
  for (const t of tag.tracks) {
    if (t.packetType !== first.packetType) throw new ProtocolError('bad-argument', 'all tracks of a message share one packet type');
    if (t.timestampOffsetNs !== first.timestampOffsetNs) {
      throw new ProtocolError('bad-argument', 'all tracks of a message share one timestamp offset');
    }
    if (!isAudioFourCc(t.codec)) throw new ProtocolError('bad-argument', `${t.codec} has no FourCC`);
    checkTrackId(t.trackId);
  }
  const wireType = wirePacketType(first.packetType);
  const realType = tag.multitrack !== undefined ? AUDIO_PACKET_TYPE.multitrack : wireType;
  const offsetNs = first.timestampOffsetNs;
  w.u8((SOUND_FORMAT_EX_HEADER << 4) | (offsetNs !== 0 ? PACKET_TYPE_MOD_EX : realType));
  if (offsetNs !== 0) writeTimestampOffsetModEx(w, offsetNs, realType);
  if (tag.multitrack !== undefined) {
    writeMultitrack(w, {
      multitrack: tag.multitrack,
      packetType: wireType,
      tracks: tag.tracks.map((t: AudioTrackPacket) => ({ fourcc: t.codec, trackId: t.trackId, body: t.data })),
    });
  } else {
    if (tag.tracks.length !== 1 || first.trackId !== 0) {
      throw new ProtocolError('bad-argument', 'several tracks or a non-zero track id need the Multitrack layout');
    }
    w.fourcc(first.codec).bytes(first.data);
  }
  return w.finish();
}

function wirePacketType(p: AudioPacketType): number {
  switch (p) {
    case 'sequence-start':
      return AUDIO_PACKET_TYPE.sequenceStart;
    case 'coded-frames':
      return AUDIO_PACKET_TYPE.codedFrames;
    case 'sequence-end':
      return AUDIO_PACKET_TYPE.sequenceEnd;
    case 'multichannel-config':
      return AUDIO_PACKET_TYPE.multichannelConfig;
    default: {
      const never: never = p;
      throw new ProtocolError('bad-argument', `unknown packet type ${String(never)}`);
    }
  }
}
