export type { AmfValue, AmfObject } from './amf-value.js';
export {
  amfObjectOf,
  ecmaArray,
  typedObject,
  isEcmaArray,
  amfClassName,
  isAmfObject,
  amfObject,
  amfArray,
  amfString,
  amfNumber,
  amfBoolean,
} from './amf-value.js';
export type { AmfLimits } from './amf-limits.js';
export { DEFAULT_AMF_LIMITS, MAX_REFERENCED_BYTES, MAX_REFERENCE_TABLE_ENTRIES } from './amf-limits.js';
export { Amf0Marker, Amf3Marker } from './amf-markers.js';
export { decodeAmf0, decodeAmf0Value } from './amf0-decoder.js';
export { encodeAmf0, encodeAmf0Value, MAX_ENCODE_DEPTH } from './amf0-encoder.js';
export { decodeAmf3, decodeAmf3Value } from './amf3-decoder.js';
