/**
 * Bounds the chunk layer enforces on what a peer announces, checked before anything is
 * allocated. Every field is per connection (one {@link ChunkParser}).
 */
export interface ChunkLimits {
  /**
   * Largest message payload accepted, in bytes. The wire field is UI24 (at most 16 MiB - 1).
   * 8 MiB holds a 4K HEVC/AV1 keyframe at broadcast bitrates several times over (a 50 Mbit/s
   * stream with a 2 s GOP rarely has keyframes above 2-3 MB) while halving what one message may pin.
   * @defaultValue 8 MiB
   */
  maxMessageBytes: number;
  /**
   * Largest inbound chunk size accepted from Set Chunk Size, in bytes. The spec allows
   * 1..0x7FFFFFFF but a chunk never carries more than one message, whose length is UI24, so
   * anything above 0xFFFFFF is meaningless (reference §2); larger values are refused.
   * @defaultValue 0xFFFFFF
   */
  maxChunkSize: number;
  /**
   * Distinct chunk stream ids a peer may use. Publishers use a handful (OBS/librtmp: 2-7).
   * @defaultValue 64
   */
  maxChunkStreams: number;
  /**
   * Bytes of reassembly buffers held for unfinished messages across all chunk streams. Buffers
   * grow with the bytes actually received (doubling, from 64 KiB), so this bounds real memory,
   * not what headers announce. Must be at least `maxMessageBytes`.
   * @defaultValue 16 MiB
   */
  maxBufferedBytes: number;
}

/** Limits used where a caller does not override them. */
export const DEFAULT_CHUNK_LIMITS: Readonly<ChunkLimits> = Object.freeze({
  maxMessageBytes: 8 * 1024 * 1024,
  maxChunkSize: 0xffffff,
  maxChunkStreams: 64,
  maxBufferedBytes: 16 * 1024 * 1024,
});

/** Bounds for {@link splitAggregate}. */
export interface AggregateLimits {
  /**
   * Most sub-messages taken from one Aggregate message. Each costs a JS object, and a
   * sub-message can be as small as 15 bytes, so an 8 MiB aggregate could otherwise yield
   * half a million. FMS-style aggregates carry a few hundred milliseconds of frames.
   * @defaultValue 4096
   */
  maxParts: number;
}

/** Aggregate limits used where a caller does not override them. */
export const DEFAULT_AGGREGATE_LIMITS: Readonly<AggregateLimits> = Object.freeze({
  maxParts: 4096,
});
