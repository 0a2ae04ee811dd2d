/**
 * Chunk header pieces shared by {@link ChunkParser} and {@link ChunkWriter} (Adobe RTMP 1.0
 * §5.3.1; reference §2).
 */

/** The `fmt` field of the basic header: which message header follows. */
export const ChunkFormat = {
  /** 11 bytes: absolute timestamp, length, type, stream id. Starts a chunk stream. */
  Type0: 0,
  /** 7 bytes: timestamp delta, length, type (stream id inherited). */
  Type1: 1,
  /** 3 bytes: timestamp delta (length, type, stream id inherited). */
  Type2: 2,
  /** 0 bytes: continuation, or a new message repeating the last delta. */
  Type3: 3,
} as const;
export type ChunkFormat = (typeof ChunkFormat)[keyof typeof ChunkFormat];

/** Message header size in bytes, indexed by fmt. */
export const MESSAGE_HEADER_BYTES: readonly [number, number, number, number] = [11, 7, 3, 0];

/** Chunk size in each direction until a Set Chunk Size arrives (§5.4.1). */
export const DEFAULT_CHUNK_SIZE = 128;

/** Largest chunk size the spec allows: bit 31 must be 0 (§5.4.1). */
export const MAX_SPEC_CHUNK_SIZE = 0x7fffffff;

/** Timestamp/delta field value announcing a 4-byte extended timestamp (§5.3.1.3). */
export const EXTENDED_TIMESTAMP_MARKER = 0xffffff;

/** Lowest chunk stream id: 0 and 1 only mark 2- and 3-byte basic headers. */
export const MIN_CSID = 2;

/** Highest chunk stream id, reachable with the 3-byte basic header (65535 + 64). */
export const MAX_CSID = 65599;

/** Chunk stream id reserved for protocol control messages. */
export const CONTROL_CSID = 2;

/** Largest message length expressible in the UI24 length field. */
export const MAX_MESSAGE_LENGTH = 0xffffff;

/** Bytes the basic header for `csid` takes: 1 (2..63), 2 (64..319) or 3 (320..65599). */
export function basicHeaderSize(csid: number): 1 | 2 | 3 {
  if (csid < 64) return 1;
  if (csid < 320) return 2;
  return 3;
}

/**
 * Writes the basic header for `fmt`/`csid` at `offset` and returns the bytes written. The
 * 3-byte form stores csid - 64 little-endian: the first byte after the marker is the LOW byte.
 */
export function writeBasicHeader(out: Uint8Array, offset: number, fmt: ChunkFormat, csid: number): number {
  const size = basicHeaderSize(csid);
  if (size === 1) {
    out[offset] = (fmt << 6) | csid;
  } else if (size === 2) {
    out[offset] = fmt << 6;
    out[offset + 1] = csid - 64;
  } else {
    const id = csid - 64;
    out[offset] = (fmt << 6) | 1;
    out[offset + 1] = id & 0xff;
    out[offset + 2] = id >>> 8;
  }
  return size;
}
