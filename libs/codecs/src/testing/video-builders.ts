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

export interface Av1SeqSpec {
  profile: number;
  levelIdx: number;
  tier?: number;
  stillPicture?: boolean;
  reduced?: boolean;
  timing?: { numUnitsInDisplayTick: number; timeScale: number; ticksPerPicture?: number; decoderModel?: boolean };
  operatingPoints?: number;
  initialDisplayDelay?: boolean;
  width: number;
  height: number;
  frameIdNumbers?: boolean;
  orderHint?: boolean;
  screenContent?: 'select' | 'off' | 'on-select-mv' | 'on-force-mv';
  highBitdepth?: boolean;
  twelveBit?: boolean;
  mono?: boolean;
  colour?: { primaries: number; transfer: number; matrix: number };
  fullRange?: boolean;
  subsampling?: [boolean, boolean];
  chromaSamplePosition?: number;
  filmGrain?: boolean;
}

const bitsFor = (v: number): number => Math.max(1, Math.ceil(Math.log2(v + 1)));

/** A sequence header OBU payload (no OBU header). */
export function buildAv1SequenceHeaderPayload(s: Av1SeqSpec): Uint8Array {
  const w = new BitWriter();
  w.bits(3, s.profile).flag(s.stillPicture ?? false).flag(s.reduced ?? false);
  if (s.reduced) {
    w.bits(5, s.levelIdx);
  } else {
    const t = s.timing;
    w.flag(t !== undefined);
    let bufferDelayLength = 0;
    if (t) {
      w.bits(32, t.numUnitsInDisplayTick).bits(32, t.timeScale);
      if (t.ticksPerPicture !== undefined) {
        w.flag(true);
        // uvlc(): leadingZeros zeros, a 1, then leadingZeros bits of value - (2^lz - 1)
        const v = t.ticksPerPicture - 1;
        const lz = Math.floor(Math.log2(v + 1));
        w.bits(lz, 0).bit(1).bits(lz, v + 1 - 2 ** lz);
      } else {
        w.flag(false);
      }
      w.flag(t.decoderModel ?? false);
      if (t.decoderModel) {
        bufferDelayLength = 10;
        w.bits(5, bufferDelayLength - 1).bits(32, 1).bits(5, 20).bits(5, 20);
      }
    }
    const idd = s.initialDisplayDelay ?? false;
    w.flag(idd);
    const ops = s.operatingPoints ?? 1;
    w.bits(5, ops - 1);
    for (let i = 0; i < ops; i++) {
      w.bits(12, i === 0 ? 0 : 0x101);
      const lvl = i === 0 ? s.levelIdx : 8;
      w.bits(5, lvl);
      if (lvl > 7) w.bit(i === 0 ? (s.tier ?? 0) : 1);
      if (t?.decoderModel) {
        w.flag(true).bits(bufferDelayLength, 5).bits(bufferDelayLength, 6).flag(false);
      }
      if (idd) w.flag(true).bits(4, 3);
    }
  }
  const wb = bitsFor(s.width - 1);
  const hb = bitsFor(s.height - 1);
  w.bits(4, wb - 1).bits(4, hb - 1).bits(wb, s.width - 1).bits(hb, s.height - 1);
  if (!s.reduced) {
    w.flag(s.frameIdNumbers ?? false);
    if (s.frameIdNumbers) w.bits(4, 12).bits(3, 2);
  }
  w.flag(false).flag(true).flag(true);
  if (!s.reduced) {
    w.flag(true).flag(true).flag(true).flag(true);
    const oh = s.orderHint ?? true;
    w.flag(oh);
    if (oh) w.flag(true).flag(true);
    const sc = s.screenContent ?? 'select';
    if (sc === 'select') w.flag(true).flag(true); // choose tools; choose integer mv
    else if (sc === 'off') w.flag(false).bit(0);
    else if (sc === 'on-select-mv') w.flag(false).bit(1).flag(true);
    else w.flag(false).bit(1).flag(false).bit(1);
    if (oh) w.bits(3, 6);
  }
  w.flag(false).flag(true).flag(true);
  // color_config
  w.flag(s.highBitdepth ?? false);
  if (s.profile === 2 && s.highBitdepth) w.flag(s.twelveBit ?? false);
  if (s.profile !== 1) w.flag(s.mono ?? false);
  w.flag(s.colour !== undefined);
  if (s.colour) w.bits(8, s.colour.primaries).bits(8, s.colour.transfer).bits(8, s.colour.matrix);
  if (s.mono) {
    w.flag(s.fullRange ?? false);
  } else if (s.colour && s.colour.primaries === 1 && s.colour.transfer === 13 && s.colour.matrix === 0) {
    w.flag(false);
  } else {
    w.flag(s.fullRange ?? false);
    if (s.profile === 2 && s.highBitdepth && s.twelveBit) {
      const [sx, sy] = s.subsampling ?? [true, true];
      w.flag(sx);
      if (sx) w.flag(sy);
    }
    const [sx, sy] =
      s.profile === 0 ? [true, true] : s.profile === 1 ? [false, false] : s.highBitdepth && s.twelveBit ? (s.subsampling ?? [true, true]) : [true, false];
    if (sx && sy) w.bits(2, s.chromaSamplePosition ?? 0);
    w.flag(false);
  }
  w.flag(s.filmGrain ?? false);
  return w.trailing().finish();
}

/** An OBU with header and leb128 size. */
export function buildObu(type: number, payload: Uint8Array, withSize = true): Uint8Array {
  const w = new BitWriter();
  w.bit(0).bits(4, type).flag(false).flag(withSize).bit(0);
  if (withSize) w.leb128(payload.length);
  return concat(w.finish(), payload);
}

export function buildAv1c(s: Av1SeqSpec, configObus: Uint8Array): Uint8Array {
  const w = new BitWriter();
  const twelve = s.profile === 2 && !!s.highBitdepth && !!s.twelveBit;
  const [sx, sy] = s.profile === 0 || s.mono ? [true, true] : s.profile === 1 ? [false, false] : twelve ? (s.subsampling ?? [true, true]) : [true, false];
  w.bit(1).bits(7, 1).bits(3, s.profile).bits(5, s.levelIdx);
  w.bit(s.tier ?? 0).flag(s.highBitdepth ?? false).flag(twelve).flag(s.mono ?? false).flag(sx).flag(sy).bits(2, s.chromaSamplePosition ?? 0);
  w.bits(3, 0).flag(false).bits(4, 0);
  return concat(w.finish(), configObus);
}

export interface VpccSpec {
  profile: number;
  level: number;
  bitDepth: number;
  chromaSubsampling: number;
  fullRange: boolean;
  primaries: number;
  transfer: number;
  matrix: number;
}

export function buildVpcc(s: VpccSpec, form: 'mp4' | 'flv'): Uint8Array {
  const body = [s.profile, s.level, (s.bitDepth << 4) | (s.chromaSubsampling << 1) | (s.fullRange ? 1 : 0), s.primaries, s.transfer, s.matrix, 0, 0];
  return Uint8Array.from(form === 'mp4' ? [1, 0, 0, 0, ...body] : body);
}

export interface Vp9FrameSpec {
  profile: number;
  key: boolean;
  showFrame?: boolean;
  intraOnly?: boolean;
  showExisting?: boolean;
  errorResilient?: boolean;
  tenOrTwelve?: boolean;
  colorSpace?: number;
  fullRange?: boolean;
  subsampling?: [boolean, boolean];
  width?: number;
  height?: number;
  render?: [number, number];
}

/** The start of a VP9 frame's uncompressed header, padded with some bytes of "compressed" data. */
export function buildVp9Frame(s: Vp9FrameSpec): Uint8Array {
  const w = new BitWriter();
  w.bits(2, 2).bit(s.profile & 1).bit(s.profile >> 1);
  if (s.profile === 3) w.bit(0);
  w.flag(s.showExisting ?? false);
  if (s.showExisting) return w.bits(3, 1).finish();
  w.bit(s.key ? 0 : 1).flag(s.showFrame ?? true).flag(s.errorResilient ?? false);
  const colour = (): void => {
    if (s.profile >= 2) w.flag(s.tenOrTwelve ?? false);
    const cs = s.colorSpace ?? 2;
    w.bits(3, cs);
    if (cs !== 7) {
      w.flag(s.fullRange ?? false);
      if (s.profile === 1 || s.profile === 3) {
        const [x, y] = s.subsampling ?? [true, false];
        w.flag(x).flag(y).bit(0);
      }
    } else if (s.profile === 1 || s.profile === 3) {
      w.bit(0);
    }
  };
  const size = (): void => {
    w.bits(16, (s.width ?? 1) - 1).bits(16, (s.height ?? 1) - 1);
    if (s.render) w.flag(true).bits(16, s.render[0] - 1).bits(16, s.render[1] - 1);
    else w.flag(false);
  };
  if (s.key) {
    w.bytes([0x49, 0x83, 0x42]);
    colour();
    size();
  } else {
    if (!(s.showFrame ?? true)) w.flag(s.intraOnly ?? false);
    if (!s.errorResilient) w.bits(2, 0);
    if (s.intraOnly && !(s.showFrame ?? true)) {
      w.bytes([0x49, 0x83, 0x42]);
      if (s.profile > 0) colour();
      w.bits(8, 0xff);
      size();
    } else {
      w.bits(3, 0);
    }
  }
  return concat(w.finish(), [0xde, 0xad, 0xbe, 0xef]);
}
