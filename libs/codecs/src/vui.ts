import type { BitReader } from '@headwater/bytes';
import type { ColourDescription } from './description.js';

/** Sample aspect ratio (pixel shape), width:height. */
export interface SampleAspectRatio {
  width: number;
  height: number;
}

/** The VUI fields H.264 (E.1.1) and H.265 (E.2.1) share, up to and including chroma_loc_info. */
export interface VuiPrefix {
  sampleAspectRatio?: SampleAspectRatio;
  colour?: ColourDescription;
}

/** aspect_ratio_idc 1..16 (H.264 Table E-1, H.265 Table E.1). */
const SAR_TABLE: readonly (readonly [number, number])[] = [
  [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];
const EXTENDED_SAR = 255;
/** H.273 "unspecified" for primaries, transfer and matrix when colour_description is absent. */
const UNSPECIFIED = 2;

/**
 * Reads aspect_ratio_info, overscan_info, video_signal_type and chroma_loc_info, which open the
 * VUI identically in H.264 and H.265. The colour is reported whenever video_signal_type is present
 * (the range is then known even if the code points are "unspecified").
 */
export function readVuiPrefix(br: BitReader): VuiPrefix {
  const out: VuiPrefix = {};
  if (br.flag()) {
    const idc = br.bits(8);
    if (idc === EXTENDED_SAR) {
      const width = br.bits(16);
      const height = br.bits(16);
      if (width > 0 && height > 0) out.sampleAspectRatio = { width, height };
    } else {
      const sar = SAR_TABLE[idc - 1];
      if (sar) out.sampleAspectRatio = { width: sar[0], height: sar[1] };
    }
  }
  if (br.flag()) br.skip(1); // overscan_appropriate_flag
  if (br.flag()) {
    br.skip(3); // video_format
    const fullRange = br.flag();
    let primaries = UNSPECIFIED;
    let transfer = UNSPECIFIED;
    let matrix = UNSPECIFIED;
    if (br.flag()) {
      primaries = br.bits(8);
      transfer = br.bits(8);
      matrix = br.bits(8);
    }
    out.colour = { primaries, transfer, matrix, fullRange };
  }
  if (br.flag()) {
    br.ue(); // chroma_sample_loc_type_top_field
    br.ue(); // chroma_sample_loc_type_bottom_field
  }
  return out;
}
