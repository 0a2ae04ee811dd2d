import { ByteReader, ProtocolError } from '@headwater/bytes';

/** The VP8 frame tag and, on key frames, the picture size (RFC 6386 §9.1). */
export interface Vp8FrameHeader {
  keyFrame: boolean;
  version: number;
  showFrame: boolean;
  firstPartitionSize: number;
  /** Key frames only: 14-bit sizes and their 2-bit upscaling modes. */
  width?: number;
  height?: number;
  horizontalScale?: number;
  verticalScale?: number;
}

const START_CODE = [0x9d, 0x01, 0x2a] as const;

/** Parses a VP8 frame tag (3 bytes, little-endian bit fields) and the key frame start code and size. */
export function parseVp8FrameHeader(frame: Uint8Array): Vp8FrameHeader {
  const r = new ByteReader(frame);
  const tag = r.u8() | (r.u8() << 8) | (r.u8() << 16);
  const header: Vp8FrameHeader = {
    keyFrame: (tag & 1) === 0,
    version: (tag >> 1) & 0x07,
    showFrame: ((tag >> 4) & 1) === 1,
    firstPartitionSize: tag >>> 5,
  };
  if (!header.keyFrame) return header;
  for (const b of START_CODE) {
    if (r.u8() !== b) throw new ProtocolError('bad-vp8-frame', 'key frame start code mismatch');
  }
  const w = r.u8() | (r.u8() << 8);
  const h = r.u8() | (r.u8() << 8);
  header.width = w & 0x3fff;
  header.horizontalScale = w >> 14;
  header.height = h & 0x3fff;
  header.verticalScale = h >> 14;
  if (header.width === 0 || header.height === 0) throw new ProtocolError('bad-vp8-frame', 'zero picture size');
  return header;
}
