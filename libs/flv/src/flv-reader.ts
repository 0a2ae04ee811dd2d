/**
 * Incremental FLV file demuxer (FLV 10.1 Annex E): push bytes in any slicing, get whole tags out.
 * A tag is emitted once its body and its PreviousTagSize have arrived and the size checks out.
 */
import { ByteQueue, ByteReader, ProtocolError, checkLimit } from '@headwater/bytes';
import { FLV_HEADER_BYTES, parseFlvHeader } from './flv-header.js';
import type { FlvHeader } from './flv-header.js';
import { FLV_TAG_HEADER_BYTES, PREVIOUS_TAG_SIZE_BYTES, isFlvTagType } from './flv-tag.js';
import type { FlvTag, FlvTagType } from './flv-tag.js';

/** Default cap on one tag's DataSize, checked before its body is buffered. */
export const MAX_TAG_BYTES = 8 * 1024 * 1024;

export interface FlvReaderOptions {
  /** Largest DataSize accepted. @defaultValue {@link MAX_TAG_BYTES} */
  maxTagBytes?: number;
}

type ReaderState = 'header' | 'header-padding' | 'previous-tag-size-0' | 'tag-header' | 'tag-body';

interface PendingTag {
  type: FlvTagType;
  dataSize: number;
  timestampMs: number;
  streamId: number;
  offset: number;
}

/** Demuxes an FLV byte stream. After a ProtocolError every later call throws it again. */
export class FlvReader {
  /** The file header, once its 9 bytes have arrived. */
  header: FlvHeader | undefined;
  private readonly queue = new ByteQueue();
  private readonly maxTagBytes: number;
  private state: ReaderState = 'header';
  /** File offset of the queue's first byte. */
  private position = 0;
  private paddingLeft = 0;
  private pending: PendingTag | undefined;
  private failure: ProtocolError | undefined;

  constructor(options: FlvReaderOptions = {}) {
    this.maxTagBytes = options.maxTagBytes ?? MAX_TAG_BYTES;
  }

  /** Consumes `bytes` and returns the tags completed by them, in file order. */
  push(bytes: Uint8Array): FlvTag[] {
    if (this.failure) throw this.failure;
    this.queue.push(bytes);
    const out: FlvTag[] = [];
    try {
      while (this.step(out));
    } catch (err) {
      if (err instanceof ProtocolError) this.failure = err;
      throw err;
    }
    return out;
  }

  /** Declares the end of the file: throws if a header or tag is incomplete. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.state === 'tag-header' && this.queue.length === 0) return;
    this.failure = new ProtocolError(
      'flv-truncated',
      `FLV ended inside ${this.state === 'tag-body' || this.state === 'tag-header' ? 'a tag' : 'the file header'} at offset ${this.position + this.queue.length}`,
    );
    throw this.failure;
  }

  /** Advances one state if enough bytes are buffered; false when waiting for more. */
  private step(out: FlvTag[]): boolean {
    switch (this.state) {
      case 'header': {
        if (this.queue.length < FLV_HEADER_BYTES) return false;
        this.header = parseFlvHeader(this.take(FLV_HEADER_BYTES));
        this.paddingLeft = this.header.dataOffset - FLV_HEADER_BYTES;
        this.state = 'header-padding';
        return true;
      }
      case 'header-padding': {
        const n = Math.min(this.paddingLeft, this.queue.length);
        this.queue.skip(n);
        this.position += n;
        this.paddingLeft -= n;
        if (this.paddingLeft > 0) return false;
        this.state = 'previous-tag-size-0';
        return true;
      }
      case 'previous-tag-size-0': {
        if (this.queue.length < PREVIOUS_TAG_SIZE_BYTES) return false;
        const size0 = new ByteReader(this.take(PREVIOUS_TAG_SIZE_BYTES)).u32();
        if (size0 !== 0) throw new ProtocolError('flv-bad-previous-tag-size', `PreviousTagSize0 is ${size0}, expected 0`);
        this.state = 'tag-header';
        return true;
      }
      case 'tag-header': {
        if (this.queue.length < FLV_TAG_HEADER_BYTES) return false;
        const offset = this.position;
        const r = new ByteReader(this.take(FLV_TAG_HEADER_BYTES));
        const typeByte = r.u8();
        if (typeByte & 0x20) throw new ProtocolError('flv-encrypted-tag', `encrypted (Filter=1) tag at offset ${offset}`);
        if (!isFlvTagType(typeByte)) throw new ProtocolError('flv-unknown-tag-type', `unknown TagType ${typeByte} at offset ${offset}`);
        const dataSize = r.u24();
        checkLimit('FLV tag DataSize', dataSize, this.maxTagBytes);
        const low = r.u24();
        const timestampMs = r.u8() * 0x1000000 + low;
        const streamId = r.u24();
        this.pending = { type: typeByte, dataSize, timestampMs, streamId, offset };
        this.state = 'tag-body';
        return true;
      }
      case 'tag-body': {
        const p = this.pending!;
        if (this.queue.length < p.dataSize + PREVIOUS_TAG_SIZE_BYTES) return false;
        // An owned copy: pushed chunks may be reused by the caller, and tags outlive them.
        const body = new Uint8Array(p.dataSize);
        this.queue.copyTo(body, 0, p.dataSize);
        this.position += p.dataSize;
        const previous = new ByteReader(this.take(PREVIOUS_TAG_SIZE_BYTES)).u32();
        const expected = FLV_TAG_HEADER_BYTES + p.dataSize;
        if (previous !== expected) {
          throw new ProtocolError('flv-bad-previous-tag-size', `PreviousTagSize ${previous} after the tag at offset ${p.offset}, expected ${expected}`);
        }
        out.push({ type: p.type, timestampMs: p.timestampMs, streamId: p.streamId, body, offset: p.offset });
        this.pending = undefined;
        this.state = 'tag-header';
        return true;
      }
      default: {
        const never: never = this.state;
        throw new ProtocolError('flv-bad-state', `unknown reader state ${String(never)}`);
      }
    }
  }

  private take(n: number): Uint8Array {
    this.position += n;
    return this.queue.take(n);
  }
}
