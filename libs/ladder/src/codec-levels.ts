/**
 * The lowest codec level that can carry a rendition, from the level limit tables, so the
 * planner can name the level it asks the encoder for and write the output's RFC 6381 string
 * before anything is encoded.
 */

/** What a level has to carry: picture size, picture rate and peak bitrate. */
export interface LevelDemand {
  width: number;
  height: number;
  /** Pictures per second. */
  frameRate: number;
  /** Peak bitrate (the VBV maxrate) in bits per second. */
  maxrateBps: number;
}

interface H264Level {
  level: number;
  /** level_idc as written in the SPS (level × 10; 1b is not offered). */
  idc: number;
  /** MaxMBPS: macroblocks per second. */
  maxMbPerSecond: number;
  /** MaxFS: macroblocks per frame. */
  maxFrameMbs: number;
  /** MaxBR in kbit/s for Baseline/Main; High multiplies by 1.25 (cpbBrVclFactor, Table A-2). */
  maxKbps: number;
}

/** H.264 Table A-1 (level limits). */
const H264_LEVELS: readonly H264Level[] = [
  { level: 1, idc: 10, maxMbPerSecond: 1485, maxFrameMbs: 99, maxKbps: 64 },
  { level: 1.1, idc: 11, maxMbPerSecond: 3000, maxFrameMbs: 396, maxKbps: 192 },
  { level: 1.2, idc: 12, maxMbPerSecond: 6000, maxFrameMbs: 396, maxKbps: 384 },
  { level: 1.3, idc: 13, maxMbPerSecond: 11880, maxFrameMbs: 396, maxKbps: 768 },
  { level: 2, idc: 20, maxMbPerSecond: 11880, maxFrameMbs: 396, maxKbps: 2000 },
  { level: 2.1, idc: 21, maxMbPerSecond: 19800, maxFrameMbs: 792, maxKbps: 4000 },
  { level: 2.2, idc: 22, maxMbPerSecond: 20250, maxFrameMbs: 1620, maxKbps: 4000 },
  { level: 3, idc: 30, maxMbPerSecond: 40500, maxFrameMbs: 1620, maxKbps: 10000 },
  { level: 3.1, idc: 31, maxMbPerSecond: 108000, maxFrameMbs: 3600, maxKbps: 14000 },
  { level: 3.2, idc: 32, maxMbPerSecond: 216000, maxFrameMbs: 5120, maxKbps: 20000 },
  { level: 4, idc: 40, maxMbPerSecond: 245760, maxFrameMbs: 8192, maxKbps: 20000 },
  { level: 4.1, idc: 41, maxMbPerSecond: 245760, maxFrameMbs: 8192, maxKbps: 50000 },
  { level: 4.2, idc: 42, maxMbPerSecond: 522240, maxFrameMbs: 8704, maxKbps: 50000 },
  { level: 5, idc: 50, maxMbPerSecond: 589824, maxFrameMbs: 22080, maxKbps: 135000 },
  { level: 5.1, idc: 51, maxMbPerSecond: 983040, maxFrameMbs: 36864, maxKbps: 240000 },
  { level: 5.2, idc: 52, maxMbPerSecond: 2073600, maxFrameMbs: 36864, maxKbps: 240000 },
  { level: 6, idc: 60, maxMbPerSecond: 4177920, maxFrameMbs: 139264, maxKbps: 240000 },
  { level: 6.1, idc: 61, maxMbPerSecond: 8355840, maxFrameMbs: 139264, maxKbps: 480000 },
  { level: 6.2, idc: 62, maxMbPerSecond: 16711680, maxFrameMbs: 139264, maxKbps: 800000 },
];

/** High profile's cpbBrVclFactor over Baseline/Main (H.264 Table A-2: 1250 / 1000). */
const H264_HIGH_BITRATE_FACTOR = 1.25;

/**
 * The lowest H.264 High-profile level for a rendition (H.264 A.3.1, A.3.3): frame size in
 * macroblocks, macroblock rate, peak bitrate, and each side at most sqrt(8 × MaxFS) macroblocks.
 * Returns `undefined` when even level 6.2 cannot carry it.
 */
export function h264Level(demand: LevelDemand): { level: number; idc: number } | undefined {
  const mbWide = Math.ceil(demand.width / 16);
  const mbHigh = Math.ceil(demand.height / 16);
  const frameMbs = mbWide * mbHigh;
  const mbPerSecond = frameMbs * demand.frameRate;
  for (const l of H264_LEVELS) {
    const maxSide = Math.sqrt(8 * l.maxFrameMbs);
    if (
      frameMbs <= l.maxFrameMbs &&
      mbWide <= maxSide &&
      mbHigh <= maxSide &&
      mbPerSecond <= l.maxMbPerSecond &&
      demand.maxrateBps <= l.maxKbps * 1000 * H264_HIGH_BITRATE_FACTOR
    ) {
      return { level: l.level, idc: l.idc };
    }
  }
  return undefined;
}

interface HevcLevel {
  level: number;
  /** MaxLumaPs: luma samples per picture. */
  maxLumaPs: number;
  /** MaxLumaSr: luma samples per second. */
  maxLumaSr: number;
  /** MaxBR for the Main tier in kbit/s (Main/Main 10: CpbBrVclFactor 1000). */
  maxKbps: number;
}

/** H.265 Tables A.8 (general tier and level limits) and A.9 (MaxLumaSr, MaxBR), Main tier. */
const HEVC_LEVELS: readonly HevcLevel[] = [
  { level: 1, maxLumaPs: 36864, maxLumaSr: 552960, maxKbps: 128 },
  { level: 2, maxLumaPs: 122880, maxLumaSr: 3686400, maxKbps: 1500 },
  { level: 2.1, maxLumaPs: 245760, maxLumaSr: 7372800, maxKbps: 3000 },
  { level: 3, maxLumaPs: 552960, maxLumaSr: 16588800, maxKbps: 6000 },
  { level: 3.1, maxLumaPs: 983040, maxLumaSr: 33177600, maxKbps: 10000 },
  { level: 4, maxLumaPs: 2228224, maxLumaSr: 66846720, maxKbps: 12000 },
  { level: 4.1, maxLumaPs: 2228224, maxLumaSr: 133693440, maxKbps: 20000 },
  { level: 5, maxLumaPs: 8912896, maxLumaSr: 267386880, maxKbps: 25000 },
  { level: 5.1, maxLumaPs: 8912896, maxLumaSr: 534773760, maxKbps: 40000 },
  { level: 5.2, maxLumaPs: 8912896, maxLumaSr: 1069547520, maxKbps: 60000 },
  { level: 6, maxLumaPs: 35651584, maxLumaSr: 1069547520, maxKbps: 60000 },
  { level: 6.1, maxLumaPs: 35651584, maxLumaSr: 2139095040, maxKbps: 120000 },
  { level: 6.2, maxLumaPs: 35651584, maxLumaSr: 4278190080, maxKbps: 240000 },
];

/**
 * The lowest H.265 Main-tier level (H.265 A.4.1): luma picture size, luma sample rate, peak
 * bitrate, and each side at most sqrt(8 × MaxLumaPs). general_level_idc is the level × 30.
 */
export function hevcLevel(demand: LevelDemand): { level: number; idc: number } | undefined {
  const lumaPs = demand.width * demand.height;
  const lumaSr = lumaPs * demand.frameRate;
  for (const l of HEVC_LEVELS) {
    const maxSide = Math.sqrt(8 * l.maxLumaPs);
    if (
      lumaPs <= l.maxLumaPs &&
      demand.width <= maxSide &&
      demand.height <= maxSide &&
      lumaSr <= l.maxLumaSr &&
      demand.maxrateBps <= l.maxKbps * 1000
    ) {
      return { level: l.level, idc: Math.round(l.level * 30) };
    }
  }
  return undefined;
}

interface Av1Level {
  level: number;
  /** seq_level_idx: (major − 2) × 4 + minor. */
  idx: number;
  maxPicSize: number;
  maxHSize: number;
  maxVSize: number;
  /** MaxDisplayRate in samples per second. */
  maxDisplayRate: number;
  /** MainMbps in Mbit/s (Main tier). */
  mainMbps: number;
}

/** AV1 Annex A.3 (levels), defined levels only; 2.2, 2.3, 3.2, 3.3, 4.2, 4.3 are reserved. */
const AV1_LEVELS: readonly Av1Level[] = [
  { level: 2, idx: 0, maxPicSize: 147456, maxHSize: 2048, maxVSize: 1152, maxDisplayRate: 4423680, mainMbps: 1.5 },
  { level: 2.1, idx: 1, maxPicSize: 278784, maxHSize: 2816, maxVSize: 1584, maxDisplayRate: 8363520, mainMbps: 3 },
  { level: 3, idx: 4, maxPicSize: 665856, maxHSize: 4352, maxVSize: 2448, maxDisplayRate: 19975680, mainMbps: 6 },
  { level: 3.1, idx: 5, maxPicSize: 1065024, maxHSize: 5504, maxVSize: 3096, maxDisplayRate: 31950720, mainMbps: 10 },
  { level: 4, idx: 8, maxPicSize: 2359296, maxHSize: 6144, maxVSize: 3456, maxDisplayRate: 70778880, mainMbps: 12 },
  { level: 4.1, idx: 9, maxPicSize: 2359296, maxHSize: 6144, maxVSize: 3456, maxDisplayRate: 141557760, mainMbps: 20 },
  { level: 5, idx: 12, maxPicSize: 8912896, maxHSize: 8192, maxVSize: 4352, maxDisplayRate: 267386880, mainMbps: 30 },
  { level: 5.1, idx: 13, maxPicSize: 8912896, maxHSize: 8192, maxVSize: 4352, maxDisplayRate: 534773760, mainMbps: 40 },
  { level: 5.2, idx: 14, maxPicSize: 8912896, maxHSize: 8192, maxVSize: 4352, maxDisplayRate: 1069547520, mainMbps: 60 },
  { level: 5.3, idx: 15, maxPicSize: 8912896, maxHSize: 8192, maxVSize: 4352, maxDisplayRate: 1069547520, mainMbps: 60 },
  { level: 6, idx: 16, maxPicSize: 35651584, maxHSize: 16384, maxVSize: 8704, maxDisplayRate: 1069547520, mainMbps: 60 },
  { level: 6.1, idx: 17, maxPicSize: 35651584, maxHSize: 16384, maxVSize: 8704, maxDisplayRate: 2139095040, mainMbps: 100 },
  { level: 6.2, idx: 18, maxPicSize: 35651584, maxHSize: 16384, maxVSize: 8704, maxDisplayRate: 4278190080, mainMbps: 160 },
  { level: 6.3, idx: 19, maxPicSize: 35651584, maxHSize: 16384, maxVSize: 8704, maxDisplayRate: 4278190080, mainMbps: 160 },
];

/**
 * The lowest AV1 Main-tier level (AV1 Annex A.3): picture size, width/height limits, display
 * rate and bitrate. The encoder (SVT-AV1) picks its own seq_level_idx; this is the prediction.
 */
export function av1Level(demand: LevelDemand): { level: number; idx: number } | undefined {
  const picSize = demand.width * demand.height;
  for (const l of AV1_LEVELS) {
    if (
      picSize <= l.maxPicSize &&
      demand.width <= l.maxHSize &&
      demand.height <= l.maxVSize &&
      picSize * demand.frameRate <= l.maxDisplayRate &&
      demand.maxrateBps <= l.mainMbps * 1e6
    ) {
      return { level: l.level, idx: l.idx };
    }
  }
  return undefined;
}
