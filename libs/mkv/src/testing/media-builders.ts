/**
 * Tiny builders of codec payloads and FLV tags for the segmenter and writer tests (not part of
 * the package build).
 */
import { encodeAudioTag, encodeVideoTag } from '@headwater/flv';
import type { AudioTrackPacket, VideoFrameType, VideoTrackPacket } from '@headwater/flv';
import type { SegmenterTag } from '../source-segmenter.js';

/** A raw 34-byte FLAC STREAMINFO (RFC 9639 §8.2), block size 4096, sizes and MD5 unknown. */
export function flacStreamInfo(s: { sampleRate: number; channels: number; bitsPerSample: number }): Uint8Array {
  const out = new Uint8Array(34);
  out[0] = 0x10; // min block size 4096
  out[2] = 0x10; // max block size 4096
  // bytes 10..17: sample rate (20 bits), channels − 1 (3), bits per sample − 1 (5), total samples (36).
  const hi = s.sampleRate * 2 ** 12 + (s.channels - 1) * 2 ** 9 + (s.bitsPerSample - 1) * 2 ** 4;
  new DataView(out.buffer).setUint32(10, hi);
  return out;
}

/** AudioSpecificConfig for AAC-LC at 48 kHz, stereo (ISO 14496-3 §1.6.2.1). */
export const AAC_LC_48K_STEREO = Uint8Array.of(0x11, 0x90);

/** A VP8 frame (RFC 6386 §9.1): a key frame carries the start code and its size; `pad` bytes follow. */
export function vp8Frame(key: boolean, width = 640, height = 360, pad = 16): Uint8Array {
  const header = key ? 10 : 3;
  const out = new Uint8Array(header + pad).fill(0x5a, header);
  const firstPartitionSize = pad;
  const tag = (key ? 0 : 1) | (1 << 4) | (firstPartitionSize << 5);
  out[0] = tag & 0xff;
  out[1] = (tag >> 8) & 0xff;
  out[2] = (tag >> 16) & 0xff;
  if (key) {
    out.set([0x9d, 0x01, 0x2a, width & 0xff, width >> 8, height & 0xff, height >> 8], 3);
  }
  return out;
}

/** An AAC raw frame stand-in (the segmenter and writer never decode frames). */
export function aacFrame(size = 24, fill = 0x21): Uint8Array {
  return new Uint8Array(size).fill(fill);
}

function videoPacket(p: Partial<VideoTrackPacket> & Pick<VideoTrackPacket, 'codec' | 'packetType' | 'data'>): VideoTrackPacket {
  return { trackId: 0, compositionTimeMs: 0, timestampOffsetNs: 0, ...p };
}

/** An enhanced video tag (E-RTMP v1/v2; multitrack OneTrack when trackId > 0). */
export function videoTag(
  timestampMs: number,
  frameType: VideoFrameType,
  packet: Partial<VideoTrackPacket> & Pick<VideoTrackPacket, 'codec' | 'packetType' | 'data'>,
): SegmenterTag {
  const p = videoPacket(packet);
  const tag = { frameType, enhanced: true, tracks: [p], ...(p.trackId > 0 ? { multitrack: 'one-track' as const } : {}) };
  return { type: 9, timestampMs, body: encodeVideoTag(tag) };
}

/** An ExAudio tag (E-RTMP v2; multitrack OneTrack when trackId > 0). */
export function audioTag(
  timestampMs: number,
  packet: Partial<AudioTrackPacket> & Pick<AudioTrackPacket, 'codec' | 'packetType' | 'data'>,
): SegmenterTag {
  const p: AudioTrackPacket = { trackId: 0, timestampOffsetNs: 0, ...packet };
  const tag = { enhanced: true, tracks: [p], ...(p.trackId > 0 ? { multitrack: 'one-track' as const } : {}) };
  return { type: 8, timestampMs, body: encodeAudioTag(tag) };
}
