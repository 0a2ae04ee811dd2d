import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The Flash Player 9 "digest" handshake (reference §1): an HMAC-SHA256 hidden at a
 * data-dependent offset of C1/S1. Only the parts an ingest server and its tests need.
 */

/** Size of C1/S1/C2/S2 (reference §1). */
export const HANDSHAKE_PACKET_BYTES = 1536;
/** Size of an HMAC-SHA256 digest. */
export const DIGEST_BYTES = 32;

// Both keys are an ASCII label followed by the same 32 bytes (reference §1).
const KEY_TAIL = [
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1, 0x02, 0x9e, 0x7e, 0x57,
  0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab, 0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
];
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** The 62-byte player key; its first 30 bytes sign C1. */
export const PLAYER_KEY: Uint8Array = Uint8Array.from([...ascii('Genuine Adobe Flash Player 001'), ...KEY_TAIL]);
/** The 68-byte server key; its first 36 bytes sign S1, all 68 derive the S2 key. */
export const SERVER_KEY: Uint8Array = Uint8Array.from([...ascii('Genuine Adobe Flash Media Server 001'), ...KEY_TAIL]);
/** Key for C1 digests. */
export const PLAYER_DIGEST_KEY: Uint8Array = PLAYER_KEY.subarray(0, 30);
/** Key for S1 digests. */
export const SERVER_DIGEST_KEY: Uint8Array = SERVER_KEY.subarray(0, 36);

/**
 * Where the digest sits: scheme A takes the offset from bytes 8..11 (digest within 12..771),
 * scheme B from bytes 772..775 (digest within 776..1535). Clients may use either.
 */
export type DigestScheme = 'A' | 'B';
export const DIGEST_SCHEMES: readonly DigestScheme[] = ['A', 'B'];

/** Byte offset of the digest in `packet` (1536 bytes) under `scheme`. */
export function digestOffset(packet: Uint8Array, scheme: DigestScheme): number {
  const base = scheme === 'A' ? 8 : 772;
  const sum = packet[base]! + packet[base + 1]! + packet[base + 2]! + packet[base + 3]!;
  return (sum % 728) + base + 4;
}

/** HMAC-SHA256 of the concatenated parts. */
export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const hmac = createHmac('sha256', key);
  for (const p of parts) hmac.update(p);
  return new Uint8Array(hmac.digest());
}

/** The digest `packet` should carry at `offset`: HMAC over the other 1504 bytes. */
export function packetDigest(packet: Uint8Array, offset: number, key: Uint8Array): Uint8Array {
  return hmacSha256(key, packet.subarray(0, offset), packet.subarray(offset + DIGEST_BYTES, HANDSHAKE_PACKET_BYTES));
}

/** A digest found in a packet: where, and its 32 bytes (a copy). */
export interface FoundDigest {
  scheme: DigestScheme;
  digest: Uint8Array;
}

/** Finds a valid digest in `packet` under either scheme (A first), or undefined. */
export function findDigest(packet: Uint8Array, key: Uint8Array): FoundDigest | undefined {
  if (packet.length !== HANDSHAKE_PACKET_BYTES) return undefined;
  for (const scheme of DIGEST_SCHEMES) {
    const offset = digestOffset(packet, scheme);
    const expected = packetDigest(packet, offset, key);
    const actual = packet.subarray(offset, offset + DIGEST_BYTES);
    if (timingSafeEqual(expected, actual)) return { scheme, digest: actual.slice() };
  }
  return undefined;
}

/** Writes the digest of `packet` in place under `scheme` and returns it. */
export function signPacket(packet: Uint8Array, scheme: DigestScheme, key: Uint8Array): Uint8Array {
  const offset = digestOffset(packet, scheme);
  const digest = packetDigest(packet, offset, key);
  packet.set(digest, offset);
  return digest;
}

/**
 * The last 32 bytes of a digest-mode S2: HMAC-SHA256 of S2[0..1503] keyed with
 * HMAC-SHA256(full server key, C1 digest) (reference §1).
 */
export function s2Signature(c1Digest: Uint8Array, s2Head: Uint8Array): Uint8Array {
  return hmacSha256(hmacSha256(SERVER_KEY, c1Digest), s2Head.subarray(0, HANDSHAKE_PACKET_BYTES - DIGEST_BYTES));
}
