import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { ProtocolError } from '@headwater/bytes';
import {
  DIGEST_BYTES,
  HANDSHAKE_PACKET_BYTES,
  PLAYER_DIGEST_KEY,
  SERVER_DIGEST_KEY,
  findDigest,
  s2Signature,
  signPacket,
} from './handshake-digest.js';

/** C0/S0 version of plain RTMP; 6, 8 and 9 are RTMPE (encrypted), which we do not speak. */
export const RTMP_VERSION = 3;

/**
 * Version bytes S1 carries in digest mode (nginx-rtmp's). Must be non-zero there, and S1[4] >= 3
 * makes FFmpeg check our digest when it plays: it is valid, so that is fine (reference §1).
 */
export const SERVER_DIGEST_VERSION: readonly number[] = [0x0d, 0x0e, 0x0a, 0x0d];

/** Injected effects, so handshakes are deterministic under test. */
export interface HandshakeOptions {
  /**
   * Source of the random filler in C1/S1/S2.
   * @defaultValue node:crypto `randomBytes`
   */
  randomBytes?: (n: number) => Uint8Array;
  /**
   * Clock for the `time` field, in milliseconds (any epoch; written modulo 2^32).
   * @defaultValue `performance.now()` (process uptime, monotonic)
   */
  nowMs?: () => number;
}

/** What a push produced. */
export interface HandshakeResult {
  /** Bytes to write to the peer, in order. */
  send: Uint8Array[];
  /** True once the handshake is complete. */
  done: boolean;
  /**
   * Bytes after the handshake, already in the pushed buffer: the start of the chunk stream
   * (OBS sends C2, Set Chunk Size and connect in one segment). A view into the pushed buffer.
   */
  leftover: Uint8Array;
}

/** Which reply the server chose: plain echo, or the FP9 digest form. */
export type HandshakeMode = 'simple' | 'digest';

const EMPTY = new Uint8Array(0);

function defaultNowMs(): number {
  return performance.now();
}

/** Writes `[time UI32][version 4 bytes]` then random filler into a fresh packet. */
function makePacket(timeMs: number, version: readonly number[], random: (n: number) => Uint8Array): Uint8Array {
  const packet = new Uint8Array(HANDSHAKE_PACKET_BYTES);
  new DataView(packet.buffer).setUint32(0, Math.floor(timeMs) >>> 0);
  packet.set(version, 4);
  packet.set(random(HANDSHAKE_PACKET_BYTES - 8).subarray(0, HANDSHAKE_PACKET_BYTES - 8), 8);
  return packet;
}

/**
 * Fills `target` from `bytes[at..]` starting at `filled`; returns how many bytes it took.
 */
function fill(target: Uint8Array | undefined, filled: number, bytes: Uint8Array, at: number): number {
  const n = Math.min(HANDSHAKE_PACKET_BYTES - filled, bytes.length - at);
  target?.set(bytes.subarray(at, at + n), filled);
  return n;
}

type ServerState = 'c0' | 'c1' | 'c2' | 'done' | 'failed';

/**
 * Server side of the RTMP handshake (reference §1), sans I/O. Feed bytes as they arrive, in any
 * slicing; S0+S1+S2 go out together as soon as C1 is complete (FFmpeg and GStreamer read them as
 * one block, so S2 never waits for C2). C2's content is not checked.
 */
export class ServerHandshake {
  private state: ServerState = 'c0';
  private readonly c1 = new Uint8Array(HANDSHAKE_PACKET_BYTES);
  private filled = 0;
  private readonly random: (n: number) => Uint8Array;
  private readonly nowMs: () => number;
  private chosen: HandshakeMode | undefined;

  constructor(options: HandshakeOptions = {}) {
    this.random = options.randomBytes ?? cryptoRandomBytes;
    this.nowMs = options.nowMs ?? defaultNowMs;
  }

  /** The reply form chosen once C1 was read, else undefined. */
  get mode(): HandshakeMode | undefined {
    return this.chosen;
  }

  /** Consumes handshake bytes. Throws ProtocolError('handshake-version') for anything but RTMP 3. */
  push(bytes: Uint8Array): HandshakeResult {
    if (this.state === 'failed') throw new ProtocolError('handshake-failed', 'handshake already failed');
    const send: Uint8Array[] = [];
    let at = 0;
    while (at < bytes.length && this.state !== 'done') {
      switch (this.state) {
        case 'c0': {
          const version = bytes[at++]!;
          if (version !== RTMP_VERSION) {
            this.state = 'failed';
            throw new ProtocolError('handshake-version', `unsupported RTMP version ${version} (only plain RTMP 3; RTMPE is not supported)`);
          }
          this.state = 'c1';
          break;
        }
        case 'c1': {
          const n = fill(this.c1, this.filled, bytes, at);
          at += n;
          this.filled += n;
          if (this.filled === HANDSHAKE_PACKET_BYTES) {
            send.push(this.reply());
            this.state = 'c2';
            this.filled = 0;
          }
          break;
        }
        case 'c2': {
          const n = fill(undefined, this.filled, bytes, at);
          at += n;
          this.filled += n;
          if (this.filled === HANDSHAKE_PACKET_BYTES) this.state = 'done';
          break;
        }
        default:
          return assertNever(this.state);
      }
    }
    const done = this.state === 'done';
    return { send, done, leftover: done ? bytes.subarray(at) : EMPTY };
  }

  /** S0 + S1 + S2 in one buffer. */
  private reply(): Uint8Array {
    const out = new Uint8Array(1 + 2 * HANDSHAKE_PACKET_BYTES);
    out[0] = RTMP_VERSION;
    // Only a C1 with a non-zero version can carry a digest; a valid one gets the digest reply.
    const version = this.c1[4]! | this.c1[5]! | this.c1[6]! | this.c1[7]!;
    const found = version !== 0 ? findDigest(this.c1, PLAYER_DIGEST_KEY) : undefined;
    if (found === undefined) {
      this.chosen = 'simple';
      out.set(makePacket(this.nowMs(), [0, 0, 0, 0], this.random), 1);
      out.set(this.c1, 1 + HANDSHAKE_PACKET_BYTES); // S2 = C1 verbatim (GStreamer checks the echo)
      return out;
    }
    this.chosen = 'digest';
    const s1 = makePacket(this.nowMs(), SERVER_DIGEST_VERSION, this.random);
    signPacket(s1, found.scheme, SERVER_DIGEST_KEY);
    const s2 = new Uint8Array(HANDSHAKE_PACKET_BYTES);
    s2.set(this.random(HANDSHAKE_PACKET_BYTES - DIGEST_BYTES).subarray(0, HANDSHAKE_PACKET_BYTES - DIGEST_BYTES));
    s2.set(s2Signature(found.digest, s2), HANDSHAKE_PACKET_BYTES - DIGEST_BYTES);
    out.set(s1, 1);
    out.set(s2, 1 + HANDSHAKE_PACKET_BYTES);
    return out;
  }
}

type ClientState = 'idle' | 's0' | 's1' | 's2' | 'done' | 'failed';

/**
 * Client side of the plain handshake, for our publisher CLI and load generator: C0+C1 from
 * `start()`, C2 = S1 echoed as soon as S1 is complete, done after S2.
 */
export class ClientHandshake {
  private state: ClientState = 'idle';
  private c1: Uint8Array = EMPTY;
  private readonly s2 = new Uint8Array(HANDSHAKE_PACKET_BYTES);
  private s1: Uint8Array = EMPTY;
  private filled = 0;
  private readonly random: (n: number) => Uint8Array;
  private readonly nowMs: () => number;

  constructor(options: HandshakeOptions = {}) {
    this.random = options.randomBytes ?? cryptoRandomBytes;
    this.nowMs = options.nowMs ?? defaultNowMs;
  }

  /** C0 + C1 (simple form: zero version, random filler). Call once, first. */
  start(): Uint8Array {
    if (this.state !== 'idle') throw new ProtocolError('handshake-state', 'handshake already started');
    this.c1 = makePacket(this.nowMs(), [0, 0, 0, 0], this.random);
    this.state = 's0';
    const out = new Uint8Array(1 + HANDSHAKE_PACKET_BYTES);
    out[0] = RTMP_VERSION;
    out.set(this.c1, 1);
    return out;
  }

  /** After completion: whether S2 echoed our C1 random bytes (servers in digest mode do not). */
  get s2EchoesC1(): boolean | undefined {
    if (this.state !== 'done') return undefined;
    for (let i = 8; i < HANDSHAKE_PACKET_BYTES; i++) if (this.s2[i] !== this.c1[i]) return false;
    return true;
  }

  /** Consumes S0/S1/S2 bytes. Throws ProtocolError for a wrong server version or a push before start(). */
  push(bytes: Uint8Array): HandshakeResult {
    if (this.state === 'failed') throw new ProtocolError('handshake-failed', 'handshake already failed');
    const send: Uint8Array[] = [];
    let at = 0;
    while (at < bytes.length && this.state !== 'done') {
      switch (this.state) {
        case 'idle':
          throw new ProtocolError('handshake-state', 'push before start()');
        case 's0': {
          const version = bytes[at++]!;
          if (version !== RTMP_VERSION) {
            this.state = 'failed';
            throw new ProtocolError('handshake-version', `server answered RTMP version ${version}`);
          }
          this.s1 = new Uint8Array(HANDSHAKE_PACKET_BYTES);
          this.state = 's1';
          break;
        }
        case 's1': {
          const n = fill(this.s1, this.filled, bytes, at);
          at += n;
          this.filled += n;
          if (this.filled === HANDSHAKE_PACKET_BYTES) {
            send.push(this.s1); // C2 = S1 echoed, as FFmpeg does when publishing
            this.state = 's2';
            this.filled = 0;
          }
          break;
        }
        case 's2': {
          const n = fill(this.s2, this.filled, bytes, at);
          at += n;
          this.filled += n;
          if (this.filled === HANDSHAKE_PACKET_BYTES) this.state = 'done';
          break;
        }
        default:
          return assertNever(this.state);
      }
    }
    const done = this.state === 'done';
    return { send, done, leftover: done ? bytes.subarray(at) : EMPTY };
  }
}

function assertNever(x: never): never {
  throw new ProtocolError('handshake-state', `unexpected state ${String(x)}`);
}
