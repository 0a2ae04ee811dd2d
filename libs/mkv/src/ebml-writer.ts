/**
 * Minimal EBML writer (RFC 8794): element IDs, VINT data sizes, and the element kinds Matroska
 * needs. Elements are built as a tree, sized in one pass and written into one buffer in a
 * second, so binary payloads (frames) are copied exactly once, into the output.
 */
import { ProtocolError, checkLimit } from '@headwater/bytes';

/** Largest data size we write: a VINT of 8 bytes holds 2^56 − 2, a JS number is exact to 2^53 − 1. */
export const MAX_EBML_DATA_SIZE = Number.MAX_SAFE_INTEGER;

/** One EBML element. Build them with the `ebml*` helpers below. */
export type EbmlElement =
  | { readonly kind: 'uint'; readonly id: number; readonly value: number }
  | { readonly kind: 'float'; readonly id: number; readonly value: number }
  | { readonly kind: 'binary'; readonly id: number; readonly parts: readonly Uint8Array[] }
  | { readonly kind: 'master'; readonly id: number; readonly children: readonly EbmlElement[] };

const FLOAT_BYTES = 8;
const utf8 = new TextEncoder();

/** An unsigned integer element (RFC 8794 §7.2), written in the fewest bytes (at least one). */
export function ebmlUint(id: number, value: number): EbmlElement {
  if (!Number.isSafeInteger(value) || value < 0) throw new ProtocolError('bad-argument', `EBML uint ${value} is not a safe unsigned integer`);
  return { kind: 'uint', id: checkId(id), value };
}

/** A float element (RFC 8794 §7.3), always written as an 8-byte IEEE 754 double. */
export function ebmlFloat(id: number, value: number): EbmlElement {
  if (!Number.isFinite(value)) throw new ProtocolError('bad-argument', `EBML float ${value} is not finite`);
  return { kind: 'float', id: checkId(id), value };
}

/** A String or UTF-8 element (RFC 8794 §7.4, §7.5): stored as UTF-8 bytes, without a terminator. */
export function ebmlString(id: number, value: string): EbmlElement {
  return { kind: 'binary', id: checkId(id), parts: [utf8.encode(value)] };
}

/** A Binary element (RFC 8794 §7.8) whose payload is the concatenation of `parts` (views, not copied here). */
export function ebmlBinary(id: number, ...parts: Uint8Array[]): EbmlElement {
  return { kind: 'binary', id: checkId(id), parts };
}

/** A Master element (RFC 8794 §7.7) of known size. */
export function ebmlMaster(id: number, children: readonly EbmlElement[]): EbmlElement {
  return { kind: 'master', id: checkId(id), children };
}

/**
 * Bytes of an element ID: the ID is given with its VINT_MARKER included (as the specifications
 * write them, e.g. 0x1A45DFA3), and its width is the position of that marker (RFC 8794 §5).
 */
export function elementIdLength(id: number): number {
  checkId(id);
  if (id >= 0x10000000) return 4;
  if (id >= 0x200000) return 3;
  if (id >= 0x4000) return 2;
  return 1;
}

/**
 * Validates an element ID against RFC 8794 §5's ranges: 0x81–0xFE, 0x407F–0x7FFE,
 * 0x203FFF–0x3FFFFE, 0x101FFFFF–0x1FFFFFFE. That is, the VINT_MARKER in the place its width
 * says, VINT_DATA neither all ones (reserved) nor short enough for a narrower ID.
 */
function checkId(id: number): number {
  if (!Number.isInteger(id) || id < 0x81 || id > 0x1ffffffe) throw new ProtocolError('bad-argument', `invalid EBML ID 0x${id.toString(16)}`);
  const width = id >= 0x10000000 ? 4 : id >= 0x200000 ? 3 : id >= 0x4000 ? 2 : 1;
  const marker = 2 ** (7 * width);
  const data = id - marker;
  const minData = width === 1 ? 1 : 2 ** (7 * (width - 1)) - 1;
  if (data < minData || data > marker - 2) throw new ProtocolError('bad-argument', `invalid EBML ID 0x${id.toString(16)}`);
  return id;
}

/** Bytes of the shortest VINT that encodes `value` (all-ones VINT_DATA is reserved for "unknown size"). */
export function vintLength(value: number): number {
  checkVintValue(value);
  let width = 1;
  while (value > 2 ** (7 * width) - 2) width++;
  return width;
}

/**
 * Encodes `value` as a VINT (RFC 8794 §4): a VINT_MARKER bit after `width − 1` zero bits, then
 * the value big-endian. `width` defaults to the shortest that fits; a wider one is allowed.
 */
export function encodeVint(value: number, width: number = vintLength(value)): Uint8Array {
  const out = new Uint8Array(width);
  writeVint(out, 0, value, width);
  return out;
}

function checkVintValue(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new ProtocolError('bad-argument', `VINT value ${value} is not a safe unsigned integer`);
  checkLimit('EBML data size', value, MAX_EBML_DATA_SIZE);
}

function writeVint(out: Uint8Array, at: number, value: number, width: number): void {
  checkVintValue(value);
  if (!Number.isInteger(width) || width < 1 || width > 8 || value > 2 ** (7 * width) - 2) {
    throw new ProtocolError('bad-argument', `VINT value ${value} does not fit in ${width} bytes`);
  }
  let v = value;
  for (let i = width - 1; i >= 0; i--) {
    out[at + i] = v % 256;
    v = Math.floor(v / 256);
  }
  out[at] = out[at]! | (0x80 >> (width - 1));
}

function uintLength(value: number): number {
  let n = 1;
  while (value >= 2 ** (8 * n)) n++;
  return n;
}

/** Payload size of an element, memoised for masters so each subtree is sized once. */
function dataSize(el: EbmlElement, memo: Map<EbmlElement, number>): number {
  switch (el.kind) {
    case 'uint':
      return uintLength(el.value);
    case 'float':
      return FLOAT_BYTES;
    case 'binary':
      return el.parts.reduce((n, p) => n + p.length, 0);
    case 'master': {
      const known = memo.get(el);
      if (known !== undefined) return known;
      let n = 0;
      for (const c of el.children) n += elementSize(c, memo);
      memo.set(el, n);
      return n;
    }
    default: {
      const never: never = el;
      throw new ProtocolError('bad-argument', `unknown EBML element kind ${String(never)}`);
    }
  }
}

function elementSize(el: EbmlElement, memo: Map<EbmlElement, number>): number {
  const size = dataSize(el, memo);
  return elementIdLength(el.id) + vintLength(size) + size;
}

/** Total encoded bytes of `elements` (IDs, sizes and payloads). */
export function ebmlByteLength(elements: readonly EbmlElement[]): number {
  const memo = new Map<EbmlElement, number>();
  return elements.reduce((n, el) => n + elementSize(el, memo), 0);
}

/** Encodes elements one after the other into a new buffer of exactly their size. */
export function encodeEbml(elements: readonly EbmlElement[]): Uint8Array {
  const memo = new Map<EbmlElement, number>();
  const total = elements.reduce((n, el) => n + elementSize(el, memo), 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const el of elements) at = writeElement(out, view, at, el, memo);
  return out;
}

function writeElement(out: Uint8Array, view: DataView, start: number, el: EbmlElement, memo: Map<EbmlElement, number>): number {
  let at = start;
  const idBytes = elementIdLength(el.id);
  for (let i = idBytes - 1; i >= 0; i--) out[at + idBytes - 1 - i] = Math.floor(el.id / 2 ** (8 * i)) & 0xff;
  at += idBytes;
  const size = dataSize(el, memo);
  const sizeBytes = vintLength(size);
  writeVint(out, at, size, sizeBytes);
  at += sizeBytes;
  switch (el.kind) {
    case 'uint': {
      let v = el.value;
      for (let i = size - 1; i >= 0; i--) {
        out[at + i] = v % 256;
        v = Math.floor(v / 256);
      }
      return at + size;
    }
    case 'float':
      view.setFloat64(at, el.value);
      return at + FLOAT_BYTES;
    case 'binary':
      for (const p of el.parts) {
        out.set(p, at);
        at += p.length;
      }
      return at;
    case 'master':
      for (const c of el.children) at = writeElement(out, view, at, c, memo);
      return at;
    default: {
      const never: never = el;
      throw new ProtocolError('bad-argument', `unknown EBML element kind ${String(never)}`);
    }
  }
}
