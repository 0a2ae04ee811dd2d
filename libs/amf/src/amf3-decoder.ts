import { ByteReader, ProtocolError, checkLimit } from '@headwater/bytes';
import { DecodeBudget, MAX_REFERENCE_TABLE_ENTRIES, resolveLimits } from './amf-limits.js';
import type { AmfLimits, RefEntry } from './amf-limits.js';
import { Amf3Marker } from './amf-markers.js';
import { amfObjectOf, markClassName, markEcmaArray } from './amf-value.js';
import type { AmfObject, AmfValue } from './amf-value.js';
import { decodeUtf8 } from './utf8.js';

/**
 * Decodes AMF3 values until the end of `bytes`, sharing one set of reference tables.
 * RTMP never sends bare AMF3 (reference §5: it follows an AMF0 0x11 marker); this is for tests
 * and other containers. Throws only ProtocolError.
 */
export function decodeAmf3(bytes: Uint8Array, limits?: Partial<AmfLimits>): AmfValue[] {
  const reader = new ByteReader(bytes);
  const decoder = new Amf3Decoder(reader, new DecodeBudget(resolveLimits(limits)));
  const values: AmfValue[] = [];
  while (!reader.done) values.push(decoder.value(0));
  return values;
}

/** Decodes one AMF3 value at the reader's position with fresh reference tables. */
export function decodeAmf3Value(reader: ByteReader, limits: AmfLimits, depth = 0): AmfValue {
  return new Amf3Decoder(reader, new DecodeBudget(limits)).value(depth);
}

/**
 * @internal The AMF0 decoder's entry after an AVM+ marker (0x11): one AMF3 value sharing the
 * caller's budget. Each marker starts fresh AMF3 reference tables (the switch is not sticky).
 */
export function decodeAmf3In(reader: ByteReader, budget: DecodeBudget, depth: number): AmfValue {
  return new Amf3Decoder(reader, budget).value(depth);
}

interface Traits {
  className: string;
  dynamic: boolean;
  members: string[];
  /** Encoded size of the class and member names, charged when the traits are reused. */
  bytes: number;
}

interface StringEntry {
  value: string;
  bytes: number;
}

/** Signed 29-bit range of AMF3 integers (AMF3 spec §3.6). */
const U29_SIGN = 0x10000000;
const U29_RANGE = 0x20000000;

class Amf3Decoder {
  // AMF3 spec §2.2: three separate tables, indices in order of first appearance.
  private readonly strings: StringEntry[] = [];
  private readonly objects: RefEntry[] = [];
  private readonly traits: Traits[] = [];

  constructor(
    private readonly r: ByteReader,
    private readonly budget: DecodeBudget,
  ) {}

  value(depth: number): AmfValue {
    this.budget.enter(depth);
    const start = this.r.offset;
    const marker = this.r.u8();
    switch (marker) {
      case Amf3Marker.Undefined:
        return undefined;
      case Amf3Marker.Null:
        return null;
      case Amf3Marker.False:
        return false;
      case Amf3Marker.True:
        return true;
      case Amf3Marker.Integer: {
        const v = this.u29();
        return v & U29_SIGN ? v - U29_RANGE : v;
      }
      case Amf3Marker.Double:
        return this.r.f64();
      case Amf3Marker.String:
        return this.string();
      case Amf3Marker.XmlDoc:
      case Amf3Marker.Xml:
        return this.simpleObject(depth, start, (length) => this.text(length));
      case Amf3Marker.Date:
        return this.simpleObject(depth, start, () => new Date(this.r.f64()));
      case Amf3Marker.ByteArray:
        return this.simpleObject(depth, start, (length) => {
          checkLimit('AMF3 byte array bytes', length, this.budget.limits.maxStringBytes);
          return this.r.bytes(length).slice(); // copy: the message buffer is reused
        });
      case Amf3Marker.Array:
        return this.array(depth, start);
      case Amf3Marker.Object:
        return this.object(depth, start);
      case Amf3Marker.VectorInt:
      case Amf3Marker.VectorUint:
      case Amf3Marker.VectorDouble:
      case Amf3Marker.VectorObject:
      case Amf3Marker.Dictionary:
        throw new ProtocolError('amf3-unsupported', `AMF3 marker 0x${marker.toString(16)} (vector/dictionary) is not supported`);
      default:
        throw new ProtocolError('amf3-bad-marker', `unknown AMF3 marker 0x${marker.toString(16).padStart(2, '0')}`);
    }
  }

  /** U29: 1-3 bytes of 7 bits with a continuation bit, then a 4th byte of 8 bits. */
  private u29(): number {
    let v = 0;
    for (let i = 0; i < 3; i++) {
      const b = this.r.u8();
      v = (v << 7) | (b & 0x7f);
      if ((b & 0x80) === 0) return v;
    }
    return (v << 8) | this.r.u8(); // v < 2^21 here, so this stays a positive int32
  }

  private text(length: number): string {
    checkLimit('AMF3 string bytes', length, this.budget.limits.maxStringBytes);
    return decodeUtf8(this.r.bytes(length));
  }

  /** UTF-8-vr: an inline string (added to the table unless empty) or a string reference. */
  private string(): string {
    const header = this.u29();
    if ((header & 1) === 0) {
      const entry = this.strings[header >>> 1];
      if (entry === undefined) throw new ProtocolError('amf3-bad-reference', `string reference ${header >>> 1} to an unknown string`);
      this.budget.repeat(0, entry.bytes);
      return entry.value;
    }
    const length = header >>> 1;
    const value = this.text(length);
    if (length > 0) {
      checkLimit('AMF3 string table entries', this.strings.length + 1, MAX_REFERENCE_TABLE_ENTRIES);
      this.strings.push({ value, bytes: length });
    }
    return value;
  }

  private track(value: AmfValue): RefEntry {
    checkLimit('AMF3 object table entries', this.objects.length + 1, MAX_REFERENCE_TABLE_ENTRIES);
    const entry: RefEntry = { value, done: false, nodes: 0, height: 0, bytes: 0 };
    this.objects.push(entry);
    return entry;
  }

  /** Resolves an object-table reference (U29 header with the low bit clear). */
  private objectReference(header: number, depth: number): AmfValue {
    const entry = this.objects[header >>> 1];
    if (entry === undefined) throw new ProtocolError('amf3-bad-reference', `object reference ${header >>> 1} to an unknown value`);
    return this.budget.reference(entry, depth, 'amf3-bad-reference');
  }

  /** XML, date and byte array: a U29 header (reference or length/flag) then a leaf body. */
  private simpleObject(depth: number, start: number, body: (length: number) => AmfValue): AmfValue {
    const header = this.u29();
    if ((header & 1) === 0) return this.objectReference(header, depth);
    const entry = this.track(undefined);
    const mark = this.budget.open(depth, start);
    entry.value = body(header >>> 1);
    this.budget.close(mark, this.r.offset, entry);
    return entry.value;
  }

  private array(depth: number, start: number): AmfValue {
    const header = this.u29();
    if ((header & 1) === 0) return this.objectReference(header, depth);
    const denseCount = header >>> 1;
    checkLimit('AMF3 dense array length', denseCount, this.budget.limits.maxArrayLength);
    const entry = this.track(undefined);
    const mark = this.budget.open(depth, start);
    // Associative part first (name/value pairs until the empty name), then the dense part.
    const assoc: [string, AmfValue][] = [];
    for (let key = this.string(); key !== ''; key = this.string()) assoc.push([key, this.value(depth + 1)]);
    if (denseCount > this.r.remaining) throw new ProtocolError('truncated', `dense array of ${denseCount} values in ${this.r.remaining} bytes`);
    const dense: AmfValue[] = [];
    for (let i = 0; i < denseCount; i++) dense.push(this.value(depth + 1));
    let result: AmfValue;
    if (assoc.length === 0) {
      result = dense;
    } else {
      // A mixed array has no AMF0/JS array equivalent: an ECMA-array object keyed "0".."n-1" plus names.
      const obj = markEcmaArray(amfObjectOf());
      dense.forEach((v, i) => (obj[String(i)] = v));
      for (const [k, v] of assoc) obj[k] = v;
      result = obj;
    }
    entry.value = result;
    this.budget.close(mark, this.r.offset, entry);
    return result;
  }

  private readTraits(header: number): Traits {
    if ((header & 2) === 0) {
      const traits = this.traits[header >>> 2];
      if (traits === undefined) throw new ProtocolError('amf3-bad-reference', `traits reference ${header >>> 2} to unknown traits`);
      this.budget.repeat(0, traits.bytes);
      return traits;
    }
    if ((header & 4) !== 0) {
      // The body format is private to the class's readExternal: nothing can skip it.
      throw new ProtocolError('amf3-externalizable', 'AMF3 externalizable objects are not supported');
    }
    const sealedCount = header >>> 4;
    checkLimit('AMF3 sealed member count', sealedCount, this.budget.limits.maxArrayLength);
    if (sealedCount > this.r.remaining) throw new ProtocolError('truncated', `${sealedCount} sealed members in ${this.r.remaining} bytes`);
    const before = this.budget.referencedBytes;
    const start = this.r.offset;
    const className = this.string();
    const members: string[] = [];
    for (let i = 0; i < sealedCount; i++) members.push(this.string());
    const bytes = this.r.offset - start + (this.budget.referencedBytes - before);
    checkLimit('AMF3 traits table entries', this.traits.length + 1, MAX_REFERENCE_TABLE_ENTRIES);
    const traits: Traits = { className, dynamic: (header & 8) !== 0, members, bytes };
    this.traits.push(traits);
    return traits;
  }

  private object(depth: number, start: number): AmfValue {
    const header = this.u29();
    if ((header & 1) === 0) return this.objectReference(header, depth);
    const traits = this.readTraits(header);
    const obj: AmfObject = amfObjectOf();
    if (traits.className !== '') markClassName(obj, traits.className);
    const entry = this.track(obj);
    const mark = this.budget.open(depth, start);
    for (const name of traits.members) obj[name] = this.value(depth + 1);
    if (traits.dynamic) {
      for (let key = this.string(); key !== ''; key = this.string()) obj[key] = this.value(depth + 1);
    }
    this.budget.close(mark, this.r.offset, entry);
    return obj;
  }
}
