import { createHmac } from 'node:crypto';
import { ProtocolError } from '@headwater/bytes';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DIGEST_SCHEMES, PLAYER_DIGEST_KEY, findDigest, signPacket } from './handshake-digest.js';
import type { DigestScheme } from './handshake-digest.js';
import { ClientHandshake, ServerHandshake } from './handshake.js';
import type { HandshakeOptions, HandshakeResult } from './handshake.js';

const PACKET = 1536;

/** Deterministic filler (xorshift32) so runs are reproducible and slicing cannot change output. */
function seededRandom(seed: number): (n: number) => Uint8Array {
  let x = seed | 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}

const fixed = (seed: number, timeMs = 1234): HandshakeOptions => ({ randomBytes: seededRandom(seed), nowMs: () => timeMs });

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function u32(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(at);
}

// Independent of handshake-digest.ts: the keys and offsets straight from reference §1.
const KEY_TAIL = Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex');
const playerKey30 = Buffer.from('Genuine Adobe Flash Player 001');
const serverKey36 = Buffer.from('Genuine Adobe Flash Media Server 001');
const serverKey68 = Buffer.concat([serverKey36, KEY_TAIL]);
function offsetOf(p: Uint8Array, scheme: DigestScheme): number {
  const base = scheme === 'A' ? 8 : 772;
  return ((p[base]! + p[base + 1]! + p[base + 2]! + p[base + 3]!) % 728) + base + 4;
}
function hmac(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}
function digestAt(p: Uint8Array, offset: number, key: Uint8Array): Buffer {
  return hmac(key, p.subarray(0, offset), p.subarray(offset + 32));
}

/** C0 + C1 as FFmpeg sends it: version 9.0.124.2 and a player-key digest at `scheme`. */
function ffmpegC0C1(scheme: DigestScheme, seed = 7): { bytes: Uint8Array; digest: Buffer } {
  const c1 = new Uint8Array(PACKET);
  c1.set(seededRandom(seed)(PACKET));
  c1.set([0, 0, 0, 0, 9, 0, 124, 2], 0);
  const offset = offsetOf(c1, scheme);
  const digest = digestAt(c1, offset, playerKey30);
  c1.set(digest, offset);
  return { bytes: concat([Uint8Array.of(3), c1]), digest };
}

function runServer(server: ServerHandshake, pieces: Uint8Array[]): { send: Uint8Array; results: HandshakeResult[] } {
  const results = pieces.map((p) => server.push(p));
  return { send: concat(results.flatMap((r) => r.send)), results };
}

function pushError(run: () => unknown): ProtocolError {
  try {
    run();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('ServerHandshake', () => {
  test('completes against our client, simple form', () => {
    const server = new ServerHandshake(fixed(1, 0x1_0000_0005));
    const client = new ClientHandshake(fixed(2));
    const c0c1 = client.start();
    const first = server.push(c0c1);
    expect(first.done).toBe(false);
    expect(first.send).toHaveLength(1);
    const reply = first.send[0]!;
    expect(reply.length).toBe(1 + 2 * PACKET);
    expect(reply[0]).toBe(3);
    expect(u32(reply, 1)).toBe(5); // uptime modulo 2^32
    expect(u32(reply, 5)).toBe(0); // simple form: zero version
    expect(reply.subarray(1 + PACKET)).toEqual(c0c1.subarray(1)); // S2 = C1 verbatim
    expect(server.mode).toBe('simple');

    const fromServer = client.push(reply);
    expect(fromServer.done).toBe(true);
    expect(fromServer.send).toHaveLength(1);
    expect(fromServer.send[0]).toEqual(reply.subarray(1, 1 + PACKET)); // C2 = S1
    expect(client.s2EchoesC1).toBe(true);

    const last = server.push(fromServer.send[0]!);
    expect(last).toEqual({ send: [], done: true, leftover: new Uint8Array(0) });
  });

  test.each(DIGEST_SCHEMES)('answers an FFmpeg digest C1 (scheme %s) with a digest reply', (scheme) => {
    const { bytes, digest } = ffmpegC0C1(scheme);
    const server = new ServerHandshake(fixed(3));
    const reply = server.push(bytes).send[0]!;
    expect(server.mode).toBe('digest');
    const s1 = reply.subarray(1, 1 + PACKET);
    const s2 = reply.subarray(1 + PACKET);
    expect(u32(s1, 4)).not.toBe(0);
    expect(s1[4]).toBeGreaterThanOrEqual(3); // FFmpeg checks the digest when S1[4] >= 3
    // S1 digest at the client's scheme, keyed with the first 36 bytes of the server key.
    const offset = offsetOf(s1, scheme);
    expect(Buffer.from(s1.subarray(offset, offset + 32))).toEqual(digestAt(s1, offset, serverKey36));
    // S2 = 1504 bytes + HMAC(HMAC(server key 68, C1 digest), S2[0..1503]).
    expect(Buffer.from(s2.subarray(PACKET - 32))).toEqual(hmac(hmac(serverKey68, digest), s2.subarray(0, PACKET - 32)));
  });

  test('an invalid digest gets the simple reply', () => {
    const { bytes } = ffmpegC0C1('A');
    const c1 = bytes.subarray(1);
    const offset = offsetOf(c1, 'A');
    c1[offset] = c1[offset]! ^ 0xff;
    expect(findDigest(c1, PLAYER_DIGEST_KEY)).toBeUndefined();
    const server = new ServerHandshake(fixed(4));
    const reply = server.push(bytes).send[0]!;
    expect(server.mode).toBe('simple');
    expect(u32(reply, 5)).toBe(0); // never a non-zero version without a correct digest
    expect(reply.subarray(1 + PACKET)).toEqual(c1);
  });

  test('a digest with a zero version field is not looked for', () => {
    const c1 = seededRandom(9)(PACKET);
    c1.set([0, 0, 0, 0], 4);
    signPacket(c1, 'B', PLAYER_DIGEST_KEY);
    const server = new ServerHandshake(fixed(5));
    server.push(concat([Uint8Array.of(3), c1]));
    expect(server.mode).toBe('simple');
  });

  test.each([0, 6, 8, 9, 31, 255])('rejects version %i, then stays failed', (version) => {
    const server = new ServerHandshake(fixed(6));
    expect(pushError(() => server.push(Uint8Array.of(version, 0, 0))).code).toBe('handshake-version');
    expect(pushError(() => server.push(new Uint8Array(10))).code).toBe('handshake-failed');
  });

  test('keeps bytes after C2 as leftover (OBS: C2 + Set Chunk Size + connect in one segment)', () => {
    const client = new ClientHandshake(fixed(10));
    const server = new ServerHandshake(fixed(11));
    const reply = server.push(client.start()).send[0]!;
    const c2 = client.push(reply).send[0]!;
    const chunks = Uint8Array.of(0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0x10, 0);
    const done = server.push(concat([c2, chunks]));
    expect(done.done).toBe(true);
    expect(done.leftover).toEqual(chunks);
    // After completion, everything pushed is leftover.
    expect(server.push(chunks)).toEqual({ send: [], done: true, leftover: chunks });
  });

  test('empty pushes are harmless', () => {
    const server = new ServerHandshake(fixed(12));
    expect(server.push(new Uint8Array(0))).toEqual({ send: [], done: false, leftover: new Uint8Array(0) });
  });

  /** Cuts `bytes` at the given points (sorted, deduplicated) into pieces. */
  function slice(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
    const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
    const out: Uint8Array[] = [];
    let prev = 0;
    for (const p of [...points, bytes.length]) {
      out.push(bytes.subarray(prev, p));
      prev = p;
    }
    return out;
  }

  fcTest.prop([fc.constantFrom<DigestScheme | 'simple'>('simple', 'A', 'B'), fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(), { maxLength: 40 })])(
    'the same output whatever the slicing',
    (kind, tail, cuts) => {
      const c0c1 = kind === 'simple' ? new ClientHandshake(fixed(20)).start() : ffmpegC0C1(kind).bytes;
      const stream = concat([c0c1, seededRandom(21)(PACKET), tail]);
      const whole = runServer(new ServerHandshake(fixed(22)), [stream]);
      const sliced = runServer(new ServerHandshake(fixed(22)), slice(stream, cuts));
      expect(sliced.send).toEqual(whole.send);
      const firstDone = sliced.results.findIndex((r) => r.done);
      expect(firstDone).toBeGreaterThanOrEqual(0);
      expect(sliced.results.slice(0, firstDone).every((r) => !r.done && r.leftover.length === 0)).toBe(true);
      expect(sliced.results.slice(firstDone).every((r) => r.done)).toBe(true);
      expect(concat(sliced.results.map((r) => r.leftover))).toEqual(tail);
    },
  );

  fcTest.prop([fc.array(fc.nat({ max: 2 * PACKET + 1 }), { minLength: 1, maxLength: 4 })], { numRuns: 50 })('byte by byte around cut points gives the same output', (cuts) => {
    const stream = concat([ffmpegC0C1('B').bytes, new Uint8Array(PACKET)]);
    const points = slice(stream, cuts.flatMap((c) => [c, c + 1, c + 2]));
    expect(runServer(new ServerHandshake(fixed(30)), points).send).toEqual(runServer(new ServerHandshake(fixed(30)), [stream]).send);
  });
});

describe('ClientHandshake', () => {
  test('sends C0 + C1 in the simple form', () => {
    const c0c1 = new ClientHandshake(fixed(40, 77)).start();
    expect(c0c1.length).toBe(1 + PACKET);
    expect(c0c1[0]).toBe(3);
    expect(u32(c0c1, 1)).toBe(77);
    expect(u32(c0c1, 5)).toBe(0);
  });

  test('start twice, or push before start, is a state error', () => {
    const client = new ClientHandshake(fixed(41));
    expect(pushError(() => client.push(Uint8Array.of(3))).code).toBe('handshake-state');
    client.start();
    expect(pushError(() => client.start()).code).toBe('handshake-state');
  });

  test('rejects a server that is not RTMP 3', () => {
    const client = new ClientHandshake(fixed(42));
    client.start();
    expect(pushError(() => client.push(Uint8Array.of(6))).code).toBe('handshake-version');
  });

  test('completes against a digest reply and notices S2 is not an echo', () => {
    const client = new ClientHandshake(fixed(43));
    const server = new ServerHandshake(fixed(44));
    // Our client sends the simple form, so force the digest path with an FFmpeg C1 instead.
    client.start();
    const reply = server.push(ffmpegC0C1('A').bytes).send[0]!;
    const result = client.push(reply);
    expect(result.done).toBe(true);
    expect(client.s2EchoesC1).toBe(false);
  });

  fcTest.prop([fc.uint8Array({ maxLength: 32 }), fc.array(fc.nat(), { maxLength: 20 })])('C2 and leftover do not depend on slicing', (tail, cuts) => {
    const reply = concat([Uint8Array.of(3), seededRandom(50)(2 * PACKET), tail]);
    const points = [...new Set(cuts.map((c) => c % (reply.length + 1)))].sort((x, y) => x - y);
    const client = new ClientHandshake(fixed(51));
    client.start();
    const results: HandshakeResult[] = [];
    let prev = 0;
    for (const p of [...points, reply.length]) {
      results.push(client.push(reply.subarray(prev, p)));
      prev = p;
    }
    expect(concat(results.flatMap((r) => r.send))).toEqual(reply.subarray(1, 1 + PACKET));
    expect(concat(results.map((r) => r.leftover))).toEqual(tail);
    expect(results.at(-1)!.done).toBe(true);
  });
});
