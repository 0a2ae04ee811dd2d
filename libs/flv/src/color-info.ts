/**
 * The HDR `colorInfo` object carried by video Metadata packets (reference §7, PacketType 4):
 * AMF0 `"colorInfo"` followed by an object. Any part may be missing; `undefined` or `{}` resets.
 */
import { amfNumber, amfObject, amfObjectOf, decodeAmf0, encodeAmf0 } from '@headwater/amf';
import type { AmfObject, AmfValue } from '@headwater/amf';

/** H.273 code points and bit depth of the video. */
export interface ColorConfig {
  bitDepth?: number;
  colorPrimaries?: number;
  transferCharacteristics?: number;
  matrixCoefficients?: number;
}

/** Content light level (cd/m²). */
export interface HdrCll {
  maxFall?: number;
  maxCLL?: number;
}

/** Mastering display colour volume: chromaticities and luminance. */
export interface HdrMdcv {
  redX?: number;
  redY?: number;
  greenX?: number;
  greenY?: number;
  blueX?: number;
  blueY?: number;
  whitePointX?: number;
  whitePointY?: number;
  maxLuminance?: number;
  minLuminance?: number;
}

/** Decoded `colorInfo`; an empty object means "reset to defaults". */
export interface ColorInfo {
  colorConfig?: ColorConfig;
  hdrCll?: HdrCll;
  hdrMdcv?: HdrMdcv;
}

/** The AMF name that introduces a colorInfo Metadata packet. */
export const COLOR_INFO_NAME = 'colorInfo';

const COLOR_CONFIG_KEYS = ['bitDepth', 'colorPrimaries', 'transferCharacteristics', 'matrixCoefficients'] as const;
const HDR_CLL_KEYS = ['maxFall', 'maxCLL'] as const;
const HDR_MDCV_KEYS = [
  'redX',
  'redY',
  'greenX',
  'greenY',
  'blueX',
  'blueY',
  'whitePointX',
  'whitePointY',
  'maxLuminance',
  'minLuminance',
] as const;

function pickNumbers<K extends string>(obj: AmfValue, keys: readonly K[]): Partial<Record<K, number>> | undefined {
  const o = amfObject(obj);
  if (o === undefined) return undefined;
  const out: Partial<Record<K, number>> = {};
  for (const k of keys) {
    const v = amfNumber(o, k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Typed view of a decoded colorInfo AMF value (unknown keys and non-numbers are dropped). */
export function colorInfoFromAmf(value: AmfValue): ColorInfo {
  const out: ColorInfo = {};
  const o = amfObject(value);
  if (o === undefined) return out;
  const colorConfig = pickNumbers(o['colorConfig'], COLOR_CONFIG_KEYS);
  const hdrCll = pickNumbers(o['hdrCll'], HDR_CLL_KEYS);
  const hdrMdcv = pickNumbers(o['hdrMdcv'], HDR_MDCV_KEYS);
  if (colorConfig) out.colorConfig = colorConfig;
  if (hdrCll) out.hdrCll = hdrCll;
  if (hdrMdcv) out.hdrMdcv = hdrMdcv;
  return out;
}

/**
 * Decodes a Metadata packet body. Returns the colorInfo when the first AMF value is the string
 * `"colorInfo"`, else undefined (an unknown metadata kind is ignored, not an error).
 * Malformed AMF throws the AMF decoder's ProtocolError.
 */
export function parseColorInfoPacket(body: Uint8Array): ColorInfo | undefined {
  const values = decodeAmf0(body);
  if (values[0] !== COLOR_INFO_NAME) return undefined;
  return colorInfoFromAmf(values[1]);
}

/** Encodes a Metadata packet body: AMF0 `"colorInfo"` + object (plain objects, as OBS and FFmpeg write). */
export function encodeColorInfo(info: ColorInfo): Uint8Array {
  const obj: AmfObject = amfObjectOf();
  if (info.colorConfig) obj['colorConfig'] = definedNumbers(info.colorConfig);
  if (info.hdrCll) obj['hdrCll'] = definedNumbers(info.hdrCll);
  if (info.hdrMdcv) obj['hdrMdcv'] = definedNumbers(info.hdrMdcv);
  return encodeAmf0([COLOR_INFO_NAME, obj]);
}

function definedNumbers(part: object): AmfObject {
  const out = amfObjectOf();
  for (const [k, v] of Object.entries(part)) if (typeof v === 'number') out[k] = v;
  return out;
}
