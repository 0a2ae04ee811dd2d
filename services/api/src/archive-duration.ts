/**
 * Reads `length` bytes at `start` of an object (a ranged GET). May return fewer bytes at its end.
 */
export type RangeReader = (start: number, length: number) => Promise<Uint8Array>;

/** FLV tag header: type, data size (u24), timestamp (u24 + extension byte), stream id (u24). */
const TAG_HEADER_BYTES = 11;
/** FLV header (9 bytes, video_file_format_spec_v10 §E.2) + PreviousTagSize0. */
const MIN_FIRST_TAG_OFFSET = 13;
/** Bytes read from the start of an archive to find its first media tag (metadata and sequence headers come first). */
export const ARCHIVE_HEAD_PROBE_BYTES = 64 * 1024;
/** Tag headers read one by one past the probe before giving up on the first media tag. */
const MAX_EXTRA_HEADER_READS = 8;
/** Largest DataOffset accepted in an FLV header (the spec has 9; anything big is not ours). */
const MAX_DATA_OFFSET = 1024;

const TAG_AUDIO = 8;
const TAG_VIDEO = 9;
const TAG_SCRIPT = 18;

interface TagHeader {
  readonly type: number;
  readonly dataSize: number;
  readonly timestampMs: number;
}

/** The tag header at `offset` of `bytes`, or null when it is not there whole or not a plausible FLV tag. */
function tagHeaderAt(bytes: Uint8Array, offset: number): TagHeader | null {
  if (offset < 0 || offset + TAG_HEADER_BYTES > bytes.length) return null;
  const b = (i: number): number => bytes[offset + i] ?? 0;
  // Low 5 bits are the type; the filter bit (0x20) marks encrypted tags (§E.4.1), ours never are.
  const type = b(0) & 0x1f;
  if ((b(0) & 0xe0) !== 0 || (type !== TAG_AUDIO && type !== TAG_VIDEO && type !== TAG_SCRIPT)) return null;
  // StreamID is always 0 (§E.4.1).
  if (b(8) !== 0 || b(9) !== 0 || b(10) !== 0) return null;
  const dataSize = (b(1) << 16) | (b(2) << 8) | b(3);
  // TimestampExtended is the upper 8 bits of a 32-bit millisecond timestamp.
  const timestampMs = ((b(7) << 24) >>> 0) + ((b(4) << 16) | (b(5) << 8) | b(6));
  return { type, dataSize, timestampMs };
}

function u32(bytes: Uint8Array, offset: number): number {
  return (((bytes[offset] ?? 0) << 24) >>> 0) + (((bytes[offset + 1] ?? 0) << 16) | ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0));
}

/** Timestamp of the first audio or video tag, walking tag headers from the file start; null if not found within bounds. */
async function firstMediaTimestampMs(read: RangeReader, sizeBytes: number): Promise<number | null> {
  const head = await read(0, Math.min(sizeBytes, ARCHIVE_HEAD_PROBE_BYTES));
  if (head.length < MIN_FIRST_TAG_OFFSET || head[0] !== 0x46 || head[1] !== 0x4c || head[2] !== 0x56) return null; // "FLV"
  const dataOffset = u32(head, 5);
  if (dataOffset < 9 || dataOffset > MAX_DATA_OFFSET) return null;
  let offset = dataOffset + 4;
  let extraReads = 0;
  while (offset + TAG_HEADER_BYTES <= sizeBytes) {
    let tag = tagHeaderAt(head, offset);
    if (tag === null && offset + TAG_HEADER_BYTES > head.length) {
      if (extraReads++ >= MAX_EXTRA_HEADER_READS) return null;
      tag = tagHeaderAt(await read(offset, TAG_HEADER_BYTES), 0);
    }
    if (tag === null) return null;
    if (tag.type === TAG_AUDIO || tag.type === TAG_VIDEO) return tag.timestampMs;
    offset += TAG_HEADER_BYTES + tag.dataSize + 4;
  }
  return null;
}

/** Timestamp of the last tag, found through the file's final PreviousTagSize; null if anything is off. */
async function lastTimestampMs(read: RangeReader, sizeBytes: number): Promise<number | null> {
  const tail = await read(sizeBytes - 4, 4);
  if (tail.length !== 4) return null;
  const lastTagBytes = u32(tail, 0);
  const start = sizeBytes - 4 - lastTagBytes;
  if (lastTagBytes < TAG_HEADER_BYTES || start < MIN_FIRST_TAG_OFFSET) return null;
  const tag = tagHeaderAt(await read(start, TAG_HEADER_BYTES), 0);
  // PreviousTagSize = 11 + DataSize (§E.3): a mismatch means the tail is not a tag boundary.
  if (tag === null || tag.dataSize + TAG_HEADER_BYTES !== lastTagBytes) return null;
  return tag.timestampMs;
}

/**
 * Media duration of an archived FLV from a few ranged reads (never the whole object): the last
 * tag's timestamp, found through the final PreviousTagSize (video_file_format_spec_v10 §E.3),
 * minus the first audio/video tag's. Null when the object does not look like a whole FLV file
 * (cut short, another format, timestamps going back).
 */
export async function archiveDurationMs(read: RangeReader, sizeBytes: number): Promise<number | null> {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < MIN_FIRST_TAG_OFFSET + TAG_HEADER_BYTES + 4) return null;
  const first = await firstMediaTimestampMs(read, sizeBytes);
  if (first === null) return null;
  const last = await lastTimestampMs(read, sizeBytes);
  if (last === null || last < first) return null;
  return last - first;
}
