import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ProtocolError } from '@headwater/bytes';
import { splitAggregate } from './aggregate.js';
import type { RtmpMessage } from './chunk-parser.js';

interface Sub {
  type: number;
  timestamp: number;
  body: Uint8Array;
}

/** FLV-tag-shaped sub-message: header (stream id 0x000009, ignored) + body + back pointer. */
function encodeSub({ type, timestamp, body }: Sub, backPointer = true): Uint8Array {
  const out = new Uint8Array(11 + body.length + (backPointer ? 4 : 0));
  const v = new DataView(out.buffer);
  out[0] = type;
  out[1] = body.length >>> 16;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out[4] = (timestamp >>> 16) & 0xff;
  out[5] = (timestamp >>> 8) & 0xff;
  out[6] = timestamp & 0xff;
  out[7] = timestamp >>> 24; // TimestampExtended: upper 8 bits
  out[10] = 9;
  out.set(body, 11);
  if (backPointer) v.setUint32(11 + body.length, 11 + body.length);
  return out;
}

function aggregate(timestamp: number, ...parts: Uint8Array[]): RtmpMessage {
  const payload = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    payload.set(p, at);
    at += p.length;
  }
  return { csid: 6, type: 22, streamId: 1, timestamp, payload };
}

function plain(msgs: RtmpMessage[]): unknown[] {
  return msgs.map((m) => ({ ...m, payload: Array.from(m.payload) }));
}

const body = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('splitAggregate', () => {
  const cases: { name: string; msg: RtmpMessage; expected: Omit<RtmpMessage, 'csid' | 'streamId'>[] }[] = [
    {
      name: 'sub timestamps shift by aggregate minus first sub timestamp',
      msg: aggregate(1000, encodeSub({ type: 9, timestamp: 500, body: body(0x17, 1) }), encodeSub({ type: 8, timestamp: 540, body: body(0xaf) })),
      expected: [
        { type: 9, timestamp: 1000, payload: body(0x17, 1) },
        { type: 8, timestamp: 1040, payload: body(0xaf) },
      ],
    },
    {
      name: 'the fourth timestamp byte holds the upper 8 bits',
      msg: aggregate(0x01000010, encodeSub({ type: 9, timestamp: 0x01000010, body: body(1) }), encodeSub({ type: 9, timestamp: 0x01000020, body: body(2) })),
      expected: [
        { type: 9, timestamp: 0x01000010, payload: body(1) },
        { type: 9, timestamp: 0x01000020, payload: body(2) },
      ],
    },
    {
      name: 'a negative shift wraps modulo 2^32',
      msg: aggregate(5, encodeSub({ type: 8, timestamp: 10, body: body() }), encodeSub({ type: 8, timestamp: 20, body: body(3) })),
      expected: [
        { type: 8, timestamp: 5, payload: body() },
        { type: 8, timestamp: 15, payload: body(3) },
      ],
    },
    { name: 'an empty aggregate has no sub-messages', msg: aggregate(0), expected: [] },
  ];

  test.each(cases)('$name', ({ msg, expected }) => {
    const got = splitAggregate(msg);
    expect(plain(got)).toEqual(plain(expected.map((e) => ({ csid: 6, streamId: 1, ...e }))));
    for (const m of got) if (m.payload.length > 0) expect(m.payload.buffer).toBe(msg.payload.buffer);
  });

  const errors: [name: string, msg: RtmpMessage, code: string][] = [
    ['truncated header', aggregate(0, encodeSub({ type: 9, timestamp: 0, body: body(1) }).subarray(0, 7)), 'aggregate-invalid'],
    ['body overruns the payload', aggregate(0, encodeSub({ type: 9, timestamp: 0, body: body(1, 2, 3) }).subarray(0, 13)), 'aggregate-invalid'],
    ['missing back pointer', aggregate(0, encodeSub({ type: 9, timestamp: 0, body: body(1) }, false)), 'aggregate-invalid'],
    ['nested aggregate', aggregate(0, encodeSub({ type: 22, timestamp: 0, body: body() })), 'aggregate-invalid'],
  ];
  test.each(errors)('%s', (_name, msg, code) => {
    expect(() => splitAggregate(msg)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });

  test('more sub-messages than maxParts', () => {
    const sub = encodeSub({ type: 8, timestamp: 0, body: body() });
    expect(splitAggregate(aggregate(0, sub, sub, sub), { maxParts: 3 })).toHaveLength(3);
    expect(() => splitAggregate(aggregate(0, sub, sub, sub, sub), { maxParts: 3 })).toThrow(
      expect.objectContaining({ code: 'limit-exceeded' }),
    );
  });

  const subArb = fc.record({
    type: fc.constantFrom(8, 9, 18),
    timestamp: fc.nat({ max: 0xffffffff }),
    body: fc.uint8Array({ maxLength: 40 }),
  });

  test('round trip over random sub-messages', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.array(subArb, { maxLength: 20 }), (ts, subs) => {
        const got = splitAggregate(aggregate(ts, ...subs.map((s) => encodeSub(s))));
        const shift = subs.length > 0 ? ts - subs[0]!.timestamp : 0;
        expect(plain(got)).toEqual(
          plain(subs.map((s) => ({ csid: 6, type: s.type, streamId: 1, timestamp: (s.timestamp + shift) >>> 0, payload: s.body }))),
        );
      }),
    );
  });

  test('hostile payloads give sub-messages or ProtocolError, within maxParts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (payload) => {
        try {
          const got = splitAggregate({ csid: 6, type: 22, streamId: 1, timestamp: 0, payload }, { maxParts: 8 });
          expect(got.length).toBeLessThanOrEqual(8);
          expect(got.reduce((n, m) => n + m.payload.length, 0)).toBeLessThanOrEqual(payload.length);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
