import type { Av1CodecConfigurationRecord } from './av1c.js';
import { av1cBitDepth } from './av1c.js';
import type { HevcProfileTierLevel } from './hevc-sps.js';
import type { VpCodecConfigurationRecord } from './vpcc.js';

/** Fixed codec strings, as FFmpeg's HLS muxer writes them (libavformat codecstring.c). */
export const CODEC_STRING = {
  opus: 'opus',
  flac: 'flac',
  ac3: 'ac-3',
  eac3: 'ec-3',
  mp3: 'mp4a.40.34',
} as const;

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
const dec2 = (n: number): string => String(n).padStart(2, '0');

/** `avc1.PPCCLL` (RFC 6381 §3.3): profile_idc, constraint flags byte, level_idc in hex. */
export function avcCodecString(profileIdc: number, constraintFlags: number, levelIdc: number): string {
  return `avc1.${hex2(profileIdc)}${hex2(constraintFlags)}${hex2(levelIdc)}`;
}

/** Reverses the 32 bits of a word (general_profile_compatibility_flags are written flag 31 first). */
function reverseBits32(v: number): number {
  let out = 0;
  for (let i = 0; i < 32; i++) out = out * 2 + ((v >>> i) & 1);
  return out;
}

/**
 * `hvc1.<space><profile_idc>.<compat>.<tier><level>.<constraints>` (ISO/IEC 14496-15 Annex E.3):
 * profile space as '', 'A', 'B', 'C'; compatibility flags bit-reversed in hex; L/H tier and
 * level_idc in decimal; constraint bytes in hex, trailing zero bytes dropped (the first byte is
 * always kept, as FFmpeg does, because some players expect the field).
 */
export function hevcCodecString(ptl: HevcProfileTierLevel, fourcc: 'hvc1' | 'hev1' = 'hvc1'): string {
  const space = ptl.profileSpace === 0 ? '' : String.fromCharCode(0x40 + ptl.profileSpace);
  const compat = reverseBits32(ptl.profileCompatibilityFlags).toString(16).toUpperCase();
  const bytes = Array.from(ptl.constraintIndicatorFlags);
  let last = bytes.length;
  while (last > 1 && bytes[last - 1] === 0) last--;
  const constraints = bytes.slice(0, last).map((b) => b.toString(16).toUpperCase()).join('.');
  return `${fourcc}.${space}${ptl.profileIdc}.${compat}.${ptl.tierFlag ? 'H' : 'L'}${ptl.levelIdc}.${constraints}`;
}

/**
 * `av01.P.LLT.DD[.M.CCC.cp.tc.mc.F]` (AV1-ISOBMFF "Codecs Parameter String"). The long form is
 * written only when something differs from its defaults (4:2:0, BT.709 colour, limited range);
 * colour from the sequence header wins over av1C when both are there.
 */
export function av1CodecString(record: Av1CodecConfigurationRecord): string {
  const seq = record.sequenceHeader;
  const profile = seq?.seqProfile ?? record.seqProfile;
  const level = seq?.seqLevelIdx0 ?? record.seqLevelIdx0;
  const tier = (seq?.seqTier0 ?? record.seqTier0) ? 'H' : 'M';
  const bitDepth = seq?.bitDepth ?? av1cBitDepth(record);
  const short = `av01.${profile}.${dec2(level)}${tier}.${dec2(bitDepth)}`;
  const mono = seq?.monochrome ?? record.monochrome;
  const subX = seq?.subsamplingX ?? record.chromaSubsamplingX;
  const subY = seq?.subsamplingY ?? record.chromaSubsamplingY;
  const csp = seq?.chromaSamplePosition ?? record.chromaSamplePosition;
  const ccc = `${subX ? 1 : 0}${subY ? 1 : 0}${csp}`;
  const colour = seq?.colour;
  const fullRange = colour?.fullRange === true;
  const colourDiffers =
    seq?.colourDescriptionPresent === true && !(seq.colour.primaries === 1 && seq.colour.transfer === 1 && seq.colour.matrix === 1);
  if (!mono && ccc === '110' && !colourDiffers && !fullRange) return short;
  const cp = colour?.primaries ?? 1;
  const tc = colour?.transfer ?? 1;
  const mc = colour?.matrix ?? 1;
  return `${short}.${mono ? 1 : 0}.${ccc}.${dec2(cp)}.${dec2(tc)}.${dec2(mc)}.${fullRange ? 1 : 0}`;
}

/**
 * `vp09.PP.LL.DD[.CC.cp.tc.mc.FF]` (VP Codec ISO Media File Format Binding, "Codecs Parameter
 * String"). The long form is written only when colour or chroma differ from the defaults; all-2
 * ("unspecified") colour, as FFmpeg writes by default, keeps the short form.
 */
export function vpCodecString(codec: 'vp09' | 'vp08', vpcc: VpCodecConfigurationRecord): string {
  const short = `${codec}.${dec2(vpcc.profile)}.${dec2(vpcc.level)}.${dec2(vpcc.bitDepth)}`;
  const cp = vpcc.colourPrimaries;
  const tc = vpcc.transferCharacteristics;
  const mc = vpcc.matrixCoefficients;
  const unspecified = cp === 2 && tc === 2 && mc === 2;
  const bt709 = cp === 1 && tc === 1 && mc === 1;
  if (vpcc.chromaSubsampling === 1 && !vpcc.videoFullRangeFlag && (unspecified || bt709)) return short;
  return `${short}.${dec2(vpcc.chromaSubsampling)}.${dec2(cp)}.${dec2(tc)}.${dec2(mc)}.${vpcc.videoFullRangeFlag ? '01' : '00'}`;
}

/** `mp4a.40.<audioObjectType>` (RFC 6381 §3.3, decimal AOT). */
export function aacCodecString(objectType: number): string {
  return `mp4a.40.${objectType}`;
}
