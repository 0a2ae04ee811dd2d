import { BitWriter, concat, escapeRbsp } from './bit-writer.js';
import type { ColourDescription } from '../description.js';

export interface VuiSpec {
  sarIdc?: number;
  sar?: [number, number];
  /** Writes video_signal_type; colour description only when primaries etc. are given. */
  signal?: { fullRange: boolean; colour?: Omit<ColourDescription, 'fullRange'> };
  chromaLoc?: boolean;
  /** H.265 only: field_seq_flag and default display window. */
  fieldSeq?: boolean;
  defaultDisplayWindow?: boolean;
  timing?: { numUnitsInTick: number; timeScale: number };
}

function writeVuiPrefix(w: BitWriter, v: VuiSpec): void {
  if (v.sar) w.flag(true).bits(8, 255).bits(16, v.sar[0]).bits(16, v.sar[1]);
  else if (v.sarIdc !== undefined) w.flag(true).bits(8, v.sarIdc);
  else w.flag(false);
  w.flag(true).flag(false); // overscan_info_present, overscan_appropriate
  if (v.signal) {
    w.flag(true).bits(3, 5).flag(v.signal.fullRange);
    const c = v.signal.colour;
    if (c) w.flag(true).bits(8, c.primaries).bits(8, c.transfer).bits(8, c.matrix);
    else w.flag(false);
  } else {
    w.flag(false);
  }
  if (v.chromaLoc) w.flag(true).ue(1).ue(1);
  else w.flag(false);
}

export interface H264SpsSpec {
  profileIdc: number;
  constraintFlags?: number;
  levelIdc: number;
  spsId?: number;
  chromaFormatIdc?: number;
  separateColourPlane?: boolean;
  bitDepthLuma?: number;
  bitDepthChroma?: number;
  scalingLists?: boolean;
  pocType?: 0 | 1 | 2;
  pocCycle?: number[];
  widthMbs: number;
  heightMapUnits: number;
  frameMbsOnly?: boolean;
  crop?: [number, number, number, number];
  vui?: VuiSpec;
}

const HIGH = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** An H.264 SPS NAL unit (header 0x67, escaped RBSP). */
export function buildH264Sps(s: H264SpsSpec): Uint8Array {
  const w = new BitWriter();
  w.bits(8, s.profileIdc).bits(8, s.constraintFlags ?? 0).bits(8, s.levelIdc).ue(s.spsId ?? 0);
  if (HIGH.has(s.profileIdc)) {
    const cf = s.chromaFormatIdc ?? 1;
    w.ue(cf);
    if (cf === 3) w.flag(s.separateColourPlane ?? false);
    w.ue((s.bitDepthLuma ?? 8) - 8).ue((s.bitDepthChroma ?? 8) - 8).flag(false);
    if (s.scalingLists) {
      w.flag(true);
      const lists = cf !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) {
        const present = i % 2 === 0;
        w.flag(present);
        if (!present) continue;
        const size = i < 6 ? 16 : 64;
        // A list of varied deltas, ending with a delta that makes nextScale 0 (the "use previous" escape).
        let last = 8;
        for (let j = 0; j < size; j++) {
          const target = j === size - 1 ? 0 : 4 + ((j * 7 + i) % 60);
          let delta = target - last;
          if (delta > 127) delta -= 256;
          if (delta < -128) delta += 256;
          w.se(delta);
          if (target === 0) break;
          last = target;
        }
      }
    } else {
      w.flag(false);
    }
  }
  w.ue(0); // log2_max_frame_num_minus4
  const poc = s.pocType ?? 0;
  w.ue(poc);
  if (poc === 0) w.ue(2);
  else if (poc === 1) {
    w.flag(false).se(-1).se(2).ue(s.pocCycle?.length ?? 0);
    for (const o of s.pocCycle ?? []) w.se(o);
  }
  w.ue(4).flag(false).ue(s.widthMbs - 1).ue(s.heightMapUnits - 1);
  const fmo = s.frameMbsOnly ?? true;
  w.flag(fmo);
  if (!fmo) w.flag(true);
  w.flag(true); // direct_8x8_inference
  if (s.crop) w.flag(true).ue(s.crop[0]).ue(s.crop[1]).ue(s.crop[2]).ue(s.crop[3]);
  else w.flag(false);
  if (s.vui) {
    w.flag(true);
    writeVuiPrefix(w, s.vui);
    if (s.vui.timing) w.flag(true).bits(32, s.vui.timing.numUnitsInTick).bits(32, s.vui.timing.timeScale).flag(true);
    else w.flag(false);
    w.flag(false).flag(false).flag(false).flag(false); // nal_hrd, vcl_hrd, pic_struct, bitstream_restriction
  } else {
    w.flag(false);
  }
  return concat([0x67], escapeRbsp(w.trailing().finish()));
}

export interface AvccSpec {
  profile: number;
  compat: number;
  level: number;
  lengthSizeMinusOne?: number;
  sps: Uint8Array[];
  pps: Uint8Array[];
  ext?: { chromaFormat: number; bitDepthLuma: number; bitDepthChroma: number; spsExt?: Uint8Array[] };
}

export function buildAvcc(s: AvccSpec): Uint8Array {
  const w = new BitWriter();
  w.bits(8, 1).bits(8, s.profile).bits(8, s.compat).bits(8, s.level);
  w.bits(6, 0x3f).bits(2, s.lengthSizeMinusOne ?? 3).bits(3, 7).bits(5, s.sps.length);
  for (const n of s.sps) w.bits(16, n.length).bytes(n);
  w.bits(8, s.pps.length);
  for (const n of s.pps) w.bits(16, n.length).bytes(n);
  if (s.ext) {
    w.bits(6, 0x3f).bits(2, s.ext.chromaFormat).bits(5, 0x1f).bits(3, s.ext.bitDepthLuma - 8);
    w.bits(5, 0x1f).bits(3, s.ext.bitDepthChroma - 8).bits(8, s.ext.spsExt?.length ?? 0);
    for (const n of s.ext.spsExt ?? []) w.bits(16, n.length).bytes(n);
  }
  return w.finish();
}

export interface PtlSpec {
  profileSpace?: number;
  tier?: boolean;
  profileIdc: number;
  compat: number;
  constraints: number[];
  levelIdc: number;
}

function writePtl(w: BitWriter, p: PtlSpec): void {
  w.bits(2, p.profileSpace ?? 0).flag(p.tier ?? false).bits(5, p.profileIdc).bits(32, p.compat);
  for (let i = 0; i < 6; i++) w.bits(8, p.constraints[i] ?? 0);
  w.bits(8, p.levelIdc);
}

export type StRpsSpec = { negative: number[]; positive: number[] } | { predict: { deltaRps: number; flags: Array<[boolean, boolean]> } };

export interface HevcSpsSpec {
  ptl: PtlSpec;
  maxSubLayersMinus1?: number;
  /** Per sub-layer [profile_present, level_present]. */
  subLayers?: Array<[boolean, boolean]>;
  chromaFormatIdc?: number;
  separateColourPlane?: boolean;
  width: number;
  height: number;
  conformance?: [number, number, number, number];
  bitDepthLuma?: number;
  bitDepthChroma?: number;
  subLayerOrderingInfo?: boolean;
  scalingListData?: boolean;
  pcm?: boolean;
  stRps?: StRpsSpec[];
  longTerm?: number;
  vui?: VuiSpec;
  layerId?: number;
}

/** An H.265 SPS NAL unit (2-byte header, type 33, escaped RBSP). */
export function buildHevcSps(s: HevcSpsSpec): Uint8Array {
  const w = new BitWriter();
  const msl = s.maxSubLayersMinus1 ?? 0;
  w.bits(4, 0).bits(3, msl).flag(true);
  writePtl(w, s.ptl);
  const subs = s.subLayers ?? [];
  for (let i = 0; i < msl; i++) w.flag(subs[i]?.[0] ?? false).flag(subs[i]?.[1] ?? false);
  if (msl > 0) for (let i = msl; i < 8; i++) w.bits(2, 0);
  for (let i = 0; i < msl; i++) {
    if (subs[i]?.[0]) writePtlSubLayer(w, s.ptl);
    if (subs[i]?.[1]) w.bits(8, s.ptl.levelIdc);
  }
  w.ue(0); // sps_seq_parameter_set_id
  const cf = s.chromaFormatIdc ?? 1;
  w.ue(cf);
  if (cf === 3) w.flag(s.separateColourPlane ?? false);
  w.ue(s.width).ue(s.height);
  if (s.conformance) w.flag(true).ue(s.conformance[0]).ue(s.conformance[1]).ue(s.conformance[2]).ue(s.conformance[3]);
  else w.flag(false);
  w.ue((s.bitDepthLuma ?? 8) - 8).ue((s.bitDepthChroma ?? 8) - 8);
  const log2PocLsbMinus4 = 4;
  w.ue(log2PocLsbMinus4);
  const ordering = s.subLayerOrderingInfo ?? true;
  w.flag(ordering);
  for (let i = ordering ? 0 : msl; i <= msl; i++) w.ue(4).ue(2).ue(0);
  w.ue(0).ue(3).ue(0).ue(3).ue(1).ue(1);
  if (s.scalingListData) {
    w.flag(true).flag(true);
    for (let sizeId = 0; sizeId < 4; sizeId++) {
      for (let m = 0; m < 6; m += sizeId === 3 ? 3 : 1) {
        if ((sizeId + m) % 2 === 0) {
          w.flag(false).ue(0); // predicted from the default
        } else {
          w.flag(true);
          const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
          if (sizeId > 1) w.se(3);
          for (let i = 0; i < coefNum; i++) w.se(i % 3 === 0 ? 1 : -1);
        }
      }
    }
  } else {
    w.flag(false);
  }
  w.flag(true).flag(true); // amp, sao
  if (s.pcm) w.flag(true).bits(4, 7).bits(4, 7).ue(0).ue(1).flag(false);
  else w.flag(false);
  const sets = s.stRps ?? [];
  w.ue(sets.length);
  sets.forEach((set, idx) => {
    if (idx > 0) w.flag('predict' in set);
    if ('predict' in set) {
      const d = set.predict.deltaRps;
      w.flag(d < 0).ue(Math.abs(d) - 1);
      for (const [used, useDelta] of set.predict.flags) {
        w.flag(used);
        if (!used) w.flag(useDelta);
      }
    } else {
      w.ue(set.negative.length).ue(set.positive.length);
      let prev = 0;
      for (const d of set.negative) {
        w.ue(prev - d - 1).flag(true);
        prev = d;
      }
      prev = 0;
      for (const d of set.positive) {
        w.ue(d - prev - 1).flag(true);
        prev = d;
      }
    }
  });
  if (s.longTerm !== undefined) {
    w.flag(true).ue(s.longTerm);
    for (let i = 0; i < s.longTerm; i++) w.bits(log2PocLsbMinus4 + 4, i).flag(true);
  } else {
    w.flag(false);
  }
  w.flag(true).flag(true); // temporal_mvp, strong_intra_smoothing
  if (s.vui) {
    w.flag(true);
    writeVuiPrefix(w, s.vui);
    w.flag(false).flag(s.vui.fieldSeq ?? false).flag(false);
    if (s.vui.defaultDisplayWindow) w.flag(true).ue(8).ue(8).ue(0).ue(0);
    else w.flag(false);
    if (s.vui.timing) w.flag(true).bits(32, s.vui.timing.numUnitsInTick).bits(32, s.vui.timing.timeScale).flag(false).flag(false);
    else w.flag(false);
    w.flag(false); // bitstream_restriction
  } else {
    w.flag(false);
  }
  w.flag(false); // sps_extension_present
  const layer = s.layerId ?? 0;
  return concat([(33 << 1) | (layer >> 5), ((layer & 0x1f) << 3) | 1], escapeRbsp(w.trailing().finish()));
}

function writePtlSubLayer(w: BitWriter, p: PtlSpec): void {
  w.bits(2, p.profileSpace ?? 0).flag(p.tier ?? false).bits(5, p.profileIdc).bits(32, p.compat);
  for (let i = 0; i < 6; i++) w.bits(8, p.constraints[i] ?? 0);
}

export interface HvccSpec {
  version?: number;
  ptl: PtlSpec;
  chromaFormat?: number;
  bitDepthLuma?: number;
  bitDepthChroma?: number;
  avgFrameRate?: number;
  numTemporalLayers?: number;
  lengthSizeMinusOne?: number;
  arrays: Array<{ type: number; nalus: Uint8Array[]; complete?: boolean }>;
}

export function buildHvcc(s: HvccSpec): Uint8Array {
  const w = new BitWriter();
  w.bits(8, s.version ?? 1);
  writePtl(w, s.ptl);
  w.bits(4, 0xf).bits(12, 0).bits(6, 0x3f).bits(2, 0);
  w.bits(6, 0x3f).bits(2, s.chromaFormat ?? 1);
  w.bits(5, 0x1f).bits(3, (s.bitDepthLuma ?? 8) - 8).bits(5, 0x1f).bits(3, (s.bitDepthChroma ?? 8) - 8);
  w.bits(16, s.avgFrameRate ?? 0).bits(2, 0).bits(3, s.numTemporalLayers ?? 1).flag(true).bits(2, s.lengthSizeMinusOne ?? 3);
  w.bits(8, s.arrays.length);
  for (const a of s.arrays) {
    w.flag(a.complete ?? true).flag(false).bits(6, a.type).bits(16, a.nalus.length);
    for (const n of a.nalus) w.bits(16, n.length).bytes(n);
  }
  return w.finish();
}
