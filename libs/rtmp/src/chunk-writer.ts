import {
  ChunkFormat,
  DEFAULT_CHUNK_SIZE,
  EXTENDED_TIMESTAMP_MARKER,
  MAX_CSID,
  MAX_MESSAGE_LENGTH,
  MAX_SPEC_CHUNK_SIZE,
  MESSAGE_HEADER_BYTES,
  MIN_CSID,
  basicHeaderSize,
  writeBasicHeader,
} from './chunk-header.js';
import { MessageType } from './message-types.js';

/** A message to send; the same shape as a parsed `RtmpMessage`. */
export interface OutgoingMessage {
  /** Chunk stream id, 2..65599 (2 for protocol control). */
  csid: number;
  /** Message type id, 0..255. */
  type: number;
  /** Message stream id (UI32). */
  streamId: number;
  /** Timestamp in milliseconds; taken modulo 2^32. */
  timestamp: number;
  /** Payload, at most 0xFFFFFF bytes; never copied. */
  payload: Uint8Array;
}

/** What the peer will remember about a csid after our last message on it. */
interface WriterStream {
  timestamp: number;
  /** The value the last fmt 0/1/2 header carried: delta, or the absolute timestamp after fmt 0. */
  delta: number;
  length: number;
  type: number;
  streamId: number;
}

/**
 * Sans-I/O RTMP chunk stream writer (Adobe RTMP 1.0 §5.3; reference §2). `write()` returns
 * header slices interleaved with zero-copy payload views, ready for `socket.cork()` + writes.
 *
 * Header choice per message: fmt 0 for the first message on a csid, a new stream id, or time
 * going backwards (serial arithmetic: a delta of 2^31 or more); otherwise fmt 1 when length or
 * type changed, fmt 3 when the delta equals the last one (after fmt 0 that is the absolute
 * timestamp, as the parser reads it), else fmt 2. Continuation chunks are fmt 3 and repeat the
 * extended timestamp when the header had one, as librtmp and FFmpeg do.
 *
 * Writing a Set Chunk Size message (type 1) switches this writer to the new size right after
 * it, mirroring what the peer does; calling `setChunkSize()` with the same value again is harmless.
 * Caller mistakes (bad csid, oversized payload) throw RangeError.
 */
export class ChunkWriter {
  private outChunkSize = DEFAULT_CHUNK_SIZE;
  private readonly streams = new Map<number, WriterStream>();

  /** Our current outbound chunk size in bytes. */
  get chunkSize(): number {
    return this.outChunkSize;
  }

  /** Sets the outbound chunk size (1..0x7FFFFFFF) for following messages. */
  setChunkSize(chunkSize: number): void {
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_SPEC_CHUNK_SIZE) {
      throw new RangeError(`chunk size must be in 1..${MAX_SPEC_CHUNK_SIZE}, got ${chunkSize}`);
    }
    this.outChunkSize = chunkSize;
  }

  /** Chunks one message: [header, payload part, header, payload part, ...]. */
  write(msg: OutgoingMessage): Uint8Array[] {
    const { csid, type, streamId, payload } = msg;
    if (!Number.isInteger(csid) || csid < MIN_CSID || csid > MAX_CSID) throw new RangeError(`csid must be in ${MIN_CSID}..${MAX_CSID}, got ${csid}`);
    if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new RangeError(`message type must be a UI8, got ${type}`);
    if (!Number.isInteger(streamId) || streamId < 0 || streamId > 0xffffffff) throw new RangeError(`stream id must be a UI32, got ${streamId}`);
    if (payload.length > MAX_MESSAGE_LENGTH) throw new RangeError(`payload of ${payload.length} bytes exceeds the UI24 length field`);
    if (!Number.isFinite(msg.timestamp)) throw new RangeError(`timestamp must be finite, got ${msg.timestamp}`);
    const timestamp = msg.timestamp >>> 0;
    const length = payload.length;
    // Validate a Set Chunk Size before any state changes, so a throw leaves the writer intact.
    let nextChunkSize = this.outChunkSize;
    if (type === MessageType.SetChunkSize && length >= 4) {
      nextChunkSize = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0);
      if (nextChunkSize < 1 || nextChunkSize > MAX_SPEC_CHUNK_SIZE) throw new RangeError(`Set Chunk Size ${nextChunkSize} is outside 1..${MAX_SPEC_CHUNK_SIZE}`);
    }

    const prev = this.streams.get(csid);
    let fmt: ChunkFormat = ChunkFormat.Type0;
    let value = timestamp;
    if (prev !== undefined && prev.streamId === streamId) {
      const delta = (timestamp - prev.timestamp) >>> 0;
      if (delta < 0x80000000) {
        value = delta;
        if (prev.length !== length || prev.type !== type) fmt = ChunkFormat.Type1;
        else fmt = delta === prev.delta ? ChunkFormat.Type3 : ChunkFormat.Type2;
      }
    }
    const extended = value >= EXTENDED_TIMESTAMP_MARKER;
    this.streams.set(csid, { timestamp, delta: value, length, type, streamId });

    const chunkSize = this.outChunkSize;
    const chunks = Math.max(1, Math.ceil(length / chunkSize));
    const basic = basicHeaderSize(csid);
    const extBytes = extended ? 4 : 0;
    const firstBytes = basic + MESSAGE_HEADER_BYTES[fmt] + extBytes;
    const contBytes = basic + extBytes;
    const headers = new Uint8Array(firstBytes + (chunks - 1) * contBytes);
    const view = new DataView(headers.buffer);

    let at = writeBasicHeader(headers, 0, fmt, csid);
    const field = extended ? EXTENDED_TIMESTAMP_MARKER : value;
    if (fmt !== ChunkFormat.Type3) {
      writeU24(headers, at, field);
      at += 3;
    }
    if (fmt === ChunkFormat.Type0 || fmt === ChunkFormat.Type1) {
      writeU24(headers, at, length);
      headers[at + 3] = type;
      at += 4;
    }
    if (fmt === ChunkFormat.Type0) {
      view.setUint32(at, streamId, true); // little-endian, §5.3.1.2.1
      at += 4;
    }
    if (extended) {
      view.setUint32(at, value);
      at += 4;
    }

    const out: Uint8Array[] = [headers.subarray(0, at)];
    for (let off = 0; off < length; off += chunkSize) {
      if (off > 0) {
        const start = at;
        at += writeBasicHeader(headers, at, ChunkFormat.Type3, csid);
        if (extended) {
          view.setUint32(at, value);
          at += 4;
        }
        out.push(headers.subarray(start, at));
      }
      out.push(payload.subarray(off, Math.min(length, off + chunkSize)));
    }

    this.outChunkSize = nextChunkSize;
    return out;
  }
}

function writeU24(out: Uint8Array, at: number, v: number): void {
  out[at] = (v >>> 16) & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = v & 0xff;
}
