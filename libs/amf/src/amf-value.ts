/**
 * The value model shared by the AMF0 and AMF3 codecs (reference §5).
 *
 * Objects are null-prototype records so hostile keys (`__proto__`, `constructor`) are plain
 * data. Two invisible marks ride on objects as registered symbols (so copies of this package
 * agree on them, and object spread keeps them): ECMA arrays (AMF0 0x08) and typed objects'
 * class names (AMF0 0x10, AMF3 traits with a class name).
 */

/** Any value AMF0/AMF3 can carry. Byte arrays only exist in AMF3 (the encoder writes them via 0x11). */
export type AmfValue = number | boolean | string | null | undefined | Date | Uint8Array | AmfValue[] | AmfObject;

/** An anonymous object, ECMA array or typed object: string keys to values. */
export interface AmfObject {
  [key: string]: AmfValue;
}

const ECMA_ARRAY = Symbol.for('headwater.amf.ecmaArray');
const CLASS_NAME = Symbol.for('headwater.amf.className');

/** A fresh null-prototype object, optionally filled from `props` (own enumerable string keys). */
export function amfObjectOf(props: Readonly<Record<string, AmfValue>> = {}): AmfObject {
  const out = Object.create(null) as AmfObject;
  for (const key of Object.keys(props)) out[key] = props[key];
  return out;
}

/** An object the AMF0 encoder writes as an ECMA array (0x08), as onMetaData uses. */
export function ecmaArray(props: Readonly<Record<string, AmfValue>> = {}): AmfObject {
  return markEcmaArray(amfObjectOf(props));
}

/** An object the AMF0 encoder writes as a typed object (0x10) with `className`. */
export function typedObject(className: string, props: Readonly<Record<string, AmfValue>> = {}): AmfObject {
  return markClassName(amfObjectOf(props), className);
}

/** True for objects decoded from (or made to be encoded as) an AMF0 ECMA array. */
export function isEcmaArray(v: unknown): v is AmfObject {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[ECMA_ARRAY] === true;
}

/** The class name of a typed object (AMF0 0x10 or a named AMF3 class), else undefined. */
export function amfClassName(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const name = (v as Record<symbol, unknown>)[CLASS_NAME];
  return typeof name === 'string' ? name : undefined;
}

/** @internal Marks `obj` as an ECMA array in place. */
export function markEcmaArray(obj: AmfObject): AmfObject {
  (obj as Record<symbol, unknown>)[ECMA_ARRAY] = true;
  return obj;
}

/** @internal Records a typed object's class name in place. */
export function markClassName(obj: AmfObject, className: string): AmfObject {
  (obj as Record<symbol, unknown>)[CLASS_NAME] = className;
  return obj;
}

/** True for an AmfObject: not null, an array, a Date or a byte array. */
export function isAmfObject(v: unknown): v is AmfObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

/** `v` as an object, or undefined when it is anything else. */
export function amfObject(v: AmfValue): AmfObject | undefined {
  return isAmfObject(v) ? v : undefined;
}

/** `v` as a strict array, or undefined. */
export function amfArray(v: AmfValue): AmfValue[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

function own(obj: AmfValue, key: string): AmfValue {
  return isAmfObject(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** `obj[key]` when `obj` is an object and the property is an own string, else undefined. */
export function amfString(obj: AmfValue, key: string): string | undefined {
  const v = own(obj, key);
  return typeof v === 'string' ? v : undefined;
}

/** `obj[key]` when `obj` is an object and the property is an own number, else undefined. */
export function amfNumber(obj: AmfValue, key: string): number | undefined {
  const v = own(obj, key);
  return typeof v === 'number' ? v : undefined;
}

/** `obj[key]` when `obj` is an object and the property is an own boolean, else undefined. */
export function amfBoolean(obj: AmfValue, key: string): boolean | undefined {
  const v = own(obj, key);
  return typeof v === 'boolean' ? v : undefined;
}
