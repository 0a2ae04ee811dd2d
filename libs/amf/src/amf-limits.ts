import { ProtocolError, checkLimit } from '@headwater/bytes';
import type { AmfValue } from './amf-value.js';

/** Bounds on what one decode call may build from hostile bytes. */
export interface AmfLimits {
  /** Deepest nesting of containers (the top-level value is depth 0). */
  maxDepth: number;
  /** Longest single string (UTF-8 bytes), byte array or XML document. */
  maxStringBytes: number;
  /** Longest strict array / AMF3 dense array, and most sealed members of an AMF3 class. */
  maxArrayLength: number;
  /** Most values one decode call may produce, counting values repeated through references. */
  maxValues: number;
}

/**
 * Defaults sized for RTMP commands and onMetaData: real ones nest 2-3 levels and hold a few
 * dozen values; an RTMP message is at most 16 MiB (UI24 length, reference §2).
 */
export const DEFAULT_AMF_LIMITS: Readonly<AmfLimits> = Object.freeze({
  maxDepth: 32,
  maxStringBytes: 1 << 20,
  maxArrayLength: 1 << 16,
  maxValues: 1 << 18,
});

/**
 * Most bytes one decode call may repeat through references (AMF0 0x07, AMF3 string and object
 * references). References share the JS value, but re-encoding a decoded value (forwarding
 * metadata) writes each repeat out again: this keeps that expansion bounded.
 */
export const MAX_REFERENCED_BYTES = 1 << 20;

/** Most reference-table entries (AMF0 complex values, AMF3 strings/objects/traits) per decode call. */
export const MAX_REFERENCE_TABLE_ENTRIES = 1 << 16;

/** Fills missing limits from the defaults. */
export function resolveLimits(limits?: Partial<AmfLimits>): AmfLimits {
  return { ...DEFAULT_AMF_LIMITS, ...limits };
}

/** A reference-table entry for a complex value: what repeating it costs. */
export interface RefEntry {
  value: AmfValue;
  /** False while its children are being read: a reference to it then would be a cycle. */
  done: boolean;
  /** Values in its expanded subtree, itself included. */
  nodes: number;
  /** Levels below it (0 for an empty container). */
  height: number;
  /** Its expanded encoded size. */
  bytes: number;
}

/** Saved counters at the start of a complex value, see {@link DecodeBudget.open}. */
export interface SubtreeMark {
  readonly depth: number;
  readonly offset: number;
  readonly values: number;
  readonly referencedBytes: number;
  readonly outerDeepest: number;
}

/**
 * Shared accounting for one decode call across AMF0 and embedded AMF3 values: value count,
 * depth reached and bytes repeated through references, all checked before anything is built.
 */
export class DecodeBudget {
  values = 0;
  referencedBytes = 0;
  private deepest = 0;

  constructor(readonly limits: AmfLimits) {}

  /** Counts one value about to be read at `depth`. */
  enter(depth: number): void {
    checkLimit('AMF nesting depth', depth, this.limits.maxDepth);
    this.values++;
    checkLimit('AMF value count', this.values, this.limits.maxValues);
    if (depth > this.deepest) this.deepest = depth;
  }

  /** Starts measuring a complex value (already counted by {@link enter}) whose marker is at `start`. */
  open(depth: number, start: number): SubtreeMark {
    const mark = { depth, offset: start, values: this.values - 1, referencedBytes: this.referencedBytes, outerDeepest: this.deepest };
    this.deepest = depth;
    return mark;
  }

  /** Finishes a complex value started with {@link open} and fills its table entry. */
  close(mark: SubtreeMark, offset: number, entry: RefEntry): void {
    entry.done = true;
    entry.nodes = this.values - mark.values;
    entry.height = this.deepest - mark.depth;
    entry.bytes = offset - mark.offset + (this.referencedBytes - mark.referencedBytes);
    if (mark.outerDeepest > this.deepest) this.deepest = mark.outerDeepest;
  }

  /** Charges a reference at `depth` to `entry`; `code` names the error for a cycle. */
  reference(entry: RefEntry, depth: number, code: string): AmfValue {
    if (!entry.done) throw new ProtocolError(code, 'reference to a value that contains it (cycle)');
    this.repeat(entry.nodes - 1, entry.bytes);
    const reach = depth + entry.height;
    checkLimit('AMF nesting depth', reach, this.limits.maxDepth);
    if (reach > this.deepest) this.deepest = reach;
    return entry.value;
  }

  /** Charges `extraValues` more values and `bytes` repeated bytes. */
  repeat(extraValues: number, bytes: number): void {
    this.values += extraValues;
    checkLimit('AMF value count', this.values, this.limits.maxValues);
    this.referencedBytes += bytes;
    checkLimit('AMF referenced bytes', this.referencedBytes, MAX_REFERENCED_BYTES);
  }
}
