/**
 * The ExAudio MultichannelConfig packet body (AudioPacketType 4, reference §8.1):
 * UI8 channel order · UI8 channel count · native: UI32 channel mask · custom: UI8 speaker id per channel.
 */
import { ByteReader, ByteWriter, ProtocolError } from '@headwater/bytes';

/** Speaker layout of an audio track. */
export type MultichannelConfig =
  | { order: 'unspecified'; channelCount: number }
  /** `channelMask`: AudioChannelMask bits (FL 0x1, FR 0x2, FC 0x4, LFE1 0x8, …). */
  | { order: 'native'; channelCount: number; channelMask: number }
  /** `speakers`: one AudioChannel id per channel (mask bit positions 0..23, 0xFE unused, 0xFF unknown). */
  | { order: 'custom'; channelCount: number; speakers: number[] };

export type ChannelOrder = MultichannelConfig['order'];

/** AudioChannelMask bits (reference §8.1). */
export const AUDIO_CHANNEL_MASK = {
  FL: 0x1,
  FR: 0x2,
  FC: 0x4,
  LFE1: 0x8,
  BL: 0x10,
  BR: 0x20,
  FLC: 0x40,
  FRC: 0x80,
  BC: 0x100,
  SL: 0x200,
  SR: 0x400,
  TC: 0x800,
  TFL: 0x1000,
  TFC: 0x2000,
  TFR: 0x4000,
  TBL: 0x8000,
  TBC: 0x10000,
  TBR: 0x20000,
  LFE2: 0x40000,
  TSL: 0x80000,
  TSR: 0x100000,
  BFC: 0x200000,
  BFL: 0x400000,
  BFR: 0x800000,
} as const;

/** Parses a MultichannelConfig body. Trailing bytes are ignored; an unknown order is a ProtocolError. */
export function parseMultichannelConfig(body: Uint8Array): MultichannelConfig {
  const r = new ByteReader(body);
  const order = r.u8();
  const channelCount = r.u8();
  switch (order) {
    case 0:
      return { order: 'unspecified', channelCount };
    case 1:
      return { order: 'native', channelCount, channelMask: r.u32() };
    case 2:
      // channelCount is a UI8 and each id is backed by a body byte: no allocation beyond the input.
      return { order: 'custom', channelCount, speakers: Array.from(r.bytes(channelCount)) };
    default:
      throw new ProtocolError('flv-unknown-channel-order', `unknown AudioChannelOrder ${order}`);
  }
}

/** Encodes a MultichannelConfig body (inverse of {@link parseMultichannelConfig}). */
export function encodeMultichannelConfig(config: MultichannelConfig): Uint8Array {
  // Sized up front: the writer never needs to grow.
  const w = new ByteWriter(6 + (config.order === 'custom' ? config.speakers.length : 0));
  const count = config.channelCount;
  if (!Number.isInteger(count) || count < 0 || count > 0xff) {
    throw new ProtocolError('bad-argument', `channelCount ${count} is not a UI8`);
  }
  switch (config.order) {
    case 'unspecified':
      return w.u8(0).u8(count).finish();
    case 'native':
      return w.u8(1).u8(count).u32(config.channelMask).finish();
    case 'custom':
      if (config.speakers.length !== count) {
        throw new ProtocolError('bad-argument', `custom layout needs ${count} speaker ids, got ${config.speakers.length}`);
      }
      w.u8(2).u8(count);
      for (const s of config.speakers) w.u8(s);
      return w.finish();
    default: {
      const never: never = config;
      throw new ProtocolError('bad-argument', `unknown channel order ${String((never as { order: string }).order)}`);
    }
  }
}
