import { ByteReader, ProtocolError } from '@headwater/bytes';

/** Which layout a vpcC came in (see parseVpcc). */
export type VpccForm = 'mp4' | 'flv';

/** VPCodecConfigurationRecord (VP Codec ISO Media File Format Binding §2.2, version 1). */
export interface VpCodecConfigurationRecord {
  form: VpccForm;
  profile: number;
  /** level as coded: 10 * the VP9 level (10 = 1.0, 31 = 3.1); 0 if unknown. */
  level: number;
  bitDepth: number;
  /** 0 4:2:0 vertical, 1 4:2:0 colocated, 2 4:2:2, 3 4:4:4. */
  chromaSubsampling: number;
  videoFullRangeFlag: boolean;
  colourPrimaries: number;
  transferCharacteristics: number;
  matrixCoefficients: number;
  /** codecInitializationData (empty for VP8/VP9), a view into the input. */
  codecInitializationData: Uint8Array;
}

const MP4_VERSION = 1;
const MP4_FORM_MIN_BYTES = 12;
const FLV_FORM_MIN_BYTES = 8;

/**
 * Parses a vpcC body in either layout. MP4 writes a FullBox: version 1 and 24-bit flags 0 before
 * the 8 bytes of fields; FFmpeg's FLV muxer writes the fields alone (rtmp-reference §7). The two
 * cannot be confused: a prefixed record starts `01 00 00 00`, which read unprefixed would be
 * profile 1, level 0 and bit depth 0, and bit depth 0 is impossible.
 */
export function parseVpcc(data: Uint8Array): VpCodecConfigurationRecord {
  const prefixed =
    data.length >= MP4_FORM_MIN_BYTES && data[0] === MP4_VERSION && data[1] === 0 && data[2] === 0 && data[3] === 0;
  if (!prefixed && data.length < FLV_FORM_MIN_BYTES) {
    throw new ProtocolError('truncated', `vpcC of ${data.length} bytes is shorter than ${FLV_FORM_MIN_BYTES}`);
  }
  const r = new ByteReader(data);
  if (prefixed) r.skip(4);
  const profile = r.u8();
  const level = r.u8();
  const b = r.u8();
  const bitDepth = b >> 4;
  if (bitDepth !== 8 && bitDepth !== 10 && bitDepth !== 12) {
    throw new ProtocolError('bad-vpcc', `bit depth ${bitDepth}`);
  }
  if (profile > 3) throw new ProtocolError('bad-vpcc', `profile ${profile}`);
  const colourPrimaries = r.u8();
  const transferCharacteristics = r.u8();
  const matrixCoefficients = r.u8();
  const initSize = r.u16();
  const codecInitializationData = r.bytes(initSize);
  return {
    form: prefixed ? 'mp4' : 'flv',
    profile,
    level,
    bitDepth,
    chromaSubsampling: (b >> 1) & 0x07,
    videoFullRangeFlag: (b & 1) !== 0,
    colourPrimaries,
    transferCharacteristics,
    matrixCoefficients,
    codecInitializationData,
  };
}
