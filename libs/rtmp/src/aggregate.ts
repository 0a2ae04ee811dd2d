import { ByteReader, ProtocolError, checkLimit } from '@headwater/bytes';
import type { RtmpMessage } from './chunk-parser.js';
import { MessageType } from './message-types.js';
import { DEFAULT_AGGREGATE_LIMITS, type AggregateLimits } from './rtmp-limits.js';

/** FLV-style sub-message header: type UI8, size UI24, timestamp UI24 + UI8 upper bits, stream id UI24. */
const SUB_HEADER_BYTES = 11;
/** The UI32 back pointer after each sub-message body. */
const BACK_POINTER_BYTES = 4;

/**
 * Splits an Aggregate message (type 22; Adobe RTMP 1.0 §7.1.6; reference §3) into its
 * sub-messages: [11-byte FLV tag header + body + UI32 back pointer]*. Each sub-message keeps the
 * aggregate's csid and stream id (the aggregate's stream id overrides the sub-messages'), and
 * its timestamp is shifted by (aggregate timestamp − first sub-message timestamp), modulo 2^32.
 * Payloads are views into the aggregate's payload. Back-pointer values are not checked (FFmpeg
 * and SRS ignore them too). Throws ProtocolError `aggregate-invalid` on a truncated or nested
 * aggregate, `limit-exceeded` past `maxParts`.
 */
export function splitAggregate(msg: RtmpMessage, limits: Partial<AggregateLimits> = {}): RtmpMessage[] {
  const { maxParts } = { ...DEFAULT_AGGREGATE_LIMITS, ...limits };
  const r = new ByteReader(msg.payload);
  const out: RtmpMessage[] = [];
  let shift = 0;
  while (!r.done) {
    if (r.remaining < SUB_HEADER_BYTES) {
      throw new ProtocolError('aggregate-invalid', `aggregate sub-message header truncated (${r.remaining} bytes left)`);
    }
    const type = r.u8();
    const size = r.u24();
    // FLV TimestampExtended: the upper 8 bits follow the lower 24 (FLV 10.1 Annex E.4.1).
    const low = r.u24();
    const timestamp = ((r.u8() << 24) | low) >>> 0;
    r.skip(3); // sub-message stream id: overridden by the aggregate's
    if (size + BACK_POINTER_BYTES > r.remaining) {
      throw new ProtocolError('aggregate-invalid', `aggregate sub-message of ${size} bytes overruns the ${r.remaining} bytes left`);
    }
    if (type === MessageType.Aggregate) {
      throw new ProtocolError('aggregate-invalid', 'aggregate messages must not nest');
    }
    checkLimit('aggregate sub-messages', out.length + 1, maxParts);
    if (out.length === 0) shift = (msg.timestamp - timestamp) >>> 0;
    const payload = r.bytes(size);
    r.skip(BACK_POINTER_BYTES);
    out.push({ csid: msg.csid, type, streamId: msg.streamId, timestamp: (timestamp + shift) >>> 0, payload });
  }
  return out;
}
