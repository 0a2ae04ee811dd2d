import { ByteQueue, ProtocolError, checkLimit } from '@headwater/bytes';
import { ChunkFormat, DEFAULT_CHUNK_SIZE, EXTENDED_TIMESTAMP_MARKER, MESSAGE_HEADER_BYTES } from './chunk-header.js';
import { parseControlMessage } from './control-messages.js';
import { MessageType } from './message-types.js';
import { DEFAULT_CHUNK_LIMITS, type ChunkLimits } from './rtmp-limits.js';

/** One reassembled RTMP message. */
export interface RtmpMessage {
  /** Chunk stream id it arrived on (2..65599). */
  csid: number;
  /** Message type id (see `MessageType`; unknown ids pass through). */
  type: number;
  /** Message stream id (UI32). */
  streamId: number;
  /** Timestamp in milliseconds, unsigned 32-bit: it wraps after ~49.7 days. */
  timestamp: number;
  /**
   * The payload. Either a view into a slice given to `push()` (whole message in one chunk and
   * one slice) or a buffer the parser allocated for this message alone; the parser never
   * writes to it again, so callers may keep it.
   */
  payload: Uint8Array;
}

/** Smallest reassembly buffer: avoids many tiny regrowths at the default 128-byte chunk size. */
const MIN_ASSEMBLY_BYTES = 64 * 1024;

/** Per-csid state (Adobe RTMP 1.0 §5.3.1.2: fmt 1-3 inherit from the previous chunk). */
interface ChunkStream {
  /** Timestamp of the latest message started on this csid. */
  timestamp: number;
  /** Delta a fmt-3 new message adds again; after fmt 0 it is that chunk's absolute timestamp. */
  delta: number;
  length: number;
  type: number;
  streamId: number;
  /** The latest fmt 0/1/2 header used an extended timestamp, so fmt-3 chunks carry one too. */
  extended: boolean;
  /** The latest extended timestamp value read, which the peek heuristic expects again. */
  extendedValue: number;
  /** A message is partly received on this csid. */
  inProgress: boolean;
  /** Payload bytes of the message in progress received so far. */
  filled: number;
  /** Reassembly buffer of the message in progress (capacity grows up to `length`). */
  buffer: Uint8Array | null;
}

/** What a fmt-1 chunk on a never-seen csid inherits (see the leniency note on ChunkParser). */
const FRESH: Readonly<ChunkStream> = Object.freeze({
  timestamp: 0,
  delta: 0,
  length: 0,
  type: 0,
  streamId: 0,
  extended: false,
  extendedValue: 0,
  inProgress: false,
  filled: 0,
  buffer: null,
});

function u24At(q: ByteQueue, i: number): number {
  return (q.at(i) << 16) | (q.at(i + 1) << 8) | q.at(i + 2);
}

function u32At(q: ByteQueue, i: number): number {
  return ((q.at(i) << 24) | (q.at(i + 1) << 16) | (q.at(i + 2) << 8) | q.at(i + 3)) >>> 0;
}

function u32leAt(q: ByteQueue, i: number): number {
  return (q.at(i) | (q.at(i + 1) << 8) | (q.at(i + 2) << 16) | (q.at(i + 3) << 24)) >>> 0;
}

/**
 * Sans-I/O RTMP chunk stream reader (Adobe RTMP 1.0 §5.3; reference §2): push the bytes that
 * follow the handshake, in whatever slices TCP delivers, and get back every message they
 * complete. `push()` takes ownership of the slices: do not modify them afterwards.
 *
 * Decisions worth knowing:
 * - A chunk is consumed only once its header and data are all queued, so at most one
 *   chunk's worth (<= chunk size) waits in the queue between pushes.
 * - Set Chunk Size (type 1) and Abort (type 2) are applied here, at the exact message boundary
 *   (the very next chunk uses them, even within the same push), and still returned.
 * - A fmt-3 chunk with no message in progress starts a new message with the inherited
 *   length/type/stream id and the last delta added again; after fmt 0 that delta is the fmt-0
 *   absolute timestamp (reference §2, as FFmpeg and SRS read it). When the csid carries
 *   extended timestamps, the 4 extended bytes of such a chunk are always read and become the delta.
 * - Extended timestamps on fmt-3 continuation chunks: SRS's heuristic (reference §2). The 4
 *   bytes are taken as the extended timestamp when they equal the last extended value read on
 *   that csid or the message's timestamp, otherwise as payload (older FFmpeg/librtmp omit
 *   them). Deciding needs 4 bytes past the header, which may belong to the next chunk.
 * - The first chunk on a csid must be fmt 0 (§5.3.1.2.1) except that fmt 1 is accepted, with
 *   stream id 0 and a previous timestamp of 0, because librtmp starts its pings on csid 2 with
 *   fmt 1 (SRS accepts it for that reason). fmt 2/3 there throws `chunk-stream-unknown`.
 * - A fmt 0/1/2 chunk on a csid whose message is unfinished throws `chunk-message-interrupted`.
 * - Memory: a message in a single chunk is a view (or one copy if it straddles slices). Larger
 *   messages are copied into a per-message buffer that grows by doubling from 64 KiB (one allocation for a typical frame) up to the
 *   announced length, so a header announcing 8 MiB followed by 1 byte pins 64 KiB, not 8 MiB;
 *   the sum of these buffers is bounded by `maxBufferedBytes` (`limit-exceeded`).
 * - After a throw the parser is poisoned: every later `push()` rethrows; close the connection.
 */
export class ChunkParser {
  private readonly limits: Readonly<ChunkLimits>;
  private readonly queue = new ByteQueue();
  private readonly streams = new Map<number, ChunkStream>();
  private inChunkSize = DEFAULT_CHUNK_SIZE;
  private received = 0;
  private buffered = 0;
  private failure: unknown = null;

  constructor(limits: Partial<ChunkLimits> = {}) {
    this.limits = { ...DEFAULT_CHUNK_LIMITS, ...limits };
  }

  /** Total bytes handed to `push()` (for Acknowledgements); a JS number, so it passes 2^32. */
  get bytesReceived(): number {
    return this.received;
  }

  /** The peer's current chunk size in bytes. */
  get chunkSize(): number {
    return this.inChunkSize;
  }

  /** Bytes currently held in reassembly buffers of unfinished messages. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Queues `bytes` and returns every message they complete, in arrival order. Throws
   * ProtocolError on malformed input or a broken limit.
   */
  push(bytes: Uint8Array): RtmpMessage[] {
    if (this.failure !== null) throw this.failure;
    this.received += bytes.length;
    this.queue.push(bytes);
    const out: RtmpMessage[] = [];
    try {
      while (this.step(out));
    } catch (err) {
      this.failure = err;
      throw err;
    }
    return out;
  }

  /** Consumes one chunk if it is fully queued; returns false when more bytes are needed. */
  private step(out: RtmpMessage[]): boolean {
    const q = this.queue;
    const avail = q.length;
    if (avail < 1) return false;
    const b0 = q.at(0);
    const fmt = (b0 >>> 6) as ChunkFormat;
    const low = b0 & 0x3f;
    // §5.3.1.1: cs 0 and 1 mark 2- and 3-byte forms; in the 3-byte form b1 is the LOW byte.
    const basicBytes = low === 0 ? 2 : low === 1 ? 3 : 1;
    let pos = basicBytes + MESSAGE_HEADER_BYTES[fmt];
    if (avail < pos) return false;
    const csid = low === 0 ? q.at(1) + 64 : low === 1 ? q.at(1) + q.at(2) * 256 + 64 : low;

    const prev = this.streams.get(csid);
    if (prev === undefined) {
      if (fmt === ChunkFormat.Type2 || fmt === ChunkFormat.Type3) {
        throw new ProtocolError('chunk-stream-unknown', `fmt ${fmt} chunk on chunk stream ${csid} before any fmt 0`);
      }
      checkLimit('chunk streams', this.streams.size + 1, this.limits.maxChunkStreams);
    } else if (prev.inProgress && fmt !== ChunkFormat.Type3) {
      throw new ProtocolError('chunk-message-interrupted', `fmt ${fmt} chunk on chunk stream ${csid} inside an unfinished message`);
    }
    const base = prev ?? FRESH;
    const continuation = base.inProgress;

    let field = 0;
    let length = base.length;
    let type = base.type;
    let streamId = base.streamId;
    switch (fmt) {
      case ChunkFormat.Type0:
        field = u24At(q, basicBytes);
        length = u24At(q, basicBytes + 3);
        type = q.at(basicBytes + 6);
        // The one little-endian field of the protocol (reference, conventions).
        streamId = u32leAt(q, basicBytes + 7);
        break;
      case ChunkFormat.Type1:
        field = u24At(q, basicBytes);
        length = u24At(q, basicBytes + 3);
        type = q.at(basicBytes + 6);
        break;
      case ChunkFormat.Type2:
        field = u24At(q, basicBytes);
        break;
      case ChunkFormat.Type3:
        break;
      default: {
        const never: never = fmt;
        throw new Error(`unreachable fmt ${String(never)}`);
      }
    }
    if (!continuation) checkLimit('message length', length, this.limits.maxMessageBytes);

    // §5.3.1.3: fmt 0/1/2 announce it with 0xFFFFFF; fmt 3 inherits the csid's flag.
    const extended = fmt === ChunkFormat.Type3 ? base.extended : field === EXTENDED_TIMESTAMP_MARKER;
    let extValue = -1;
    if (extended) {
      if (avail < pos + 4) return false;
      const v = u32At(q, pos);
      if (!continuation || v === base.extendedValue || v === base.timestamp) {
        extValue = v;
        pos += 4;
      } // else: a continuation chunk from a client that omits it; the 4 bytes are payload.
    }

    let timestamp = base.timestamp;
    let delta = base.delta;
    if (!continuation) {
      if (fmt === ChunkFormat.Type3) {
        if (extValue >= 0) delta = extValue;
      } else {
        delta = extended ? extValue : field;
      }
      // After fmt 0 the "delta" a later fmt 3 repeats is the absolute timestamp (reference §2).
      timestamp = fmt === ChunkFormat.Type0 ? delta : (base.timestamp + delta) >>> 0;
    }

    const remaining = continuation ? base.length - base.filled : length;
    const dataBytes = Math.min(this.inChunkSize, remaining);
    if (avail < pos + dataBytes) return false;

    // Commit: everything needed is queued.
    q.skip(pos);
    let s = prev;
    if (s === undefined) {
      s = { ...FRESH };
      this.streams.set(csid, s);
    }
    if (!continuation) {
      s.timestamp = timestamp;
      s.delta = delta;
      s.length = length;
      s.type = type;
      s.streamId = streamId;
      if (fmt !== ChunkFormat.Type3) s.extended = extended;
      if (extValue >= 0) s.extendedValue = extValue;
      if (dataBytes === length) {
        this.emit(out, { csid, type, streamId, timestamp, payload: q.take(length) });
        return true;
      }
      s.inProgress = true;
      s.filled = 0;
    }
    this.append(s, dataBytes);
    if (s.filled === s.length) {
      // append() grows the buffer to exactly `length` by the last chunk.
      const payload = s.buffer!;
      this.buffered -= payload.length;
      s.buffer = null;
      s.inProgress = false;
      s.filled = 0;
      this.emit(out, { csid, type: s.type, streamId: s.streamId, timestamp: s.timestamp, payload });
    }
    return true;
  }

  /** Copies `n` queued bytes into the csid's reassembly buffer, growing it within limits. */
  private append(s: ChunkStream, n: number): void {
    const needed = s.filled + n;
    const old = s.buffer;
    const oldCap = old === null ? 0 : old.length;
    if (needed > oldCap) {
      const cap = Math.min(s.length, Math.max(needed, oldCap * 2, MIN_ASSEMBLY_BYTES));
      checkLimit('buffered message bytes', this.buffered - oldCap + cap, this.limits.maxBufferedBytes);
      const next = new Uint8Array(cap);
      if (old !== null) next.set(old.subarray(0, s.filled));
      this.buffered += cap - oldCap;
      s.buffer = next;
    }
    this.queue.copyTo(s.buffer!, s.filled, n);
    s.filled = needed;
  }

  /** Returns a finished message, first applying the chunk-layer control messages (§5.4.1, §5.4.2). */
  private emit(out: RtmpMessage[], msg: RtmpMessage): void {
    if (msg.type === MessageType.SetChunkSize) {
      const ctrl = parseControlMessage(msg.type, msg.payload);
      if (ctrl.type === MessageType.SetChunkSize) {
        checkLimit('chunk size', ctrl.chunkSize, this.limits.maxChunkSize);
        this.inChunkSize = ctrl.chunkSize;
      }
    } else if (msg.type === MessageType.Abort) {
      const ctrl = parseControlMessage(msg.type, msg.payload);
      if (ctrl.type === MessageType.Abort) this.abort(ctrl.csid);
    }
    out.push(msg);
  }

  private abort(csid: number): void {
    const s = this.streams.get(csid);
    if (s === undefined || !s.inProgress) return;
    this.buffered -= s.buffer === null ? 0 : s.buffer.length;
    s.buffer = null;
    s.inProgress = false;
    s.filled = 0;
  }
}
