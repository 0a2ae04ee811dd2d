import { BitWriter, concat } from './bit-writer.js';

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
