import { ByteWriter, ProtocolError } from '@headwater/bytes';
import { Amf0Marker, Amf3Marker } from './amf-markers.js';
import { amfClassName, isEcmaArray } from './amf-value.js';
import type { AmfObject, AmfValue } from './amf-value.js';
import { encodeUtf8, utf8Length } from './utf8.js';

/** Deepest nesting the encoder follows: our own values are shallow, this only stops a cycle. */
export const MAX_ENCODE_DEPTH = 256;

const MAX_U16 = 0xffff;
/** Largest AMF3 U29 length field: 2^28 - 1 (one bit goes to the inline flag). */
const MAX_U29_LENGTH = 0x0fffffff;

/** Encodes values back to back (an RTMP command or data message body). */
export function encodeAmf0(values: readonly AmfValue[]): Uint8Array {
  let size = 0;
  for (const v of values) size += encodedSize(v, 0);
  // Sized up front: one exact allocation, and a cycle fails here before anything is written.
  const writer = new ByteWriter(Math.max(size, 1));
  for (const v of values) encodeAmf0Value(writer, v);
  return writer.finish();
}

/**
 * Appends one AMF0 value. Objects marked with `ecmaArray()` become 0x08, with a class name 0x10,
 * others 0x03; JS arrays 0x0A; strings over 65535 UTF-8 bytes 0x0C; byte arrays go through the
 * AVM+ marker as an AMF3 ByteArray. Throws ProtocolError('amf-unencodable') for what AMF0 cannot
 * carry (an empty or over-long property name, a cycle, a non-AMF value).
 */
export function encodeAmf0Value(writer: ByteWriter, v: AmfValue): void {
  write(writer, v, 0);
}

function checkDepth(depth: number): void {
  if (depth > MAX_ENCODE_DEPTH) throw new ProtocolError('amf-unencodable', `nesting deeper than ${MAX_ENCODE_DEPTH} (cycle?)`);
}

/** Bytes `write` will produce for `v` (names are validated by `write`, not here). */
function encodedSize(v: AmfValue, depth: number): number {
  checkDepth(depth);
  switch (typeof v) {
    case 'number':
      return 9;
    case 'boolean':
      return 2;
    case 'string': {
      const n = utf8Length(v);
      return (n > MAX_U16 ? 5 : 3) + n;
    }
    case 'undefined':
      return 1;
    case 'object': {
      if (v === null) return 1;
      if (v instanceof Date) return 11;
      if (v instanceof Uint8Array) return 2 + u29Size((v.length << 1) | 1) + v.length;
      if (Array.isArray(v)) {
        let n = 5;
        for (let i = 0; i < v.length; i++) n += encodedSize(v[i], depth + 1);
        return n;
      }
      const className = amfClassName(v);
      let n = className !== undefined ? 3 + utf8Length(className) : isEcmaArray(v) ? 5 : 1;
      for (const key of Object.keys(v)) n += 2 + utf8Length(key) + encodedSize(v[key], depth + 1);
      return n + 3;
    }
    default:
      throw new ProtocolError('amf-unencodable', `cannot encode a ${typeof v} as AMF0`);
  }
}

function u29Size(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : 4;
}

function write(w: ByteWriter, v: AmfValue, depth: number): void {
  checkDepth(depth);
  switch (typeof v) {
    case 'number':
      w.u8(Amf0Marker.Number).f64(v);
      return;
    case 'boolean':
      w.u8(Amf0Marker.Boolean).u8(v ? 1 : 0);
      return;
    case 'string':
      writeString(w, v);
      return;
    case 'undefined':
      w.u8(Amf0Marker.Undefined);
      return;
    case 'object':
      if (v === null) w.u8(Amf0Marker.Null);
      else if (v instanceof Date) w.u8(Amf0Marker.Date).f64(v.getTime()).i16(0);
      else if (v instanceof Uint8Array) writeByteArray(w, v);
      else if (Array.isArray(v)) {
        w.u8(Amf0Marker.StrictArray).u32(v.length);
        for (let i = 0; i < v.length; i++) write(w, v[i], depth + 1);
      } else writeObject(w, v, depth);
      return;
    default:
      throw new ProtocolError('amf-unencodable', `cannot encode a ${typeof v} as AMF0`);
  }
}

function writeString(w: ByteWriter, s: string): void {
  const utf8 = encodeUtf8(s);
  if (utf8.length > MAX_U16) w.u8(Amf0Marker.LongString).u32(utf8.length).bytes(utf8);
  else w.u8(Amf0Marker.String).u16(utf8.length).bytes(utf8);
}

function writeName(w: ByteWriter, name: string): void {
  const utf8 = encodeUtf8(name);
  // An empty name is the object end marker's prefix: AMF0 cannot carry it as a property.
  if (utf8.length === 0) throw new ProtocolError('amf-unencodable', 'AMF0 cannot encode an empty property name');
  if (utf8.length > MAX_U16) throw new ProtocolError('amf-unencodable', `AMF0 name of ${utf8.length} bytes exceeds 65535`);
  w.u16(utf8.length).bytes(utf8);
}

function writeObject(w: ByteWriter, obj: AmfObject, depth: number): void {
  const keys = Object.keys(obj);
  const className = amfClassName(obj);
  if (className !== undefined) {
    w.u8(Amf0Marker.TypedObject);
    const utf8 = encodeUtf8(className);
    if (utf8.length > MAX_U16) throw new ProtocolError('amf-unencodable', `AMF0 class name of ${utf8.length} bytes exceeds 65535`);
    w.u16(utf8.length).bytes(utf8);
  } else if (isEcmaArray(obj)) {
    w.u8(Amf0Marker.EcmaArray).u32(keys.length);
  } else {
    w.u8(Amf0Marker.Object);
  }
  for (const key of keys) {
    writeName(w, key);
    write(w, obj[key], depth + 1);
  }
  w.u16(0).u8(Amf0Marker.ObjectEnd);
}

function writeByteArray(w: ByteWriter, bytes: Uint8Array): void {
  if (bytes.length > MAX_U29_LENGTH) throw new ProtocolError('amf-unencodable', `byte array of ${bytes.length} bytes exceeds the AMF3 limit`);
  w.u8(Amf0Marker.AvmPlus).u8(Amf3Marker.ByteArray);
  writeU29(w, (bytes.length << 1) | 1);
  w.bytes(bytes);
}

/** AMF3 U29 (AMF3 spec §1.3.1), for values below 2^29. */
export function writeU29(w: ByteWriter, v: number): void {
  if (v < 0x80) w.u8(v);
  else if (v < 0x4000) w.u8((v >>> 7) | 0x80).u8(v & 0x7f);
  else if (v < 0x200000) w.u8((v >>> 14) | 0x80).u8(((v >>> 7) & 0x7f) | 0x80).u8(v & 0x7f);
  else w.u8((v >>> 22) | 0x80).u8(((v >>> 15) & 0x7f) | 0x80).u8(((v >>> 8) & 0x7f) | 0x80).u8(v & 0xff);
}
