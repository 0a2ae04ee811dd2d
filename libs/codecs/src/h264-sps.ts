import { chromaSubsampling } from './description.js';
import { BitReader, ProtocolError, checkLimit, unescapeRbsp } from '@headwater/bytes';
import type { ColourDescription } from './description.js';
import { readVuiPrefix } from './vui.js';
import type { SampleAspectRatio } from './vui.js';

/** Largest picture side we accept, in pixels (H.264 level 6.2 tops out near 8K; 16K leaves room). */
export const MAX_PICTURE_SIDE_PX = 16384;
/** H.264 7.4.2.1.1: num_ref_frames_in_pic_order_cnt_cycle is 0..255. */
const MAX_REF_FRAMES_IN_POC_CYCLE = 255;
const NAL_TYPE_SPS = 7;

/** The fields of an H.264 sequence parameter set (H.264 7.3.2.1.1) the ingest uses. */
export interface H264Sps {
  profileIdc: number;
  /** constraint_set0..5 flags and the 2 reserved bits, as the byte written in codec strings. */
  constraintFlags: number;
  levelIdc: number;
  spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4 (1 unless a high profile says otherwise). */
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  bitDepthLuma: number;
  bitDepthChroma: number;
  frameMbsOnly: boolean;
  /** Decoded picture size before cropping, in pixels. */
  codedWidth: number;
  codedHeight: number;
  /** Display size after frame cropping, in pixels. */
  width: number;
  height: number;
  sampleAspectRatio?: SampleAspectRatio;
  colour?: ColourDescription;
  /** VUI timing_info when present (E.1.1). */
  timing?: { numUnitsInTick: number; timeScale: number; fixedFrameRate: boolean };
  /** time_scale / (2 * num_units_in_tick): a frame is two field ticks (E.2.1). */
  frameRate?: number;
}

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices (7.3.2.1.1). */
const HIGH_PROFILES: ReadonlySet<number> = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Parses an H.264 SPS NAL unit (with its 1-byte NAL header, emulation prevention bytes allowed). */
export function parseH264Sps(nal: Uint8Array): H264Sps {
  if (nal.length < 4) throw new ProtocolError('bad-h264-sps', 'SPS shorter than 4 bytes');
  const nalType = nal[0]! & 0x1f;
  if (nalType !== NAL_TYPE_SPS) throw new ProtocolError('bad-h264-sps', `NAL type ${nalType} is not an SPS`);
  const br = new BitReader(unescapeRbsp(nal.subarray(1)));
  const profileIdc = br.bits(8);
  const constraintFlags = br.bits(8);
  const levelIdc = br.bits(8);
  const spsId = br.ue();
  if (spsId > 31) throw new ProtocolError('bad-h264-sps', `seq_parameter_set_id ${spsId} out of range`);

  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = br.ue();
    if (chromaFormatIdc > 3) throw new ProtocolError('bad-h264-sps', `chroma_format_idc ${chromaFormatIdc}`);
    if (chromaFormatIdc === 3) separateColourPlane = br.flag();
    bitDepthLuma = br.ue() + 8;
    bitDepthChroma = br.ue() + 8;
    if (bitDepthLuma > 14 || bitDepthChroma > 14) throw new ProtocolError('bad-h264-sps', 'bit depth above 14');
    br.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (br.flag()) {
      // seq_scaling_matrix_present_flag: 6 4x4 lists, then 2 (or 6 for 4:4:4) 8x8 lists.
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) {
        if (br.flag()) skipScalingList(br, i < 6 ? 16 : 64);
      }
    }
  }

  br.ue(); // log2_max_frame_num_minus4
  const pocType = br.ue();
  if (pocType === 0) {
    br.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    br.skip(1); // delta_pic_order_always_zero_flag
    br.se(); // offset_for_non_ref_pic
    br.se(); // offset_for_top_to_bottom_field
    const cycle = br.ue();
    checkLimit('num_ref_frames_in_pic_order_cnt_cycle', cycle, MAX_REF_FRAMES_IN_POC_CYCLE);
    for (let i = 0; i < cycle; i++) br.se();
  } else if (pocType !== 2) {
    throw new ProtocolError('bad-h264-sps', `pic_order_cnt_type ${pocType}`);
  }
  br.ue(); // max_num_ref_frames
  br.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = br.ue() + 1;
  const heightMapUnits = br.ue() + 1;
  const frameMbsOnly = br.flag();
  if (!frameMbsOnly) br.skip(1); // mb_adaptive_frame_field_flag
  br.skip(1); // direct_8x8_inference_flag

  const codedWidth = widthMbs * 16;
  const codedHeight = (frameMbsOnly ? 1 : 2) * heightMapUnits * 16;
  checkLimit('H.264 coded width', codedWidth, MAX_PICTURE_SIDE_PX);
  checkLimit('H.264 coded height', codedHeight, MAX_PICTURE_SIDE_PX);

  let width = codedWidth;
  let height = codedHeight;
  if (br.flag()) {
    // frame_cropping_flag: offsets are in chroma sample units (7.4.2.1.1, CropUnitX/CropUnitY).
    const left = br.ue();
    const right = br.ue();
    const top = br.ue();
    const bottom = br.ue();
    const { subWidthC, subHeightC } = chromaSubsampling(chromaFormatIdc, separateColourPlane);
    const cropUnitX = subWidthC;
    const cropUnitY = subHeightC * (frameMbsOnly ? 1 : 2);
    width = codedWidth - cropUnitX * (left + right);
    height = codedHeight - cropUnitY * (top + bottom);
    if (width <= 0 || height <= 0) throw new ProtocolError('bad-h264-sps', 'frame cropping removes the whole picture');
  }

  const sps: H264Sps = {
    profileIdc,
    constraintFlags,
    levelIdc,
    spsId,
    chromaFormatIdc,
    separateColourPlane,
    bitDepthLuma,
    bitDepthChroma,
    frameMbsOnly,
    codedWidth,
    codedHeight,
    width,
    height,
  };
  if (br.flag()) readVui(br, sps);
  return sps;
}

/** H.264 E.1.1, read only as far as timing_info: nothing after it matters to the description. */
function readVui(br: BitReader, sps: H264Sps): void {
  const prefix = readVuiPrefix(br);
  if (prefix.sampleAspectRatio) sps.sampleAspectRatio = prefix.sampleAspectRatio;
  if (prefix.colour) sps.colour = prefix.colour;
  if (br.flag()) {
    const numUnitsInTick = br.bits(32);
    const timeScale = br.bits(32);
    const fixedFrameRate = br.flag();
    sps.timing = { numUnitsInTick, timeScale, fixedFrameRate };
    if (numUnitsInTick > 0 && timeScale > 0) sps.frameRate = timeScale / (2 * numUnitsInTick);
  }
}

/** scaling_list() (7.3.2.1.1.1): only the delta_scale values are coded; skip them exactly. */
function skipScalingList(br: BitReader, size: number): void {
  let lastScale = 8;
  let nextScale = 8;
  for (let j = 0; j < size; j++) {
    if (nextScale !== 0) {
      const delta = br.se();
      nextScale = (((lastScale + delta) % 256) + 256) % 256;
    }
    lastScale = nextScale === 0 ? lastScale : nextScale;
  }
}

/** Profile names (H.264 Annex A), with constraint_set flags that narrow Baseline and High. */
export function h264ProfileName(profileIdc: number, constraintFlags: number): string | number {
  const set1 = (constraintFlags & 0x40) !== 0;
  const set3 = (constraintFlags & 0x10) !== 0;
  switch (profileIdc) {
    case 66:
      return set1 ? 'Constrained Baseline' : 'Baseline';
    case 77:
      return 'Main';
    case 88:
      return 'Extended';
    case 100:
      return 'High';
    case 110:
      return set3 ? 'High 10 Intra' : 'High 10';
    case 122:
      return set3 ? 'High 4:2:2 Intra' : 'High 4:2:2';
    case 244:
      return set3 ? 'High 4:4:4 Intra' : 'High 4:4:4 Predictive';
    case 44:
      return 'CAVLC 4:4:4 Intra';
    case 83:
      return 'Scalable Baseline';
    case 86:
      return 'Scalable High';
    case 118:
      return 'Multiview High';
    case 128:
      return 'Stereo High';
    default:
      return profileIdc;
  }
}
