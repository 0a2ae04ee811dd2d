/**
 * The parts of the E-RTMP v2 extended header shared by audio and video (reference §8.2, §8.3):
 * the ModEx prelude loop and the Multitrack track walker. Media-specific meaning (FourCC sets,
 * packet types, CTS) stays in video-tag.ts / audio-tag.ts.
 */
import { ProtocolError, checkLimit } from '@headwater/bytes';
import type { ByteReader, ByteWriter } from '@headwater/bytes';

/** Default cap on tracks in one Multitrack message (track ids are UI8; encoders use a handful). */
export const MAX_TRACKS_PER_TAG = 32;

/** Limits for tag-body parsers; every field defaults to the constant of the same name. */
export interface FlvTagLimits {
  /** Tracks accepted in one Multitrack message. @defaultValue {@link MAX_TRACKS_PER_TAG} */
  maxTracksPerTag?: number;
}

/** PacketType / AudioPacketType 7 in both media (reference §8.3). */
export const PACKET_TYPE_MOD_EX = 7;
/** ModExType 0: UI24 nanoseconds added to this message's timestamp (reference §8.3). */
export const MOD_EX_TYPE_TIMESTAMP_OFFSET_NANO = 0;

/** AvMultitrackType (reference §8.2). */
export type MultitrackType = 'one-track' | 'many-tracks' | 'many-tracks-many-codecs';
const MULTITRACK_TYPES: readonly MultitrackType[] = ['one-track', 'many-tracks', 'many-tracks-many-codecs'];

export function multitrackTypeCode(t: MultitrackType): number {
  switch (t) {
    case 'one-track':
      return 0;
    case 'many-tracks':
      return 1;
    case 'many-tracks-many-codecs':
      return 2;
    default: {
      const never: never = t;
      throw new ProtocolError('bad-argument', `unknown multitrack type ${String(never)}`);
    }
  }
}

/** Result of the ModEx loop: the real packet type and the TimestampOffsetNano (0 when absent). */
export interface ModExResult {
  packetType: number;
  timestampOffsetNs: number;
}

/**
 * Runs the ModEx loop of reference §8.3 starting from the packet type nibble of byte 0.
 * Size is UI8 + 1, or UI16 + 1 when that gives 256. TimestampOffsetNano is read as UI24 only
 * when its data has at least 3 bytes (shorter data is treated as 0, as FFmpeg does); unknown
 * ModEx types are skipped. Terminates: every round consumes at least 3 bytes.
 */
export function readModEx(r: ByteReader, firstPacketType: number): ModExResult {
  let packetType = firstPacketType;
  let timestampOffsetNs = 0;
  while (packetType === PACKET_TYPE_MOD_EX) {
    let size = r.u8() + 1;
    if (size === 256) size = r.u16() + 1;
    const data = r.bytes(size);
    const next = r.u8();
    const modExType = next >> 4;
    packetType = next & 0x0f;
    if (modExType === MOD_EX_TYPE_TIMESTAMP_OFFSET_NANO) {
      timestampOffsetNs = data.length >= 3 ? (data[0]! << 16) | (data[1]! << 8) | data[2]! : 0;
    }
  }
  return { packetType, timestampOffsetNs };
}

/** Writes one TimestampOffsetNano ModEx entry (3 data bytes) whose trailing nibble is `realPacketType`. */
export function writeTimestampOffsetModEx(w: ByteWriter, timestampOffsetNs: number, realPacketType: number): void {
  if (!Number.isInteger(timestampOffsetNs) || timestampOffsetNs < 0 || timestampOffsetNs > 0xffffff) {
    throw new ProtocolError('bad-argument', `timestampOffsetNs ${timestampOffsetNs} does not fit in UI24`);
  }
  w.u8(3 - 1).u24(timestampOffsetNs).u8((MOD_EX_TYPE_TIMESTAMP_OFFSET_NANO << 4) | realPacketType);
}

/** One track cut out of a message: its FourCC as read (unvalidated), id and body view. */
export interface RawTrack {
  fourcc: string;
  trackId: number;
  body: Uint8Array;
}

/** A Multitrack header and its tracks (reference §8.2). */
export interface RawMultitrack {
  multitrack: MultitrackType;
  packetType: number;
  tracks: RawTrack[];
}

/**
 * Walks a Multitrack message from the byte after byte 0 (and after any ModEx prelude):
 * AvMultitrackType | inner PacketType, [FourCC], then per track [FourCC] trackId [UI24 size] body.
 * `forbiddenInner` are packet types that may not appear as the inner type (Multitrack, ModEx).
 */
export function readMultitrack(r: ByteReader, forbiddenInner: readonly number[], limits: FlvTagLimits | undefined): RawMultitrack {
  const maxTracks = limits?.maxTracksPerTag ?? MAX_TRACKS_PER_TAG;
  const b = r.u8();
  const multitrack = MULTITRACK_TYPES[b >> 4];
  if (multitrack === undefined) throw new ProtocolError('flv-unknown-multitrack-type', `unknown AvMultitrackType ${b >> 4}`);
  const packetType = b & 0x0f;
  if (forbiddenInner.includes(packetType)) {
    throw new ProtocolError('flv-bad-multitrack', `packet type ${packetType} cannot be nested in a Multitrack message`);
  }
  const shared = multitrack === 'many-tracks-many-codecs' ? undefined : r.fourcc();
  const tracks: RawTrack[] = [];
  do {
    checkLimit('tracks in one message', tracks.length + 1, maxTracks);
    const fourcc = shared ?? r.fourcc();
    const trackId = r.u8();
    const body = multitrack === 'one-track' ? r.rest() : r.bytes(r.u24());
    tracks.push({ fourcc, trackId, body });
  } while (multitrack !== 'one-track' && !r.done);
  return { multitrack, packetType, tracks };
}

/** Writes the Multitrack header and tracks; the inverse of {@link readMultitrack}. */
export function writeMultitrack(w: ByteWriter, m: RawMultitrack): void {
  if (m.multitrack === 'one-track' && m.tracks.length !== 1) {
    throw new ProtocolError('bad-argument', `a OneTrack message carries exactly one track, got ${m.tracks.length}`);
  }
  if (m.tracks.length === 0) throw new ProtocolError('bad-argument', 'a Multitrack message needs at least one track');
  w.u8((multitrackTypeCode(m.multitrack) << 4) | m.packetType);
  const manyCodecs = m.multitrack === 'many-tracks-many-codecs';
  if (!manyCodecs) {
    const first = m.tracks[0]!.fourcc;
    if (m.tracks.some((t) => t.fourcc !== first)) {
      throw new ProtocolError('bad-argument', `${m.multitrack} requires one codec for all tracks`);
    }
    w.fourcc(first);
  }
  for (const t of m.tracks) {
    if (manyCodecs) w.fourcc(t.fourcc);
    checkTrackId(t.trackId);
    w.u8(t.trackId);
    if (m.multitrack !== 'one-track') {
      if (t.body.length > 0xffffff) throw new ProtocolError('bad-argument', `track body of ${t.body.length} bytes does not fit UI24`);
      w.u24(t.body.length);
    }
    w.bytes(t.body);
  }
}

export function checkTrackId(trackId: number): void {
  if (!Number.isInteger(trackId) || trackId < 0 || trackId > 0xff) {
    throw new ProtocolError('bad-argument', `track id ${trackId} is not a UI8`);
  }
}
