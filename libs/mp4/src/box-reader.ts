import { ByteReader, ProtocolError } from '@headwater/bytes';

/** Deepest box nesting we walk (an init segment's sample entry children sit at depth 7). */
export const MAX_BOX_DEPTH = 16;
/** Most boxes one read may visit: an init segment has a few dozen; this caps hostile input. */
export const MAX_BOXES = 4096;
/** Largest box size we accept from a 64-bit `largesize` (2^53 - 1: beyond that a JS number loses bytes). */
const MAX_SAFE_BOX_BYTES = Number.MAX_SAFE_INTEGER;

/** One ISO BMFF box (ISO/IEC 14496-12 §4.2): its type and its payload as a view into the input. */
export interface Mp4Box {
  /** The four-character box type (`moov`, `trak`, ...); `uuid` boxes keep `uuid`. */
  readonly type: string;
  /** The bytes after the header (size, type, largesize, extended type). */
  readonly payload: Uint8Array;
  /** Nesting level: top-level boxes are at depth 0. */
  readonly depth: number;
}

/** Counts the boxes visited during one read, against {@link MAX_BOXES}. */
export class BoxBudget {
  private visited = 0;

  /** Counts one more box; throws `limit-exceeded` past the limit. */
  take(): void {
    this.visited++;
    if (this.visited > MAX_BOXES) throw new ProtocolError('limit-exceeded', `more than ${MAX_BOXES} boxes`);
  }
}

/**
 * Splits `data` (a file or a container box's payload) into its child boxes (§4.2). A size of 0
 * means "to the end of the enclosing data"; a size of 1 means a 64-bit largesize follows. Every
 * size is checked against the bytes that are there before anything is sliced.
 */
export function readBoxes(data: Uint8Array, depth: number, budget: BoxBudget): Mp4Box[] {
  if (depth > MAX_BOX_DEPTH) throw new ProtocolError('limit-exceeded', `box nesting deeper than ${MAX_BOX_DEPTH}`);
  const boxes: Mp4Box[] = [];
  const r = new ByteReader(data);
  while (!r.done) {
    budget.take();
    const start = r.offset;
    let size = r.u32();
    const type = r.fourcc();
    if (size === 1) {
      const high = r.u32();
      const low = r.u32();
      size = high * 2 ** 32 + low;
      if (size > MAX_SAFE_BOX_BYTES) throw new ProtocolError('truncated', `${type} box of ${size} bytes is past the end of the data`);
    } else if (size === 0) {
      size = data.length - start;
    }
    if (type === 'uuid') r.skip(16); // extended_type
    const headerBytes = r.offset - start;
    if (size < headerBytes) throw new ProtocolError('bad-box', `${type} box size ${size} is smaller than its header`);
    const payloadBytes = size - headerBytes;
    if (payloadBytes > r.remaining) {
      throw new ProtocolError('truncated', `${type} box needs ${payloadBytes} bytes, only ${r.remaining} left`);
    }
    boxes.push({ type, payload: r.bytes(payloadBytes), depth });
  }
  return boxes;
}

/** The first child of type `type`, or undefined. */
export function findBox(boxes: readonly Mp4Box[], type: string): Mp4Box | undefined {
  return boxes.find((b) => b.type === type);
}

/** The first child of type `type`; throws `missing-box` when there is none. */
export function requireBox(boxes: readonly Mp4Box[], type: string, parent: string): Mp4Box {
  const box = findBox(boxes, type);
  if (!box) throw new ProtocolError('missing-box', `${parent} has no ${type} box`);
  return box;
}

/** The children of a container box. */
export function childrenOf(box: Mp4Box, budget: BoxBudget): Mp4Box[] {
  return readBoxes(box.payload, box.depth + 1, budget);
}

/** A FullBox (§4.2.2): version, flags, and a reader positioned on the fields after them. */
export function readFullBox(box: Mp4Box): { version: number; flags: number; reader: ByteReader } {
  const reader = new ByteReader(box.payload);
  const version = reader.u8();
  const flags = reader.u24();
  return { version, flags, reader };
}
