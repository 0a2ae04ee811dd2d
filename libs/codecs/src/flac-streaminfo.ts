import { BitReader, ProtocolError } from '@headwater/bytes';

/** FLAC STREAMINFO metadata block (RFC 9639 §8.2). */
export interface FlacStreamInfo {
  minBlockSize: number;
  maxBlockSize: number;
  minFrameSize: number;
  maxFrameSize: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Total interchannel samples in the stream; 0 = unknown (always so for live encoders). */
  totalSamples: number;
  /** MD5 of the unencoded audio, a view into the input. */
  md5: Uint8Array;
}

export const STREAMINFO_BYTES = 34;
const BLOCK_HEADER_BYTES = 4;
const MARKER = [0x66, 0x4c, 0x61, 0x43] as const; // 'fLaC'
const BLOCK_TYPE_STREAMINFO = 0;

/**
 * Parses STREAMINFO in any of the forms seen in FLV: `fLaC` + metadata block header + block (the
 * E-RTMP spec), a block header + block, or the raw 34-byte block (FFmpeg's extradata, §8.1).
 */
export function parseFlacStreamInfo(data: Uint8Array): FlacStreamInfo {
  let offset = 0;
  if (MARKER.every((b, i) => data[i] === b)) offset = 4;
  // A metadata block header is `[last:1|type:7] 00 00 22`. Raw STREAMINFO starting `xx 00 00` would have a
  // minimum block size that is a multiple of 256 above a maximum below 256: never a real stream.
  const first = data[offset];
  if (first !== undefined && data[offset + 1] === 0 && data[offset + 2] === 0) {
    if ((first & 0x7f) !== BLOCK_TYPE_STREAMINFO) {
      throw new ProtocolError('bad-flac-streaminfo', `first metadata block has type ${first & 0x7f}, not STREAMINFO`);
    }
    const length = data[offset + 3];
    if (length !== undefined && length < STREAMINFO_BYTES) {
      throw new ProtocolError('bad-flac-streaminfo', `STREAMINFO block of ${length} bytes`);
    }
    offset += BLOCK_HEADER_BYTES;
  } else if (offset === 4) {
    throw new ProtocolError('bad-flac-streaminfo', "'fLaC' is not followed by a metadata block header");
  }
  if (data.length - offset < STREAMINFO_BYTES) {
    throw new ProtocolError('truncated', `STREAMINFO needs ${STREAMINFO_BYTES} bytes, got ${Math.max(0, data.length - offset)}`);
  }
  const block = data.subarray(offset, offset + STREAMINFO_BYTES);
  const br = new BitReader(block);
  const minBlockSize = br.bits(16);
  const maxBlockSize = br.bits(16);
  const minFrameSize = br.bits(24);
  const maxFrameSize = br.bits(24);
  const sampleRate = br.bits(20);
  const channels = br.bits(3) + 1;
  const bitsPerSample = br.bits(5) + 1;
  const totalSamples = br.bits(4) * 2 ** 32 + br.bits(32);
  if (sampleRate === 0) throw new ProtocolError('bad-flac-streaminfo', 'sample rate 0');
  // RFC 9639 §8.2: block sizes are 16..65535; FFmpeg checks only the maximum, and so do we.
  if (maxBlockSize < 16) throw new ProtocolError('bad-flac-streaminfo', `maximum block size ${maxBlockSize}`);
  return {
    minBlockSize,
    maxBlockSize,
    minFrameSize,
    maxFrameSize,
    sampleRate,
    channels,
    bitsPerSample,
    totalSamples,
    md5: block.subarray(18, 34),
  };
}
