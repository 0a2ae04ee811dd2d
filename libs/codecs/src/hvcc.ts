import { ByteReader, ProtocolError } from '@headwater/bytes';
import type { HevcProfileTierLevel } from './hevc-sps.js';

/** NAL unit arrays per hvcC we accept (real records carry VPS, SPS, PPS and perhaps SEI: 3-5). */
export const MAX_HVCC_ARRAYS = 32;
/** NAL units per array we accept. */
export const MAX_HVCC_NALUS_PER_ARRAY = 64;

/** H.265 NAL unit types found in hvcC arrays (Table 7-1). */
export const HEVC_NAL_TYPE = { VPS: 32, SPS: 33, PPS: 34, PREFIX_SEI: 39, SUFFIX_SEI: 40 } as const;

/** One hvcC array: NAL units of one type. NAL units are views into the input. */
export interface HvccArray {
  arrayCompleteness: boolean;
  nalUnitType: number;
  nalUnits: Uint8Array[];
}

/** HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1). */
export interface HevcDecoderConfigurationRecord extends HevcProfileTierLevel {
  configurationVersion: number;
  minSpatialSegmentationIdc: number;
  parallelismType: number;
  /** chroma_format_idc: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormat: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** Frames per 256 seconds; 0 = unspecified. */
  avgFrameRate: number;
  constantFrameRate: number;
  numTemporalLayers: number;
  temporalIdNested: boolean;
  /** NALU length prefix size minus one (0, 1 or 3) for walking the coded frames. */
  lengthSizeMinusOne: number;
  arrays: HvccArray[];
}

/** Parses an hvcC body (E-RTMP `hvc1` SequenceStart payload). */
export function parseHvcc(data: Uint8Array): HevcDecoderConfigurationRecord {
  const r = new ByteReader(data);
  const configurationVersion = r.u8();
  // Version 0 was written by some early muxers (per FFmpeg's hevc decoder); the layout is the same.
  if (configurationVersion > 1) {
    throw new ProtocolError('bad-hvcc', `configurationVersion ${configurationVersion}, expected 1`);
  }
  const b1 = r.u8();
  const profileCompatibilityFlags = r.u32();
  const constraintIndicatorFlags = r.bytes(6).slice();
  const levelIdc = r.u8();
  const minSpatialSegmentationIdc = r.u16() & 0x0fff;
  const parallelismType = r.u8() & 0x03;
  const chromaFormat = r.u8() & 0x03;
  const bitDepthLuma = (r.u8() & 0x07) + 8;
  const bitDepthChroma = (r.u8() & 0x07) + 8;
  const avgFrameRate = r.u16();
  const b21 = r.u8();
  const numArrays = r.u8();
  if (numArrays > MAX_HVCC_ARRAYS) {
    throw new ProtocolError('limit-exceeded', `${numArrays} hvcC arrays exceed the limit ${MAX_HVCC_ARRAYS}`);
  }
  const arrays: HvccArray[] = [];
  for (let i = 0; i < numArrays; i++) {
    const b = r.u8();
    const numNalus = r.u16();
    if (numNalus > MAX_HVCC_NALUS_PER_ARRAY) {
      throw new ProtocolError('limit-exceeded', `${numNalus} NAL units in an hvcC array exceed the limit ${MAX_HVCC_NALUS_PER_ARRAY}`);
    }
    const nalUnits: Uint8Array[] = [];
    for (let j = 0; j < numNalus; j++) nalUnits.push(r.bytes(r.u16()));
    arrays.push({ arrayCompleteness: (b & 0x80) !== 0, nalUnitType: b & 0x3f, nalUnits });
  }
  return {
    configurationVersion,
    profileSpace: b1 >> 6,
    tierFlag: (b1 & 0x20) !== 0,
    profileIdc: b1 & 0x1f,
    profileCompatibilityFlags,
    constraintIndicatorFlags,
    levelIdc,
    minSpatialSegmentationIdc,
    parallelismType,
    chromaFormat,
    bitDepthLuma,
    bitDepthChroma,
    avgFrameRate,
    constantFrameRate: b21 >> 6,
    numTemporalLayers: (b21 >> 3) & 0x07,
    temporalIdNested: (b21 & 0x04) !== 0,
    lengthSizeMinusOne: b21 & 0x03,
    arrays,
  };
}

/** The NAL units of one type across all arrays, in record order. */
export function hvccNalUnits(record: HevcDecoderConfigurationRecord, nalUnitType: number): Uint8Array[] {
  return record.arrays.filter((a) => a.nalUnitType === nalUnitType).flatMap((a) => a.nalUnits);
}
