import { ByteReader, ProtocolError, checkLimit } from '@headwater/bytes';
import { DecodeBudget, MAX_REFERENCE_TABLE_ENTRIES, resolveLimits } from './amf-limits.js';
import type { AmfLimits, RefEntry } from './amf-limits.js';
import { Amf0Marker } from './amf-markers.js';
import { amfObjectOf, markClassName, markEcmaArray } from './amf-value.js';
import type { AmfObject, AmfValue } from './amf-value.js';
import { decodeAmf3In } from './amf3-decoder.js';
import { decodeUtf8 } from './utf8.js';

/**
 * Decodes AMF0 values until the end of `bytes` (one RTMP command or data message body).
 * References (0x07) resolve across all values of the call. Throws only ProtocolError.
 */
export function decodeAmf0(bytes: Uint8Array, limits?: Partial<AmfLimits>): AmfValue[] {
  const reader = new ByteReader(bytes);
  const decoder = new Amf0Decoder(reader, new DecodeBudget(resolveLimits(limits)));
  const values: AmfValue[] = [];
  while (!reader.done) values.push(decoder.value(0));
  return values;
}

/**
 * Decodes one AMF0 value at the reader's position, for callers that interleave AMF with other
 * fields. Each call has its own reference table and budget. Throws only ProtocolError.
 */
export function decodeAmf0Value(reader: ByteReader, limits: AmfLimits, depth = 0): AmfValue {
  return new Amf0Decoder(reader, new DecodeBudget(limits)).value(depth);
}

class Amf0Decoder {
  // AMF0 spec §2.9: objects, typed objects, ECMA arrays and strict arrays, in order of appearance.
  private readonly refs: RefEntry[] = [];

  constructor(
    private readonly r: ByteReader,
    private readonly budget: DecodeBudget,
  ) {}

  value(depth: number): AmfValue {
    this.budget.enter(depth);
    const start = this.r.offset;
    const marker = this.r.u8();
    switch (marker) {
      case Amf0Marker.Number:
        return this.r.f64();
      case Amf0Marker.Boolean:
        return this.r.u8() !== 0;
      case Amf0Marker.String:
        return this.string(this.r.u16());
      case Amf0Marker.LongString:
      case Amf0Marker.XmlDocument:
        return this.string(this.r.u32());
      case Amf0Marker.Null:
        return null;
      case Amf0Marker.Undefined:
      case Amf0Marker.Unsupported:
        return undefined;
      case Amf0Marker.Date: {
        const ms = this.r.f64();
        this.r.skip(2); // SI16 time zone: reserved, always 0 in practice
        return new Date(ms);
      }
      case Amf0Marker.Object:
        return this.object(depth, start, amfObjectOf(), false);
      case Amf0Marker.EcmaArray:
        this.r.skip(4); // the count is only a hint (reference §5): read until the end marker
        return this.object(depth, start, markEcmaArray(amfObjectOf()), true);
      case Amf0Marker.TypedObject: {
        const className = this.string(this.r.u16());
        return this.object(depth, start, markClassName(amfObjectOf(), className), false);
      }
      case Amf0Marker.StrictArray:
        return this.strictArray(depth, start);
      case Amf0Marker.Reference: {
        const index = this.r.u16();
        const entry = this.refs[index];
        if (entry === undefined) throw new ProtocolError('amf0-bad-reference', `reference ${index} to an unknown value`);
        return this.budget.reference(entry, depth, 'amf0-bad-reference');
      }
      case Amf0Marker.AvmPlus:
        return decodeAmf3In(this.r, this.budget, depth);
      default:
        // 0x04 movie clip and 0x0e record set are reserved; 0x09 is only valid after an empty key.
        throw new ProtocolError('amf0-bad-marker', `unexpected AMF0 marker 0x${marker.toString(16).padStart(2, '0')}`);
    }
  }

  private string(length: number): string {
    checkLimit('AMF0 string bytes', length, this.budget.limits.maxStringBytes);
    return decodeUtf8(this.r.bytes(length));
  }

  private track(value: AmfValue): RefEntry {
    checkLimit('AMF0 reference table entries', this.refs.length + 1, MAX_REFERENCE_TABLE_ENTRIES);
    const entry: RefEntry = { value, done: false, nodes: 0, height: 0, bytes: 0 };
    this.refs.push(entry);
    return entry;
  }

  private object(depth: number, start: number, obj: AmfObject, ecma: boolean): AmfObject {
    const entry = this.track(obj);
    const mark = this.budget.open(depth, start);
    for (;;) {
      // Some muxers end an ECMA array at the end of the message without 00 00 09: accept that.
      if (ecma && this.r.done) break;
      const keyLength = this.r.u16();
      if (keyLength === 0) {
        const end = this.r.u8();
        if (end !== Amf0Marker.ObjectEnd) throw new ProtocolError('amf0-bad-object-end', 'empty property name not followed by the object end marker');
        break;
      }
      const key = this.string(keyLength);
      obj[key] = this.value(depth + 1);
    }
    this.budget.close(mark, this.r.offset, entry);
    return obj;
  }

  private strictArray(depth: number, start: number): AmfValue[] {
    const count = this.r.u32();
    checkLimit('AMF0 strict array length', count, this.budget.limits.maxArrayLength);
    // Every element takes at least its marker byte.
    if (count > this.r.remaining) throw new ProtocolError('truncated', `strict array of ${count} values in ${this.r.remaining} bytes`);
    const arr: AmfValue[] = [];
    const entry = this.track(arr);
    const mark = this.budget.open(depth, start);
    for (let i = 0; i < count; i++) arr.push(this.value(depth + 1));
    this.budget.close(mark, this.r.offset, entry);
    return arr;
  }
}
