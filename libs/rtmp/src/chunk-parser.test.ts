import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ProtocolError } from '@headwater/bytes';
import { ChunkParser, type RtmpMessage } from './chunk-parser.js';
import { ChunkWriter } from './chunk-writer.js';
import type { ChunkLimits } from './rtmp-limits.js';

/** Hex (whitespace ignored) and byte arrays, concatenated. */
function bytes(...parts: (string | Uint8Array)[]): Uint8Array {
  const arrays = parts.map((p) =>
    typeof p === 'string' ? Uint8Array.from(p.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16)) : p,
  );
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** A recognisable payload: bytes (start + i) & 0xff. */
function pattern(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
}

function msg(csid: number, type: number, streamId: number, timestamp: number, payload: Uint8Array | string): RtmpMessage {
  return { csid, type, streamId, timestamp, payload: typeof payload === 'string' ? bytes(payload) : payload };
}

/** Normalises payloads to plain arrays so views, copies and Buffers compare by content. */
function plain(msgs: RtmpMessage[]): unknown[] {
  return msgs.map((m) => ({ ...m, payload: Array.from(m.payload) }));
}

function parseAll(data: Uint8Array, splits: number[] = [], limits?: Partial<ChunkLimits>): RtmpMessage[] {
  const p = new ChunkParser(limits);
  const out: RtmpMessage[] = [];
  let from = 0;
  for (const at of [...splits].sort((a, b) => a - b)) {
    out.push(...p.push(data.subarray(from, at)));
    from = at;
  }
  out.push(...p.push(data.subarray(from)));
  return out;
}

function parseBytewise(data: Uint8Array, limits?: Partial<ChunkLimits>): RtmpMessage[] {
  const p = new ChunkParser(limits);
  const out: RtmpMessage[] = [];
  for (let i = 0; i < data.length; i++) out.push(...p.push(data.subarray(i, i + 1)));
  return out;
}

interface Case {
  name: string;
  bytes: Uint8Array;
  messages: RtmpMessage[];
  /** ChunkWriter produces exactly these bytes from `messages`. */
  written: boolean;
}

const p200 = pattern(200);
const A = 'AA';
const cases: Case[] = [
  {
    name: 'fmt 0 single-chunk message',
    bytes: bytes('04 000010 000005 08 01000000 0102030405'),
    messages: [msg(4, 8, 1, 16, '0102030405')],
    written: true,
  },
  {
    name: 'fmt 1, 2 and 3 compress later messages',
    bytes: bytes('04 0003E8 000003 09 01000000 AABBCC', '44 000028 000002 08 DDEE', '84 000021 1122', 'C4 3344'),
    messages: [msg(4, 9, 1, 1000, 'AABBCC'), msg(4, 8, 1, 1040, 'DDEE'), msg(4, 8, 1, 1073, '1122'), msg(4, 8, 1, 1106, '3344')],
    written: true,
  },
  {
    name: 'fmt-3 new message after fmt 0 adds the fmt-0 absolute timestamp again',
    bytes: bytes('04 0003E8 000001 08 01000000', A, 'C4 BB'),
    messages: [msg(4, 8, 1, 1000, A), msg(4, 8, 1, 2000, 'BB')],
    written: true,
  },
  {
    name: 'message split over chunks at the default chunk size',
    bytes: bytes('04 000000 0000C8 09 01000000', p200.subarray(0, 128), 'C4', p200.subarray(128)),
    messages: [msg(4, 9, 1, 0, p200)],
    written: true,
  },
  {
    name: '2-byte basic headers: csid 64 and 319',
    bytes: bytes('00 00 000000 000001 08 00000000 7F', '00 FF 000000 000001 08 00000000 7E'),
    messages: [msg(64, 8, 0, 0, '7F'), msg(319, 8, 0, 0, '7E')],
    written: true,
  },
  {
    name: '3-byte basic headers: b1 is the low byte (csid 320, 1000, 65599)',
    bytes: bytes(
      '01 00 01 000000 000001 08 00000000 01',
      '01 A8 03 000000 000001 08 00000000 02',
      '01 FF FF 000000 000001 08 00000000 03',
    ),
    messages: [msg(320, 8, 0, 0, '01'), msg(1000, 8, 0, 0, '02'), msg(65599, 8, 0, 0, '03')],
    written: true,
  },
  {
    name: '2- and 3-byte forms of csid 64 address the same chunk stream',
    bytes: bytes('01 00 00 000000 000001 08 01000000 01', '40 00 000005 000001 08 02'),
    messages: [msg(64, 8, 1, 0, '01'), msg(64, 8, 1, 5, '02')],
    written: false,
  },
  {
    name: 'extended timestamp on fmt 0, repeated on the fmt-3 continuation (librtmp/OBS)',
    bytes: bytes('04 FFFFFF 0000C8 09 01000000 01000000', p200.subarray(0, 128), 'C4 01000000', p200.subarray(128)),
    messages: [msg(4, 9, 1, 0x01000000, p200)],
    written: true,
  },
  {
    name: 'continuation without the extended timestamp (older FFmpeg): the peek keeps those bytes as payload',
    bytes: bytes('04 FFFFFF 0000C8 09 01000000 01000000', p200.subarray(0, 128), 'C4', p200.subarray(128)),
    messages: [msg(4, 9, 1, 0x01000000, p200)],
    written: false,
  },
  {
    name: 'fmt-3 new message reads its extended timestamp and adds it as the delta',
    bytes: bytes('04 FFFFFF 000001 08 01000000 01000000', A, 'C4 01000000 BB'),
    messages: [msg(4, 8, 1, 0x01000000, A), msg(4, 8, 1, 0x02000000, 'BB')],
    written: true,
  },
  {
    name: 'fmt 1 with an extended delta, repeated on its continuation chunk',
    bytes: bytes('04 000000 000001 08 01000000', A, '44 FFFFFF 0000C8 09 02000000', p200.subarray(0, 128), 'C4 02000000', p200.subarray(128)),
    messages: [msg(4, 8, 1, 0, A), msg(4, 9, 1, 0x02000000, p200)],
    written: true,
  },
  {
    name: 'timestamps wrap at 2^32',
    bytes: bytes('04 FFFFFF 000001 08 01000000 FFFFFFF0', A, '84 000020 BB'),
    messages: [msg(4, 8, 1, 0xfffffff0, A), msg(4, 8, 1, 0x10, 'BB')],
    written: true,
  },
  {
    name: 'time going backwards and a new stream id use fmt 0',
    bytes: bytes('04 0003E8 000001 08 01000000', A, '04 0001F4 000001 08 01000000 BB', '04 0001F4 000001 08 02000000 CC'),
    messages: [msg(4, 8, 1, 1000, A), msg(4, 8, 1, 500, 'BB'), msg(4, 8, 2, 500, 'CC')],
    written: true,
  },
  {
    name: 'interleaved chunk streams: the shorter message completes first',
    bytes: bytes('04 000000 0000C8 09 01000000', p200.subarray(0, 128), '06 000007 000003 08 01000000 BBCCDD', 'C4', p200.subarray(128)),
    messages: [msg(6, 8, 1, 7, 'BBCCDD'), msg(4, 9, 1, 0, p200)],
    written: false,
  },
  {
    name: 'Set Chunk Size applies from the next chunk, in the same push',
    bytes: bytes('02 000000 000004 01 00000000 00000100', '04 000000 0000C8 09 01000000', p200),
    messages: [msg(2, 1, 0, 0, '00000100'), msg(4, 9, 1, 0, p200)],
    written: true,
  },
  {
    name: 'Set Chunk Size 1: one payload byte per chunk',
    bytes: bytes('02 000000 000004 01 00000000 00000001', '04 000000 000003 08 01000000 AA C4 BB C4 CC'),
    messages: [msg(2, 1, 0, 0, '00000001'), msg(4, 8, 1, 0, 'AABBCC')],
    written: true,
  },
  {
    name: 'Abort drops the partial message on its csid',
    bytes: bytes('04 000000 0000C8 09 01000000', p200.subarray(0, 128), '02 000000 000004 02 00000000 00000004', '44 000000 000001 08 CC'),
    messages: [msg(2, 2, 0, 0, '00000004'), msg(4, 8, 1, 0, 'CC')],
    written: false,
  },
  {
    name: 'zero-length messages (empty audio) are emitted',
    bytes: bytes('04 000064 000000 08 01000000', 'C4'),
    messages: [msg(4, 8, 1, 100, ''), msg(4, 8, 1, 200, '')],
    written: true,
  },
  {
    name: 'librtmp ping starts csid 2 with fmt 1 (stream 0, base timestamp 0)',
    bytes: bytes('42 000000 000006 04 0006 00000D0F'),
    messages: [msg(2, 4, 0, 0, '0006 00000D0F')],
    written: false,
  },
];

describe('ChunkParser case table', () => {
  test.each(cases)('$name: one push', ({ bytes: data, messages }) => {
    expect(plain(parseAll(data))).toEqual(plain(messages));
  });

  test.each(cases)('$name: one byte per push', ({ bytes: data, messages }) => {
    expect(plain(parseBytewise(data))).toEqual(plain(messages));
  });

  test.each(cases)('$name: random split points', ({ bytes: data, messages }) => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: data.length }), { maxLength: 8 }), (splits) => {
        expect(plain(parseAll(data, splits))).toEqual(plain(messages));
      }),
      { numRuns: 50 },
    );
  });

  test.each(cases.filter((c) => c.written))('$name: ChunkWriter writes the same bytes', ({ bytes: data, messages }) => {
    const w = new ChunkWriter();
    expect(bytes(...messages.flatMap((m) => w.write(m)))).toEqual(data);
  });
});

interface ErrorCase {
  name: string;
  bytes: Uint8Array;
  code: string;
  limits?: Partial<ChunkLimits>;
}

const errorCases: ErrorCase[] = [
  { name: 'fmt 2 on a new chunk stream', bytes: bytes('84 000000'), code: 'chunk-stream-unknown' },
  { name: 'fmt 3 on a new chunk stream', bytes: bytes('C4'), code: 'chunk-stream-unknown' },
  {
    name: 'fmt 0 inside an unfinished message',
    bytes: bytes('04 000000 0000C8 09 01000000', p200.subarray(0, 128), '04 000000 000001 08 01000000 AA'),
    code: 'chunk-message-interrupted',
  },
  {
    name: 'fmt 1 inside an unfinished message',
    bytes: bytes('04 000000 0000C8 09 01000000', p200.subarray(0, 128), '44 000000 000001 08 AA'),
    code: 'chunk-message-interrupted',
  },
  { name: 'message longer than maxMessageBytes', bytes: bytes('04 000000 FFFFFF 09 01000000'), code: 'limit-exceeded' },
  {
    name: 'fmt-1 length above maxMessageBytes',
    bytes: bytes('04 000000 000001 08 01000000 AA', '44 000000 000400 08'),
    code: 'limit-exceeded',
    limits: { maxMessageBytes: 1000 },
  },
  { name: 'Set Chunk Size 0', bytes: bytes('02 000000 000004 01 00000000 00000000'), code: 'chunk-size-invalid' },
  { name: 'Set Chunk Size with bit 31 set', bytes: bytes('02 000000 000004 01 00000000 80000000'), code: 'chunk-size-invalid' },
  { name: 'Set Chunk Size above maxChunkSize', bytes: bytes('02 000000 000004 01 00000000 01000000'), code: 'limit-exceeded' },
  { name: 'Set Chunk Size with a short payload', bytes: bytes('02 000000 000002 01 00000000 0001'), code: 'truncated' },
  { name: 'Abort with a short payload', bytes: bytes('02 000000 000001 02 00000000 04'), code: 'truncated' },
  {
    name: 'more chunk streams than maxChunkStreams',
    bytes: bytes('04 000000 000001 08 01000000 AA', '05 000000 000001 08 01000000 AA', '06 000000 000001 08 01000000 AA'),
    code: 'limit-exceeded',
    limits: { maxChunkStreams: 2 },
  },
  {
    name: 'partial messages above maxBufferedBytes',
    bytes: bytes('04 000000 00C350 09 01000000', pattern(128), '05 000000 00C350 09 01000000', pattern(128)),
    code: 'limit-exceeded',
    limits: { maxBufferedBytes: 20_000 },
  },
];

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  return 'no error';
}

describe('ChunkParser errors', () => {
  test.each(errorCases)('$name', ({ bytes: data, code, limits }) => {
    expect(codeOf(() => parseAll(data, [], limits))).toBe(code);
    expect(codeOf(() => parseBytewise(data, limits))).toBe(code);
  });

  test('a failed parser rethrows on every later push', () => {
    const p = new ChunkParser();
    expect(codeOf(() => p.push(bytes('C4')))).toBe('chunk-stream-unknown');
    expect(codeOf(() => p.push(bytes('04 000000 000001 08 01000000 AA')))).toBe('chunk-stream-unknown');
  });
});

describe('ChunkParser state and memory', () => {
  test('tracks chunk size and bytes received', () => {
    const p = new ChunkParser();
    expect(p.chunkSize).toBe(128);
    p.push(bytes('02 000000 000004 01 00000000 00001000'));
    expect(p.chunkSize).toBe(4096);
    p.push(bytes('04 0000'));
    expect(p.bytesReceived).toBe(16 + 3); // unfinished chunks count too
  });

  test('a single-chunk message inside one slice is a view of that slice', () => {
    const data = bytes('04 000000 000005 08 01000000 0102030405');
    const [m] = new ChunkParser().push(data);
    expect(m!.payload.buffer).toBe(data.buffer);
    expect(m!.payload.byteOffset).toBe(12);
  });

  test('reassembled payloads are never overwritten by later input', () => {
    const p = new ChunkParser();
    const first = p.push(bytes('04 000000 0000C8 09 01000000', p200.subarray(0, 128), 'C4', p200.subarray(128)));
    const again = pattern(200, 77);
    p.push(bytes('C4', again.subarray(0, 128), 'C4', again.subarray(128)));
    expect(Array.from(first[0]!.payload)).toEqual(Array.from(p200));
  });

  test('a header announcing 8 MiB followed by one chunk pins 64 KiB, released by Abort', () => {
    const p = new ChunkParser();
    p.push(bytes('04 000000 800000 09 01000000', pattern(128)));
    expect(p.bufferedBytes).toBe(64 * 1024);
    const out = p.push(bytes('02 000000 000004 02 00000000 00000004'));
    expect(out).toHaveLength(1);
    expect(p.bufferedBytes).toBe(0);
    // The csid is free again: a fmt-3 chunk now starts a new 8 MiB message.
    p.push(bytes('C4', pattern(128)));
    expect(p.bufferedBytes).toBe(64 * 1024);
  });

  test('reassembly buffers grow with received bytes and are released on completion', () => {
    const p = new ChunkParser();
    const size = 100_000;
    const payload = pattern(size, 3);
    const w = new ChunkWriter();
    const chunks = w.write({ csid: 6, type: 9, streamId: 1, timestamp: 0, payload });
    let seen = 0;
    let done: RtmpMessage[] = [];
    for (const c of chunks) {
      done = p.push(c);
      seen += c.length;
      expect(p.bufferedBytes).toBeLessThanOrEqual(Math.max(64 * 1024, 2 * seen));
    }
    expect(done).toHaveLength(1);
    expect(Array.from(done[0]!.payload)).toEqual(Array.from(payload));
    expect(p.bufferedBytes).toBe(0);
  });
});
