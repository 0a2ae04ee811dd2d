import { describe, expect, test } from 'vitest';
import { ChunkParser } from './chunk-parser.js';
import { ChunkWriter, type OutgoingMessage } from './chunk-writer.js';
import { setChunkSize } from './control-messages.js';

function hex(parts: Uint8Array[]): string[] {
  return parts.map((p) => Buffer.from(p).toString('hex'));
}

const video = (timestamp: number, payload: Uint8Array): OutgoingMessage => ({ csid: 6, type: 9, streamId: 1, timestamp, payload });

describe('ChunkWriter', () => {
  test('returns headers interleaved with zero-copy payload views', () => {
    const payload = new Uint8Array(300).fill(7);
    const parts = new ChunkWriter().write(video(0, payload));
    expect(parts.map((p) => p.length)).toEqual([12, 128, 1, 128, 1, 44]);
    for (const i of [1, 3, 5]) expect(parts[i]!.buffer).toBe(payload.buffer);
    expect(parts[1]!.byteOffset).toBe(0);
    expect(parts[3]!.byteOffset).toBe(128);
    expect(hex([parts[2]!, parts[4]!])).toEqual(['c6', 'c6']);
  });

  test('a zero-length message is one header', () => {
    expect(hex(new ChunkWriter().write(video(5, new Uint8Array(0))))).toEqual(['060000050000000901000000']);
  });

  test('extended timestamps are repeated on every continuation chunk', () => {
    const parts = new ChunkWriter().write(video(0x12345678, new Uint8Array(300)));
    expect(hex(parts.filter((_, i) => i % 2 === 0))).toEqual(['06ffffff00012c090100000012345678', 'c612345678', 'c612345678']);
  });

  test('timestamps are taken modulo 2^32', () => {
    const [header] = new ChunkWriter().write(video(2 ** 32 + 5, new Uint8Array(0)));
    expect(Buffer.from(header!).toString('hex').slice(2, 8)).toBe('000005');
  });

  test('writing Set Chunk Size switches the outbound chunk size right after it', () => {
    const w = new ChunkWriter();
    const parser = new ChunkParser();
    const scs = w.write({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: setChunkSize(4096) });
    expect(w.chunkSize).toBe(4096);
    const parts = w.write(video(0, new Uint8Array(1000)));
    expect(parts).toHaveLength(2);
    const got = [...scs, ...parts].flatMap((p) => parser.push(p));
    expect(got.map((m) => m.payload.length)).toEqual([4, 1000]);
  });

  test('setChunkSize changes the size for later messages', () => {
    const w = new ChunkWriter();
    w.setChunkSize(100);
    expect(w.write(video(0, new Uint8Array(250))).map((p) => p.length)).toEqual([12, 100, 1, 100, 1, 50]);
  });

  test('caller mistakes throw RangeError and leave the writer usable', () => {
    const w = new ChunkWriter();
    const empty = new Uint8Array(0);
    expect(() => w.setChunkSize(0)).toThrow(RangeError);
    expect(() => w.setChunkSize(0x80000000)).toThrow(RangeError);
    expect(() => w.write({ ...video(0, empty), csid: 1 })).toThrow(RangeError);
    expect(() => w.write({ ...video(0, empty), csid: 65600 })).toThrow(RangeError);
    expect(() => w.write({ ...video(0, empty), type: 256 })).toThrow(RangeError);
    expect(() => w.write({ ...video(0, empty), streamId: -1 })).toThrow(RangeError);
    expect(() => w.write(video(Number.NaN, empty))).toThrow(RangeError);
    expect(() => w.write(video(0, new Uint8Array(0x1000000)))).toThrow(RangeError);
    expect(() => w.write({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: Uint8Array.of(0x80, 0, 0, 0) })).toThrow(RangeError);
    expect(w.chunkSize).toBe(128);
    // Nothing above changed csid 6's state: the next message is still a fresh fmt 0.
    expect(hex(w.write(video(0, empty)))).toEqual(['060000000000000901000000']);
  });
});
