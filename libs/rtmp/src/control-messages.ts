import { ByteReader, ByteWriter, ProtocolError } from '@headwater/bytes';
import { MAX_SPEC_CHUNK_SIZE } from './chunk-header.js';
import { MessageType, PeerBandwidthLimit, UserControlEvent } from './message-types.js';

/**
 * Protocol control messages (types 1-6; Adobe RTMP 1.0 §5.4, §7.1.7; reference §3). Encoders
 * return payloads only: callers send them on csid 2, message stream 0, timestamp 0.
 */

/** Message types 1-6: the ones {@link parseControlMessage} understands. */
export type ControlMessageType =
  | typeof MessageType.SetChunkSize
  | typeof MessageType.Abort
  | typeof MessageType.Acknowledgement
  | typeof MessageType.UserControl
  | typeof MessageType.WindowAckSize
  | typeof MessageType.SetPeerBandwidth;

/** A decoded User Control message (type 4), discriminated by `event`. */
export type UserControl =
  | {
      event:
        | typeof UserControlEvent.StreamBegin
        | typeof UserControlEvent.StreamEOF
        | typeof UserControlEvent.StreamDry
        | typeof UserControlEvent.StreamIsRecorded;
      streamId: number;
    }
  | { event: typeof UserControlEvent.SetBufferLength; streamId: number; bufferLengthMs: number }
  | { event: typeof UserControlEvent.PingRequest | typeof UserControlEvent.PingResponse; timestampMs: number }
  /** An event this library does not model (e.g. FMS's 31/32, SWF verification 26/27): kept raw. */
  | { event: 'other'; eventType: number; data: Uint8Array };

/** A decoded protocol control message, discriminated by message `type`. */
export type ControlMessage =
  | { type: typeof MessageType.SetChunkSize; chunkSize: number }
  | { type: typeof MessageType.Abort; csid: number }
  /** Bytes received so far, modulo 2^32. */
  | { type: typeof MessageType.Acknowledgement; sequenceNumber: number }
  | { type: typeof MessageType.UserControl; userControl: UserControl }
  | { type: typeof MessageType.WindowAckSize; windowBytes: number }
  | { type: typeof MessageType.SetPeerBandwidth; windowBytes: number; limitType: PeerBandwidthLimit };

/** True for message types 1-6. */
export function isControlMessageType(type: number): type is ControlMessageType {
  return type >= MessageType.SetChunkSize && type <= MessageType.SetPeerBandwidth;
}

function u32Arg(what: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} must be a UI32, got ${v}`);
  return v;
}

function u32Payload(v: number): Uint8Array {
  return new ByteWriter(4).u32(v).finish();
}

/** Set Chunk Size (type 1) payload; `chunkSize` in 1..0x7FFFFFFF (bit 31 must be 0, §5.4.1). */
export function setChunkSize(chunkSize: number): Uint8Array {
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_SPEC_CHUNK_SIZE) {
    throw new RangeError(`chunk size must be in 1..${MAX_SPEC_CHUNK_SIZE}, got ${chunkSize}`);
  }
  return u32Payload(chunkSize);
}

/** Abort (type 2) payload: the peer drops the partial message on `csid`. */
export function abort(csid: number): Uint8Array {
  return u32Payload(u32Arg('csid', csid));
}

/**
 * Acknowledgement (type 3) payload. `bytesReceived` may exceed 2^32 (a JS number counter);
 * the wire field wraps, so it is sent modulo 2^32.
 */
export function acknowledgement(bytesReceived: number): Uint8Array {
  if (!Number.isSafeInteger(bytesReceived) || bytesReceived < 0) {
    throw new RangeError(`bytesReceived must be a non-negative integer, got ${bytesReceived}`);
  }
  return u32Payload(bytesReceived % 0x100000000);
}

/** Window Acknowledgement Size (type 5) payload. */
export function windowAckSize(windowBytes: number): Uint8Array {
  return u32Payload(u32Arg('windowBytes', windowBytes));
}

/** Set Peer Bandwidth (type 6) payload. */
export function setPeerBandwidth(windowBytes: number, limitType: PeerBandwidthLimit): Uint8Array {
  u32Arg('windowBytes', windowBytes);
  if (limitType !== 0 && limitType !== 1 && limitType !== 2) throw new RangeError(`bad limit type ${String(limitType)}`);
  return new ByteWriter(5).u32(windowBytes).u8(limitType).finish();
}

type StreamEvent =
  | typeof UserControlEvent.StreamBegin
  | typeof UserControlEvent.StreamEOF
  | typeof UserControlEvent.StreamDry
  | typeof UserControlEvent.StreamIsRecorded;
type PingEvent = typeof UserControlEvent.PingRequest | typeof UserControlEvent.PingResponse;

/** User Control (type 4) payload for a stream event: UI16 event, UI32 stream id. */
export function userControl(event: StreamEvent, streamId: number): Uint8Array;
/** User Control SetBufferLength: UI16 event, UI32 stream id, UI32 buffer length in ms. */
export function userControl(
  event: typeof UserControlEvent.SetBufferLength,
  streamId: number,
  bufferLengthMs: number,
): Uint8Array;
/** User Control PingRequest/PingResponse: UI16 event, UI32 timestamp (a response echoes the request). */
export function userControl(event: PingEvent, timestampMs: number): Uint8Array;
export function userControl(event: UserControlEvent, a: number, b?: number): Uint8Array {
  switch (event) {
    case UserControlEvent.StreamBegin:
    case UserControlEvent.StreamEOF:
    case UserControlEvent.StreamDry:
    case UserControlEvent.StreamIsRecorded:
      return encodeUserControl({ event, streamId: a });
    case UserControlEvent.SetBufferLength:
      return encodeUserControl({ event, streamId: a, bufferLengthMs: b ?? 0 });
    case UserControlEvent.PingRequest:
    case UserControlEvent.PingResponse:
      return encodeUserControl({ event, timestampMs: a });
    default: {
      const never: never = event;
      throw new RangeError(`unknown user control event ${String(never)}`);
    }
  }
}

/** User Control (type 4) payload for a decoded {@link UserControl}. */
export function encodeUserControl(uc: UserControl): Uint8Array {
  if (uc.event === 'other') {
    if (!Number.isInteger(uc.eventType) || uc.eventType < 0 || uc.eventType > 0xffff) {
      throw new RangeError(`event type must be a UI16, got ${uc.eventType}`);
    }
    // Sized exactly: ByteWriter.bytes() must not need to grow (see report on @headwater/bytes).
    return new ByteWriter(2 + uc.data.length).u16(uc.eventType).bytes(uc.data).finish();
  }
  const w = new ByteWriter(10);
  w.u16(uc.event);
  switch (uc.event) {
    case UserControlEvent.StreamBegin:
    case UserControlEvent.StreamEOF:
    case UserControlEvent.StreamDry:
    case UserControlEvent.StreamIsRecorded:
      return w.u32(u32Arg('streamId', uc.streamId)).finish();
    case UserControlEvent.SetBufferLength:
      return w.u32(u32Arg('streamId', uc.streamId)).u32(u32Arg('bufferLengthMs', uc.bufferLengthMs)).finish();
    case UserControlEvent.PingRequest:
    case UserControlEvent.PingResponse:
      return w.u32(u32Arg('timestampMs', uc.timestampMs)).finish();
    default: {
      const never: never = uc;
      throw new RangeError(`unknown user control ${String(never)}`);
    }
  }
}

/** Payload for any decoded control message (the inverse of {@link parseControlMessage}). */
export function encodeControlMessage(msg: ControlMessage): Uint8Array {
  switch (msg.type) {
    case MessageType.SetChunkSize:
      return setChunkSize(msg.chunkSize);
    case MessageType.Abort:
      return abort(msg.csid);
    case MessageType.Acknowledgement:
      return u32Payload(u32Arg('sequenceNumber', msg.sequenceNumber));
    case MessageType.UserControl:
      return encodeUserControl(msg.userControl);
    case MessageType.WindowAckSize:
      return windowAckSize(msg.windowBytes);
    case MessageType.SetPeerBandwidth:
      return setPeerBandwidth(msg.windowBytes, msg.limitType);
    default: {
      const never: never = msg;
      throw new RangeError(`not a control message ${String(never)}`);
    }
  }
}

function parseUserControl(r: ByteReader): UserControl {
  const eventType = r.u16();
  switch (eventType) {
    case UserControlEvent.StreamBegin:
    case UserControlEvent.StreamEOF:
    case UserControlEvent.StreamDry:
    case UserControlEvent.StreamIsRecorded:
      return { event: eventType, streamId: r.u32() };
    case UserControlEvent.SetBufferLength:
      return { event: eventType, streamId: r.u32(), bufferLengthMs: r.u32() };
    case UserControlEvent.PingRequest:
    case UserControlEvent.PingResponse:
      return { event: eventType, timestampMs: r.u32() };
    default:
      // Unknown events are harmless to an ingest: surface them rather than drop the connection.
      return { event: 'other', eventType, data: r.rest() };
  }
}

/**
 * Decodes a protocol control message payload. Trailing bytes are ignored; a short payload
 * throws ProtocolError `truncated`, a chunk size of 0 or with bit 31 set `chunk-size-invalid`,
 * an unknown bandwidth limit type `control-message-invalid`, a type outside 1-6
 * `message-type-unexpected`. Views into `payload` are returned for unknown user control data.
 */
export function parseControlMessage(type: number, payload: Uint8Array): ControlMessage {
  const r = new ByteReader(payload);
  switch (type) {
    case MessageType.SetChunkSize: {
      const chunkSize = r.u32();
      // §5.4.1: bit 31 must be zero; a zero chunk size could never carry data.
      if (chunkSize === 0 || chunkSize > MAX_SPEC_CHUNK_SIZE) {
        throw new ProtocolError('chunk-size-invalid', `Set Chunk Size ${chunkSize} is outside 1..${MAX_SPEC_CHUNK_SIZE}`);
      }
      return { type, chunkSize };
    }
    case MessageType.Abort:
      return { type, csid: r.u32() };
    case MessageType.Acknowledgement:
      return { type, sequenceNumber: r.u32() };
    case MessageType.UserControl:
      return { type, userControl: parseUserControl(r) };
    case MessageType.WindowAckSize:
      return { type, windowBytes: r.u32() };
    case MessageType.SetPeerBandwidth: {
      const windowBytes = r.u32();
      const limitType = r.u8();
      if (limitType !== PeerBandwidthLimit.Hard && limitType !== PeerBandwidthLimit.Soft && limitType !== PeerBandwidthLimit.Dynamic) {
        throw new ProtocolError('control-message-invalid', `Set Peer Bandwidth limit type ${limitType} is not 0, 1 or 2`);
      }
      return { type, windowBytes, limitType };
    }
    default:
      throw new ProtocolError('message-type-unexpected', `message type ${type} is not a protocol control message`);
  }
}
