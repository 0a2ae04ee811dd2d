/** The 9-byte FLV file header (FLV 10.1 Annex E.2) and PreviousTagSize0. */
import { ByteReader, ByteWriter, ProtocolError } from '@headwater/bytes';

/** Size of the version-1 header; DataOffset points past it. */
export const FLV_HEADER_BYTES = 9;
/** TypeFlags bit for audio tags present. */
export const FLV_FLAG_AUDIO = 0x04;
/** TypeFlags bit for video tags present. */
export const FLV_FLAG_VIDEO = 0x01;

/** Which media a file announces. */
export interface FlvHeaderFlags {
  audio: boolean;
  video: boolean;
}

/** A parsed FLV header. */
export interface FlvHeader extends FlvHeaderFlags {
  version: number;
  /** DataOffset: bytes from the start of the file to PreviousTagSize0 (9 for version 1). */
  dataOffset: number;
}

/**
 * Parses the first 9 bytes of a file: `FLV`, version 1, TypeFlags, DataOffset UI32 (≥ 9).
 * Reserved flag bits are ignored.
 */
export function parseFlvHeader(bytes: Uint8Array): FlvHeader {
  const r = new ByteReader(bytes);
  if (r.u8() !== 0x46 || r.u8() !== 0x4c || r.u8() !== 0x56) throw new ProtocolError('flv-bad-signature', 'not an FLV file');
  const version = r.u8();
  if (version !== 1) throw new ProtocolError('flv-bad-version', `unsupported FLV version ${version}`);
  const flags = r.u8();
  const dataOffset = r.u32();
  if (dataOffset < FLV_HEADER_BYTES) throw new ProtocolError('flv-bad-header', `DataOffset ${dataOffset} is inside the header`);
  return { version, audio: (flags & FLV_FLAG_AUDIO) !== 0, video: (flags & FLV_FLAG_VIDEO) !== 0, dataOffset };
}

/** Builds a version-1 header (9 bytes, DataOffset 9), without PreviousTagSize0. */
export function buildFlvHeader(flags: FlvHeaderFlags): Uint8Array {
  return new ByteWriter(FLV_HEADER_BYTES)
    .u8(0x46)
    .u8(0x4c)
    .u8(0x56)
    .u8(1)
    .u8((flags.audio ? FLV_FLAG_AUDIO : 0) | (flags.video ? FLV_FLAG_VIDEO : 0))
    .u32(FLV_HEADER_BYTES)
    .finish();
}
