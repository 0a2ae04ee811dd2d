import { describe, expect } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { ProtocolError } from '@headwater/bytes';
import { ChunkParser, type RtmpMessage } from './chunk-parser.js';
import { ChunkWriter } from './chunk-writer.js';
import { setChunkSize } from './control-messages.js';
import type { ChunkLimits } from './rtmp-limits.js';

type Op =
  | { kind: 'message'; csidIndex: number; type: number; streamId: number; deltaMs: number; payload: Uint8Array }
  | { kind: 'chunk-size'; chunkSize: number };

const csidArb = fc.oneof(fc.integer({ min: 3, max: 63 }), fc.integer({ min: 64, max: 319 }), fc.integer({ min: 320, max: 65599 }));

const messageOpArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant('message' as const),
  csidIndex: fc.nat({ max: 3 }),
  // Types 1 and 2 act on the chunk layer; they come only from 'chunk-size' ops.
  type: fc.constantFrom(3, 4, 8, 9, 18, 20, 22, 255),
  streamId: fc.constantFrom(0, 1, 1, 1, 7, 0xffffffff),
  deltaMs: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(0, 21, 23, 33, 40) },
    { weight: 1, arbitrary: fc.constantFrom(0xfffffe, 0xffffff, 0x1000000, 0xfffffff0) },
    // Anything, including "backwards" (a delta of 2^31 or more).
    { weight: 1, arbitrary: fc.nat({ max: 0xffffffff }) },
  ),
  // Repeated lengths make fmt 2/3 likely; 129..700 spans several chunks.
  payload: fc.oneof(
    fc.constantFrom(0, 1, 5, 128, 129, 300).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
    fc.uint8Array({ maxLength: 700 }),
  ),
});

const chunkSizeOpArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant('chunk-size' as const),
  chunkSize: fc.oneof(fc.integer({ min: 1, max: 400 }), fc.constantFrom(1, 2, 3, 128, 4096, 65536)),
});

const opsArb = fc.array(fc.oneof({ weight: 6, arbitrary: messageOpArb }, { weight: 1, arbitrary: chunkSizeOpArb }), { maxLength: 30 });
const streamArb = fc.record({
  csids: fc.uniqueArray(csidArb, { minLength: 4, maxLength: 4 }),
  ops: opsArb,
  // Drives how chunks of different csids interleave (at chunk boundaries, §5.3).
  picks: fc.array(fc.nat(), { minLength: 1, maxLength: 50 }),
});

interface Group {
  bytes: Uint8Array[];
  completes: RtmpMessage | null;
}

/**
 * Writes the ops with ChunkWriter, interleaving the chunks of messages on different csids
 * between chunk size changes, and returns the wire bytes and the messages in the order the
 * parser must complete them.
 */
function build(csids: number[], ops: Op[], picks: number[]): { data: Uint8Array; expected: RtmpMessage[] } {
  const w = new ChunkWriter();
  const pieces: Uint8Array[] = [];
  const expected: RtmpMessage[] = [];
  const lastTs = new Map<number, number>();
  let queues = new Map<number, Group[]>();
  let pick = 0;

  const flush = (): void => {
    for (;;) {
      const live = [...queues.values()].filter((q) => q.length > 0);
      if (live.length === 0) break;
      const q = live[picks[pick++ % picks.length]! % live.length]!;
      const g = q.shift()!;
      pieces.push(...g.bytes);
      if (g.completes) expected.push(g.completes);
    }
    queues = new Map();
  };

  for (const op of ops) {
    if (op.kind === 'chunk-size') {
      flush();
      const m: RtmpMessage = { csid: 2, type: 1, streamId: 0, timestamp: 0, payload: setChunkSize(op.chunkSize) };
      pieces.push(...w.write(m));
      expected.push(m);
      continue;
    }
    const csid = csids[op.csidIndex]!;
    const timestamp = ((lastTs.get(csid) ?? 0) + op.deltaMs) >>> 0;
    lastTs.set(csid, timestamp);
    const m: RtmpMessage = { csid, type: op.type, streamId: op.streamId, timestamp, payload: op.payload };
    const parts = w.write(m);
    const groups: Group[] = [];
    // [header, data, header, data, ...]; a zero-length message is [header].
    for (let i = 0; i < parts.length; i += 2) groups.push({ bytes: parts.slice(i, i + 2), completes: null });
    groups[groups.length - 1]!.completes = m;
    const q = queues.get(csid) ?? [];
    q.push(...groups);
    queues.set(csid, q);
  }
  flush();

  const data = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    data.set(p, at);
    at += p.length;
  }
  return { data, expected };
}

function plain(msgs: RtmpMessage[]): unknown[] {
  return msgs.map((m) => ({ ...m, payload: Array.from(m.payload) }));
}

function slices(data: Uint8Array, splits: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const at of [...splits].sort((a, b) => a - b)) {
    out.push(data.subarray(from, at));
    from = at;
  }
  out.push(data.subarray(from));
  return out;
}

const splitsArb = fc.uniqueArray(fc.nat({ max: 20_000 }), { maxLength: 40 });

describe('ChunkWriter -> ChunkParser round trip', () => {
  fcTest.prop([streamArb, splitsArb])('same messages whatever the chunk sizes and TCP slicing', ({ csids, ops, picks }, rawSplits) => {
    const { data, expected } = build(csids, ops, picks);
    const p = new ChunkParser();
    const got = slices(data, rawSplits.filter((s) => s <= data.length)).flatMap((s) => p.push(s));
    expect(plain(got)).toEqual(plain(expected));
    expect(p.bufferedBytes).toBe(0);
    expect(p.bytesReceived).toBe(data.length);
  });

  fcTest.prop([streamArb], { numRuns: 30 })('same messages one byte at a time', ({ csids, ops, picks }) => {
    const { data, expected } = build(csids, ops, picks);
    const p = new ChunkParser();
    const got: RtmpMessage[] = [];
    for (let i = 0; i < data.length; i++) got.push(...p.push(data.subarray(i, i + 1)));
    expect(plain(got)).toEqual(plain(expected));
  });
});

describe('3-byte chunk stream id math', () => {
  fcTest.prop([fc.integer({ min: 2, max: 65599 })], { numRuns: 1000 })('writer encodes and parser decodes every csid', (csid) => {
    const [header] = new ChunkWriter().write({ csid, type: 8, streamId: 0, timestamp: 0, payload: new Uint8Array(0) });
    if (csid >= 320) {
      expect(header![0]! & 0x3f).toBe(1);
      expect(header![1]).toBe((csid - 64) & 0xff); // low byte first
      expect(header![2]).toBe((csid - 64) >> 8);
    } else if (csid >= 64) {
      expect(header![0]! & 0x3f).toBe(0);
      expect(header![1]).toBe(csid - 64);
    } else {
      expect(header![0]! & 0x3f).toBe(csid);
    }
    expect(new ChunkParser().push(header!)[0]!.csid).toBe(csid);
  });

  fcTest.prop([fc.nat({ max: 255 }), fc.nat({ max: 255 })])('csid = b1 + b2 * 256 + 64', (b1, b2) => {
    const data = Uint8Array.of(0x01, b1, b2, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0);
    expect(new ChunkParser().push(data)[0]!.csid).toBe(b1 + b2 * 256 + 64);
  });
});

const tightLimits: ChunkLimits = { maxMessageBytes: 4096, maxChunkSize: 65536, maxChunkStreams: 8, maxBufferedBytes: 20_000 };

/** Pushes slices; allows only ProtocolError and checks the limits after every push. */
function pushHostile(data: Uint8Array, splits: number[]): void {
  const p = new ChunkParser(tightLimits);
  for (const s of slices(data, splits.filter((x) => x <= data.length))) {
    let out: RtmpMessage[];
    try {
      out = p.push(s);
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      return;
    }
    for (const m of out) expect(m.payload.length).toBeLessThanOrEqual(tightLimits.maxMessageBytes);
    expect(p.bufferedBytes).toBeLessThanOrEqual(tightLimits.maxBufferedBytes);
    expect(p.chunkSize).toBeLessThanOrEqual(tightLimits.maxChunkSize);
  }
}

describe('hostile input', () => {
  fcTest.prop([fc.uint8Array({ maxLength: 3000 }), splitsArb], { numRuns: 300 })('random bytes give messages or ProtocolError', (data, splits) => {
    pushHostile(data, splits);
  });

  fcTest.prop([
    streamArb,
    fc.array(fc.record({ at: fc.nat(), value: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 6 }),
    splitsArb,
  ])('mutated valid streams give messages or ProtocolError within limits', ({ csids, ops, picks }, mutations, splits) => {
    const { data } = build(csids, ops, picks);
    if (data.length === 0) return;
    const bad = data.slice();
    for (const { at, value } of mutations) bad[at % bad.length] = value;
    pushHostile(bad, splits);
  });
});
