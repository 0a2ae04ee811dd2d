import { BitReader, ProtocolError, checkLimit } from '@headwater/bytes';
import type { ColourDescription } from './description.js';

/** OBU types (AV1 §6.2.2). */
export const OBU_TYPE = {
  SEQUENCE_HEADER: 1,
  TEMPORAL_DELIMITER: 2,
  FRAME_HEADER: 3,
  TILE_GROUP: 4,
  METADATA: 5,
  FRAME: 6,
  REDUNDANT_FRAME_HEADER: 7,
  TILE_LIST: 8,
  PADDING: 15,
} as const;

/** OBUs we walk in one buffer before giving up (a config or temporal unit holds a handful). */
export const MAX_OBUS_PER_BUFFER = 256;

/** One OBU located in a buffer (AV1 §5.3); `payload` is a view into the input. */
export interface Obu {
  type: number;
  temporalId: number;
  spatialId: number;
  payload: Uint8Array;
}

/** Splits a buffer of OBUs (low-overhead bitstream format, §5.2). An OBU without a size field runs to the end. */
export function splitObus(data: Uint8Array): Obu[] {
  const out: Obu[] = [];
  let offset = 0;
  while (offset < data.length) {
    checkLimit('OBUs in one buffer', out.length + 1, MAX_OBUS_PER_BUFFER);
    const br = new BitReader(data.subarray(offset));
    if (br.bit() !== 0) throw new ProtocolError('bad-obu', 'obu_forbidden_bit is set');
    const type = br.bits(4);
    const hasExtension = br.flag();
    const hasSize = br.flag();
    br.skip(1); // obu_reserved_1bit
    let temporalId = 0;
    let spatialId = 0;
    if (hasExtension) {
      temporalId = br.bits(3);
      spatialId = br.bits(2);
      br.skip(3);
    }
    const size = hasSize ? br.leb128() : data.length - offset - (hasExtension ? 2 : 1);
    const headerBytes = (data.length - offset) - br.bitsLeft / 8;
    const start = offset + headerBytes;
    if (size > data.length - start) throw new ProtocolError('truncated', `OBU of ${size} bytes overruns its buffer`);
    out.push({ type, temporalId, spatialId, payload: data.subarray(start, start + size) });
    offset = start + size;
  }
  return out;
}

/** The fields of an AV1 sequence_header_obu (AV1 §5.5) the ingest uses. */
export interface Av1SequenceHeader {
  seqProfile: number;
  stillPicture: boolean;
  reducedStillPictureHeader: boolean;
  /** seq_level_idx of operating point 0 (2.0 = 0 ... 7.3 = 23; 31 = unconstrained). */
  seqLevelIdx0: number;
  seqTier0: number;
  /** max_frame_width_minus_1 + 1. */
  maxFrameWidth: number;
  maxFrameHeight: number;
  /** timing_info() when present (§5.5.3). */
  timing?: { numUnitsInDisplayTick: number; timeScale: number; numTicksPerPicture?: number };
  /** time_scale / (num_units_in_display_tick * ticks per picture), only with equal_picture_interval. */
  frameRate?: number;
  bitDepth: number;
  monochrome: boolean;
  subsamplingX: boolean;
  subsamplingY: boolean;
  chromaSamplePosition: number;
  colourDescriptionPresent: boolean;
  colour: ColourDescription;
  filmGrainParamsPresent: boolean;
}

/** H.273 code points AV1 names in color_config (§6.4.2). */
const CP_BT_709 = 1;
const TC_SRGB = 13;
const MC_IDENTITY = 0;
const UNSPECIFIED = 2;
/** AV1 Annex A: seq_profile 0..2 are defined. */
const MAX_SEQ_PROFILE = 2;

/** Parses a sequence header OBU payload (the bytes after the OBU header and size). */
export function parseAv1SequenceHeader(payload: Uint8Array): Av1SequenceHeader {
  const br = new BitReader(payload);
  const seqProfile = br.bits(3);
  if (seqProfile > MAX_SEQ_PROFILE) throw new ProtocolError('bad-av1-sequence-header', `seq_profile ${seqProfile}`);
  const stillPicture = br.flag();
  const reducedStillPictureHeader = br.flag();
  let seqLevelIdx0 = 0;
  let seqTier0 = 0;
  let timing: Av1SequenceHeader['timing'];
  let frameRate: number | undefined;
  if (reducedStillPictureHeader) {
    seqLevelIdx0 = br.bits(5);
  } else {
    let decoderModelInfoPresent = false;
    let bufferDelayLength = 0;
    if (br.flag()) {
      // timing_info_present_flag
      const numUnitsInDisplayTick = br.bits(32);
      const timeScale = br.bits(32);
      timing = { numUnitsInDisplayTick, timeScale };
      if (br.flag()) {
        // equal_picture_interval
        const ticks = br.uvlc() + 1;
        timing.numTicksPerPicture = ticks;
        if (numUnitsInDisplayTick > 0 && timeScale > 0) frameRate = timeScale / (numUnitsInDisplayTick * ticks);
      }
      decoderModelInfoPresent = br.flag();
      if (decoderModelInfoPresent) {
        bufferDelayLength = br.bits(5) + 1;
        br.skip(32); // num_units_in_decoding_tick
        br.skip(10); // buffer_removal_time_length_minus_1, frame_presentation_time_length_minus_1
      }
    }
    const initialDisplayDelayPresent = br.flag();
    const operatingPoints = br.bits(5) + 1;
    for (let i = 0; i < operatingPoints; i++) {
      br.skip(12); // operating_point_idc
      const levelIdx = br.bits(5);
      const tier = levelIdx > 7 ? br.bit() : 0;
      if (i === 0) {
        seqLevelIdx0 = levelIdx;
        seqTier0 = tier;
      }
      if (decoderModelInfoPresent && br.flag()) br.skip(2 * bufferDelayLength + 1); // operating_parameters_info
      if (initialDisplayDelayPresent && br.flag()) br.skip(4); // initial_display_delay_minus_1
    }
  }
  const widthBits = br.bits(4) + 1;
  const heightBits = br.bits(4) + 1;
  const maxFrameWidth = br.bits(widthBits) + 1;
  const maxFrameHeight = br.bits(heightBits) + 1;
  if (!reducedStillPictureHeader && br.flag()) br.skip(7); // frame_id_numbers_present: delta + additional lengths
  br.skip(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  if (!reducedStillPictureHeader) {
    br.skip(4); // interintra_compound, masked_compound, warped_motion, dual_filter
    const enableOrderHint = br.flag();
    if (enableOrderHint) br.skip(2); // enable_jnt_comp, enable_ref_frame_mvs
    const chooseScreenContentTools = br.flag();
    const forceScreenContentTools = chooseScreenContentTools ? 2 : br.bit();
    if (forceScreenContentTools > 0 && !br.flag()) br.skip(1); // seq_choose_integer_mv, else seq_force_integer_mv
    if (enableOrderHint) br.skip(3); // order_hint_bits_minus_1
  }
  br.skip(3); // enable_superres, enable_cdef, enable_restoration
  const colourConfig = readColorConfig(br, seqProfile);
  const filmGrainParamsPresent = br.flag();
  const header: Av1SequenceHeader = {
    seqProfile,
    stillPicture,
    reducedStillPictureHeader,
    seqLevelIdx0,
    seqTier0,
    maxFrameWidth,
    maxFrameHeight,
    ...colourConfig,
    filmGrainParamsPresent,
  };
  if (timing) header.timing = timing;
  if (frameRate !== undefined) header.frameRate = frameRate;
  return header;
}

type ColourConfig = Pick<
  Av1SequenceHeader,
  'bitDepth' | 'monochrome' | 'subsamplingX' | 'subsamplingY' | 'chromaSamplePosition' | 'colourDescriptionPresent' | 'colour'
>;

/** color_config() (§5.5.2). */
function readColorConfig(br: BitReader, seqProfile: number): ColourConfig {
  const highBitdepth = br.flag();
  let bitDepth = highBitdepth ? 10 : 8;
  if (seqProfile === 2 && highBitdepth) bitDepth = br.flag() ? 12 : 10;
  const monochrome = seqProfile === 1 ? false : br.flag();
  const colourDescriptionPresent = br.flag();
  let primaries = UNSPECIFIED;
  let transfer = UNSPECIFIED;
  let matrix = UNSPECIFIED;
  if (colourDescriptionPresent) {
    primaries = br.bits(8);
    transfer = br.bits(8);
    matrix = br.bits(8);
  }
  const base = { bitDepth, monochrome, colourDescriptionPresent };
  if (monochrome) {
    const fullRange = br.flag();
    return { ...base, subsamplingX: true, subsamplingY: true, chromaSamplePosition: 0, colour: { primaries, transfer, matrix, fullRange } };
  }
  if (primaries === CP_BT_709 && transfer === TC_SRGB && matrix === MC_IDENTITY) {
    br.skip(1); // separate_uv_delta_q
    return { ...base, subsamplingX: false, subsamplingY: false, chromaSamplePosition: 0, colour: { primaries, transfer, matrix, fullRange: true } };
  }
  const fullRange = br.flag();
  let subsamplingX = true;
  let subsamplingY = true;
  if (seqProfile === 1) {
    subsamplingX = false;
    subsamplingY = false;
  } else if (seqProfile === 2) {
    if (bitDepth === 12) {
      subsamplingX = br.flag();
      subsamplingY = subsamplingX ? br.flag() : false;
    } else {
      subsamplingY = false;
    }
  }
  const chromaSamplePosition = subsamplingX && subsamplingY ? br.bits(2) : 0;
  br.skip(1); // separate_uv_delta_q
  return { ...base, subsamplingX, subsamplingY, chromaSamplePosition, colour: { primaries, transfer, matrix, fullRange } };
}

/** AV1 profile names (Annex A.2). */
export function av1ProfileName(seqProfile: number): string | number {
  switch (seqProfile) {
    case 0:
      return 'Main';
    case 1:
      return 'High';
    case 2:
      return 'Professional';
    default:
      return seqProfile;
  }
}

/** seq_level_idx -> level number (Annex A.3: X.Y = 2 + (idx >> 2) . (idx & 3)); 31 has no level. */
export function av1Level(seqLevelIdx: number): number | undefined {
  if (seqLevelIdx >= 24) return undefined;
  return 2 + (seqLevelIdx >> 2) + (seqLevelIdx & 3) / 10;
}
