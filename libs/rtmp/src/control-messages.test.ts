import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ProtocolError } from '@headwater/bytes';
import {
  abort,
  acknowledgement,
  encodeControlMessage,
  isControlMessageType,
  parseControlMessage,
  setChunkSize,
  setPeerBandwidth,
  userControl,
  windowAckSize,
  type ControlMessage,
} from './control-messages.js';
import { MessageType, PeerBandwidthLimit, UserControlEvent } from './message-types.js';

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

const cases: { name: string; bytes: string; value: ControlMessage; encoded?: Uint8Array }[] = [
  { name: 'Set Chunk Size 4096', bytes: '00001000', value: { type: 1, chunkSize: 4096 }, encoded: setChunkSize(4096) },
  { name: 'Set Chunk Size max', bytes: '7fffffff', value: { type: 1, chunkSize: 0x7fffffff }, encoded: setChunkSize(0x7fffffff) },
  { name: 'Abort csid 4', bytes: '00000004', value: { type: 2, csid: 4 }, encoded: abort(4) },
  { name: 'Acknowledgement', bytes: 'fffffffe', value: { type: 3, sequenceNumber: 0xfffffffe }, encoded: acknowledgement(0xfffffffe) },
  { name: 'Window Ack Size 2.5 MB', bytes: '002625a0', value: { type: 5, windowBytes: 2_500_000 }, encoded: windowAckSize(2_500_000) },
  {
    name: 'Set Peer Bandwidth dynamic',
    bytes: '002625a0 02',
    value: { type: 6, windowBytes: 2_500_000, limitType: PeerBandwidthLimit.Dynamic },
    encoded: setPeerBandwidth(2_500_000, PeerBandwidthLimit.Dynamic),
  },
  {
    name: 'StreamBegin 1',
    bytes: '0000 00000001',
    value: { type: 4, userControl: { event: UserControlEvent.StreamBegin, streamId: 1 } },
    encoded: userControl(UserControlEvent.StreamBegin, 1),
  },
  {
    name: 'StreamEOF 1',
    bytes: '0001 00000001',
    value: { type: 4, userControl: { event: UserControlEvent.StreamEOF, streamId: 1 } },
    encoded: userControl(UserControlEvent.StreamEOF, 1),
  },
  {
    name: 'SetBufferLength 1, 3000 ms',
    bytes: '0003 00000001 00000bb8',
    value: { type: 4, userControl: { event: UserControlEvent.SetBufferLength, streamId: 1, bufferLengthMs: 3000 } },
    encoded: userControl(UserControlEvent.SetBufferLength, 1, 3000),
  },
  {
    name: 'PingRequest',
    bytes: '0006 00000d0f',
    value: { type: 4, userControl: { event: UserControlEvent.PingRequest, timestampMs: 0xd0f } },
    encoded: userControl(UserControlEvent.PingRequest, 0xd0f),
  },
  {
    name: 'PingResponse',
    bytes: '0007 00000d0f',
    value: { type: 4, userControl: { event: UserControlEvent.PingResponse, timestampMs: 0xd0f } },
    encoded: userControl(UserControlEvent.PingResponse, 0xd0f),
  },
  {
    name: 'unknown event (FMS BufferEmpty) kept raw',
    bytes: '001f 00000001',
    value: { type: 4, userControl: { event: 'other', eventType: 31, data: hex('00000001') } },
  },
];

describe('control messages', () => {
  test.each(cases)('$name: decode', ({ bytes, value }) => {
    expect(parseControlMessage(value.type, hex(bytes))).toEqual(value);
  });

  test.each(cases)('$name: encode', ({ bytes, value, encoded }) => {
    expect(encodeControlMessage(value)).toEqual(hex(bytes));
    if (encoded) expect(encoded).toEqual(hex(bytes));
  });

  test('acknowledgement wraps a byte counter past 2^32', () => {
    expect(acknowledgement(2 ** 32 + 10)).toEqual(hex('0000000a'));
    expect(() => acknowledgement(-1)).toThrow(RangeError);
  });

  test('trailing bytes are ignored', () => {
    expect(parseControlMessage(MessageType.WindowAckSize, hex('00000010 ff'))).toEqual({ type: 5, windowBytes: 16 });
  });

  const errors: [name: string, type: number, bytes: string, code: string][] = [
    ['Set Chunk Size 0', 1, '00000000', 'chunk-size-invalid'],
    ['Set Chunk Size bit 31', 1, '80000001', 'chunk-size-invalid'],
    ['short Set Chunk Size', 1, '000010', 'truncated'],
    ['short Abort', 2, '', 'truncated'],
    ['short Acknowledgement', 3, '01', 'truncated'],
    ['User Control without event', 4, '00', 'truncated'],
    ['StreamBegin without stream id', 4, '0000 0001', 'truncated'],
    ['SetBufferLength without length', 4, '0003 00000001', 'truncated'],
    ['short Window Ack Size', 5, '000000', 'truncated'],
    ['Set Peer Bandwidth without limit type', 6, '00001000', 'truncated'],
    ['Set Peer Bandwidth limit type 3', 6, '00001000 03', 'control-message-invalid'],
    ['not a control type', 8, '00', 'message-type-unexpected'],
  ];
  test.each(errors)('%s throws %s', (_name, type, bytes, code) => {
    expect(() => parseControlMessage(type, hex(bytes))).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });

  test('encoders reject values that do not fit the wire', () => {
    expect(() => setChunkSize(0)).toThrow(RangeError);
    expect(() => setChunkSize(0x80000000)).toThrow(RangeError);
    expect(() => windowAckSize(2 ** 32)).toThrow(RangeError);
    expect(() => userControl(UserControlEvent.PingRequest, 1.5)).toThrow(RangeError);
  });

  test('isControlMessageType is true for 1..6 only', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 20].filter(isControlMessageType)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  const u32 = fc.nat({ max: 0xffffffff });
  const controlArb: fc.Arbitrary<ControlMessage> = fc.oneof(
    fc.record({ type: fc.constant(1 as const), chunkSize: fc.integer({ min: 1, max: 0x7fffffff }) }),
    fc.record({ type: fc.constant(2 as const), csid: u32 }),
    fc.record({ type: fc.constant(3 as const), sequenceNumber: u32 }),
    fc.record({ type: fc.constant(5 as const), windowBytes: u32 }),
    fc.record({ type: fc.constant(6 as const), windowBytes: u32, limitType: fc.constantFrom(0 as const, 1 as const, 2 as const) }),
    fc.record({ type: fc.constant(4 as const), userControl: fc.record({ event: fc.constantFrom(0 as const, 1 as const, 2 as const, 4 as const), streamId: u32 }) }),
    fc.record({ type: fc.constant(4 as const), userControl: fc.record({ event: fc.constant(3 as const), streamId: u32, bufferLengthMs: u32 }) }),
    fc.record({ type: fc.constant(4 as const), userControl: fc.record({ event: fc.constantFrom(6 as const, 7 as const), timestampMs: u32 }) }),
    fc.record({
      type: fc.constant(4 as const),
      userControl: fc.record({
        event: fc.constant('other' as const),
        eventType: fc.integer({ min: 8, max: 0xffff }),
        data: fc.uint8Array({ maxLength: 12 }),
      }),
    }),
  );

  test('round trip: parse(encode(m)) equals m', () => {
    fc.assert(
      fc.property(controlArb, (m) => {
        expect(parseControlMessage(m.type, encodeControlMessage(m))).toEqual(m);
      }),
      { numRuns: 1000 },
    );
  });

  test('hostile payloads give a value or ProtocolError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.uint8Array({ maxLength: 16 }), (type, payload) => {
        try {
          parseControlMessage(type, payload);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
