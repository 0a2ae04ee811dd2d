import { chromaSubsampling } from './description.js';
import { BitReader, ProtocolError, checkLimit, unescapeRbsp } from '@headwater/bytes';
import type { ColourDescription } from './description.js';
import { MAX_PICTURE_SIDE_PX } from './h264-sps.js';
import { readVuiPrefix } from './vui.js';
import type { SampleAspectRatio } from './vui.js';

const NAL_TYPE_SPS = 33;
/** H.265 7.4.3.2.1: num_short_term_ref_pic_sets is 0..64. */
const MAX_SHORT_TERM_REF_PIC_SETS = 64;
/** H.265 7.4.3.2.1: num_long_term_ref_pics_sps is 0..32. */
const MAX_LONG_TERM_REF_PICS_SPS = 32;
/** H.265 A.4.2: MaxDpbSize is at most 16, which bounds every reference picture set. */
const MAX_DPB_SIZE = 16;

/** general profile/tier/level as coded in profile_tier_level() (H.265 7.3.3) and hvcC alike. */
export interface HevcProfileTierLevel {
  profileSpace: number;
  tierFlag: boolean;
  profileIdc: number;
  /** general_profile_compatibility_flag[0..31] as the big-endian 32-bit word (flag 0 is the MSB). */
  profileCompatibilityFlags: number;
  /** The 48 bits of general constraint indicator flags, as 6 bytes (progressive_source first). */
  constraintIndicatorFlags: Uint8Array;
  levelIdc: number;
}

/** The fields of an H.265 sequence parameter set (H.265 7.3.2.2.1) the ingest uses. */
export interface HevcSps {
  vpsId: number;
  maxSubLayersMinus1: number;
  temporalIdNesting: boolean;
  profileTierLevel: HevcProfileTierLevel;
  spsId: number;
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  /** pic_width/height_in_luma_samples. */
  codedWidth: number;
  codedHeight: number;
  /** Size after the conformance window, in pixels. */
  width: number;
  height: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  sampleAspectRatio?: SampleAspectRatio;
  colour?: ColourDescription;
  /** VUI timing info when present (E.2.1). */
  timing?: { numUnitsInTick: number; timeScale: number };
  /** time_scale / num_units_in_tick, halved when field_seq_flag says the ticks are fields. */
  frameRate?: number;
}

/** Parses an H.265 SPS NAL unit (with its 2-byte NAL header, emulation prevention bytes allowed). */
export function parseHevcSps(nal: Uint8Array): HevcSps {
  if (nal.length < 3) throw new ProtocolError('bad-hevc-sps', 'SPS shorter than 3 bytes');
  const nalType = (nal[0]! >> 1) & 0x3f;
  if (nalType !== NAL_TYPE_SPS) throw new ProtocolError('bad-hevc-sps', `NAL type ${nalType} is not an SPS`);
  const layerId = ((nal[0]! & 1) << 5) | (nal[1]! >> 3);
  if (layerId !== 0) throw new ProtocolError('bad-hevc-sps', `SPS of layer ${layerId} (only the base layer is read)`);
  const br = new BitReader(unescapeRbsp(nal.subarray(2)));

  const vpsId = br.bits(4);
  const maxSubLayersMinus1 = br.bits(3);
  if (maxSubLayersMinus1 > 6) throw new ProtocolError('bad-hevc-sps', 'sps_max_sub_layers_minus1 is 7');
  const temporalIdNesting = br.flag();
  const profileTierLevel = readProfileTierLevel(br, maxSubLayersMinus1);
  const spsId = br.ue();
  if (spsId > 15) throw new ProtocolError('bad-hevc-sps', `sps_seq_parameter_set_id ${spsId} out of range`);
  const chromaFormatIdc = br.ue();
  if (chromaFormatIdc > 3) throw new ProtocolError('bad-hevc-sps', `chroma_format_idc ${chromaFormatIdc}`);
  const separateColourPlane = chromaFormatIdc === 3 ? br.flag() : false;
  const codedWidth = br.ue();
  const codedHeight = br.ue();
  if (codedWidth === 0 || codedHeight === 0) throw new ProtocolError('bad-hevc-sps', 'zero picture size');
  checkLimit('HEVC coded width', codedWidth, MAX_PICTURE_SIDE_PX);
  checkLimit('HEVC coded height', codedHeight, MAX_PICTURE_SIDE_PX);

  let width = codedWidth;
  let height = codedHeight;
  if (br.flag()) {
    // conformance_window offsets are in chroma units: SubWidthC/SubHeightC of Table 6-1.
    const left = br.ue();
    const right = br.ue();
    const top = br.ue();
    const bottom = br.ue();
    const { subWidthC, subHeightC } = chromaSubsampling(chromaFormatIdc, separateColourPlane);
    width = codedWidth - subWidthC * (left + right);
    height = codedHeight - subHeightC * (top + bottom);
    if (width <= 0 || height <= 0) throw new ProtocolError('bad-hevc-sps', 'conformance window removes the whole picture');
  }
  const bitDepthLuma = br.ue() + 8;
  const bitDepthChroma = br.ue() + 8;
  if (bitDepthLuma > 16 || bitDepthChroma > 16) throw new ProtocolError('bad-hevc-sps', 'bit depth above 16');

  const sps: HevcSps = {
    vpsId,
    maxSubLayersMinus1,
    temporalIdNesting,
    profileTierLevel,
    spsId,
    chromaFormatIdc,
    separateColourPlane,
    codedWidth,
    codedHeight,
    width,
    height,
    bitDepthLuma,
    bitDepthChroma,
  };

  // Everything from here up to the VUI only has to be skipped exactly (7.3.2.2.1).
  const log2MaxPocLsb = br.ue() + 4;
  if (log2MaxPocLsb > 16) throw new ProtocolError('bad-hevc-sps', 'log2_max_pic_order_cnt_lsb above 16');
  const subLayerOrderingInfo = br.flag();
  for (let i = subLayerOrderingInfo ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    br.ue(); // sps_max_dec_pic_buffering_minus1
    br.ue(); // sps_max_num_reorder_pics
    br.ue(); // sps_max_latency_increase_plus1
  }
  br.ue(); // log2_min_luma_coding_block_size_minus3
  br.ue(); // log2_diff_max_min_luma_coding_block_size
  br.ue(); // log2_min_luma_transform_block_size_minus2
  br.ue(); // log2_diff_max_min_luma_transform_block_size
  br.ue(); // max_transform_hierarchy_depth_inter
  br.ue(); // max_transform_hierarchy_depth_intra
  if (br.flag() && br.flag()) skipScalingListData(br); // scaling_list_enabled, sps_scaling_list_data_present
  br.skip(2); // amp_enabled_flag, sample_adaptive_offset_enabled_flag
  if (br.flag()) {
    // pcm_enabled_flag
    br.skip(8); // pcm_sample_bit_depth_luma_minus1, pcm_sample_bit_depth_chroma_minus1
    br.ue(); // log2_min_pcm_luma_coding_block_size_minus3
    br.ue(); // log2_diff_max_min_pcm_luma_coding_block_size
    br.skip(1); // pcm_loop_filter_disabled_flag
  }
  const numStRps = br.ue();
  checkLimit('num_short_term_ref_pic_sets', numStRps, MAX_SHORT_TERM_REF_PIC_SETS);
  const sets: ShortTermRps[] = [];
  for (let i = 0; i < numStRps; i++) sets.push(readShortTermRps(br, i, sets));
  if (br.flag()) {
    // long_term_ref_pics_present_flag
    const numLt = br.ue();
    checkLimit('num_long_term_ref_pics_sps', numLt, MAX_LONG_TERM_REF_PICS_SPS);
    for (let i = 0; i < numLt; i++) br.skip(log2MaxPocLsb + 1); // lt_ref_pic_poc_lsb_sps, used_by_curr_pic_lt_sps_flag
  }
  br.skip(2); // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
  if (br.flag()) readVui(br, sps);
  return sps;
}

/** profile_tier_level(1, maxNumSubLayersMinus1) (7.3.3): the general part is kept, sub-layers skipped. */
export function readProfileTierLevel(br: BitReader, maxSubLayersMinus1: number): HevcProfileTierLevel {
  const profileSpace = br.bits(2);
  const tierFlag = br.flag();
  const profileIdc = br.bits(5);
  const profileCompatibilityFlags = br.bits(32);
  const constraintIndicatorFlags = new Uint8Array(6);
  for (let i = 0; i < 6; i++) constraintIndicatorFlags[i] = br.bits(8);
  const levelIdc = br.bits(8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(br.flag());
    levelPresent.push(br.flag());
  }
  if (maxSubLayersMinus1 > 0) br.skip(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits up to 8 entries
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) br.skip(88); // sub_layer profile space..constraint flags (2+1+5+32+48)
    if (levelPresent[i]) br.skip(8); // sub_layer_level_idc
  }
  return { profileSpace, tierFlag, profileIdc, profileCompatibilityFlags, constraintIndicatorFlags, levelIdc };
}

/** scaling_list_data() (7.3.4). */
function skipScalingListData(br: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!br.flag()) {
        br.ue(); // scaling_list_pred_matrix_id_delta
        continue;
      }
      const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
      if (sizeId > 1) br.se(); // scaling_list_dc_coef_minus8
      for (let i = 0; i < coefNum; i++) br.se(); // scaling_list_delta_coef
    }
  }
}

/** A decoded st_ref_pic_set: the POC deltas, which inter-RPS prediction of later sets needs. */
interface ShortTermRps {
  negative: number[]; // DeltaPocS0, closest first
  positive: number[]; // DeltaPocS1, closest first
}

/** st_ref_pic_set(stRpsIdx) (7.3.7) with the derivation of 7.4.8 for predicted sets. */
function readShortTermRps(br: BitReader, idx: number, sets: readonly ShortTermRps[]): ShortTermRps {
  if (idx > 0 && br.flag()) {
    // inter_ref_pic_set_prediction_flag; in an SPS the reference is always the previous set.
    const ref = sets[idx - 1]!;
    const sign = br.flag();
    const absDelta = br.ue() + 1;
    checkLimit('abs_delta_rps_minus1', absDelta, 1 << 15);
    const deltaRps = sign ? -absDelta : absDelta;
    const refCount = ref.negative.length + ref.positive.length;
    const useDelta: boolean[] = [];
    for (let j = 0; j <= refCount; j++) {
      const used = br.flag();
      useDelta.push(used ? true : br.flag());
    }
    const negative: number[] = [];
    const positive: number[] = [];
    // (7-61): S0 gathers the negative results, nearest first.
    for (let j = ref.positive.length - 1; j >= 0; j--) {
      const d = ref.positive[j]! + deltaRps;
      if (d < 0 && useDelta[ref.negative.length + j]) negative.push(d);
    }
    if (deltaRps < 0 && useDelta[refCount]) negative.push(deltaRps);
    for (let j = 0; j < ref.negative.length; j++) {
      const d = ref.negative[j]! + deltaRps;
      if (d < 0 && useDelta[j]) negative.push(d);
    }
    // (7-62): S1 gathers the positive ones.
    for (let j = ref.negative.length - 1; j >= 0; j--) {
      const d = ref.negative[j]! + deltaRps;
      if (d > 0 && useDelta[j]) positive.push(d);
    }
    if (deltaRps > 0 && useDelta[refCount]) positive.push(deltaRps);
    for (let j = 0; j < ref.positive.length; j++) {
      const d = ref.positive[j]! + deltaRps;
      if (d > 0 && useDelta[ref.negative.length + j]) positive.push(d);
    }
    checkLimit('reference picture set size', negative.length + positive.length, MAX_DPB_SIZE);
    return { negative, positive };
  }
  const numNegative = br.ue();
  const numPositive = br.ue();
  checkLimit('reference picture set size', numNegative + numPositive, MAX_DPB_SIZE);
  const negative: number[] = [];
  const positive: number[] = [];
  let poc = 0;
  for (let i = 0; i < numNegative; i++) {
    poc -= br.ue() + 1; // delta_poc_s0_minus1
    br.skip(1); // used_by_curr_pic_s0_flag
    negative.push(poc);
  }
  poc = 0;
  for (let i = 0; i < numPositive; i++) {
    poc += br.ue() + 1; // delta_poc_s1_minus1
    br.skip(1); // used_by_curr_pic_s1_flag
    positive.push(poc);
  }
  return { negative, positive };
}

/** vui_parameters() (E.2.1), read only as far as vui_timing_info. */
function readVui(br: BitReader, sps: HevcSps): void {
  const prefix = readVuiPrefix(br);
  if (prefix.sampleAspectRatio) sps.sampleAspectRatio = prefix.sampleAspectRatio;
  if (prefix.colour) sps.colour = prefix.colour;
  br.skip(1); // neutral_chroma_indication_flag
  const fieldSeq = br.flag();
  br.skip(1); // frame_field_info_present_flag
  if (br.flag()) {
    // default_display_window: a display hint that FFmpeg ignores by default; so do we.
    br.ue();
    br.ue();
    br.ue();
    br.ue();
  }
  if (br.flag()) {
    const numUnitsInTick = br.bits(32);
    const timeScale = br.bits(32);
    sps.timing = { numUnitsInTick, timeScale };
    if (numUnitsInTick > 0 && timeScale > 0) sps.frameRate = timeScale / numUnitsInTick / (fieldSeq ? 2 : 1);
  }
}

/** Profile names (H.265 Annex A); profile_idc 0 falls back to the first compatibility flag set. */
export function hevcProfileName(profileIdc: number, compatibilityFlags: number): string | number {
  let idc = profileIdc;
  if (idc === 0) {
    for (let j = 1; j < 32; j++) {
      if ((compatibilityFlags >>> (31 - j)) & 1) {
        idc = j;
        break;
      }
    }
  }
  switch (idc) {
    case 1:
      return 'Main';
    case 2:
      return 'Main 10';
    case 3:
      return 'Main Still Picture';
    case 4:
      return 'Range Extensions';
    case 5:
      return 'High Throughput';
    case 6:
      return 'Multiview Main';
    case 7:
      return 'Scalable Main';
    case 8:
      return '3D Main';
    case 9:
      return 'Screen Content Coding Extensions';
    case 10:
      return 'Scalable Range Extensions';
    case 11:
      return 'High Throughput Screen Content Coding Extensions';
    default:
      return profileIdc;
  }
}
