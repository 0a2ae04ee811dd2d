import { ByteReader, ProtocolError } from '@headwater/bytes';

/** Parameter sets per list we accept (the field is 5 bits for SPS but 8 for PPS; real streams carry 1-2). */
export const MAX_AVC_PARAMETER_SETS = 32;

/** AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1). NAL units are views into the input. */
export interface AvcDecoderConfigurationRecord {
  configurationVersion: number;
  profileIndication: number;
  profileCompatibility: number;
  levelIndication: number;
  /** NALU length prefix size minus one (0, 1 or 3 per the spec; 2 is passed through) for walking the coded frames. */
  lengthSizeMinusOne: number;
  sps: Uint8Array[];
  pps: Uint8Array[];
  /** The high-profile extension (chroma_format, bit depths, SPS extensions), when present. */
  highProfile?: {
    chromaFormat: number;
    bitDepthLuma: number;
    bitDepthChroma: number;
    spsExt: Uint8Array[];
  };
}

/** Profiles whose avcC may end with the chroma/bit-depth extension (14496-15 §5.3.3.1.2). */
const EXTENSION_PROFILES: ReadonlySet<number> = new Set([100, 110, 122, 144]);

/** Parses an avcC body (FLV `17 00 cts` sequence header payload, or E-RTMP `avc1` SequenceStart). */
export function parseAvcc(data: Uint8Array): AvcDecoderConfigurationRecord {
  const r = new ByteReader(data);
  const configurationVersion = r.u8();
  if (configurationVersion !== 1) {
    throw new ProtocolError('bad-avcc', `configurationVersion ${configurationVersion}, expected 1`);
  }
  const profileIndication = r.u8();
  const profileCompatibility = r.u8();
  const levelIndication = r.u8();
  const lengthSizeMinusOne = r.u8() & 0x03;
  const sps = readNalList(r, r.u8() & 0x1f);
  const pps = readNalList(r, r.u8());
  const record: AvcDecoderConfigurationRecord = {
    configurationVersion,
    profileIndication,
    profileCompatibility,
    levelIndication,
    lengthSizeMinusOne,
    sps,
    pps,
  };
  // Many writers (old FFmpeg, some hardware encoders) omit the extension: read it only when it is there.
  if (EXTENSION_PROFILES.has(profileIndication) && r.remaining >= 4) {
    const chromaFormat = r.u8() & 0x03;
    const bitDepthLuma = (r.u8() & 0x07) + 8;
    const bitDepthChroma = (r.u8() & 0x07) + 8;
    const spsExt = readNalList(r, r.u8());
    record.highProfile = { chromaFormat, bitDepthLuma, bitDepthChroma, spsExt };
  }
  return record;
}

function readNalList(r: ByteReader, count: number): Uint8Array[] {
  if (count > MAX_AVC_PARAMETER_SETS) {
    throw new ProtocolError('limit-exceeded', `${count} parameter sets exceed the limit ${MAX_AVC_PARAMETER_SETS}`);
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(r.bytes(r.u16()));
  return out;
}
