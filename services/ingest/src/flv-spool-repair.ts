import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { FLV_HEADER_BYTES, FLV_TAG_HEADER_BYTES, FlvReader, PREVIOUS_TAG_SIZE_BYTES, parseFlvHeader } from '@headwater/flv';

/** Bytes read from the spool at once, and the largest piece handed to the reader. */
const READ_BYTES = 1 << 20;

/**
 * Length of the longest valid FLV prefix of a spool file: after a SIGKILL the last tag may be
 * torn, and the archive must stay a valid FLV, so recovery uploads whole tags only.
 *
 * The reader is fed one tag at a time (its extent taken from the tag's DataSize): a push that
 * fails loses the tags it completed, so feeding large chunks would let one bad tag (or garbage
 * after the last one) discard every good tag read with it. 0 unless the header and
 * PreviousTagSize0 are whole.
 */
export async function validFlvPrefixBytes(file: string): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const source = new SpoolWindow(fh);
    const reader = new FlvReader();
    /** Pushes file bytes [start, end); the tags completed, or undefined if the file ends first or the reader fails. */
    const pushRange = async (start: number, end: number): Promise<number | undefined> => {
      let tags = 0;
      for (let pos = start; pos < end; ) {
        const bytes = await source.read(pos, Math.min(READ_BYTES, end - pos));
        if (bytes.length === 0) return undefined;
        try {
          tags += reader.push(bytes).length;
        } catch {
          return undefined;
        }
        pos += bytes.length;
      }
      return tags;
    };

    let header;
    try {
      header = parseFlvHeader(await source.read(0, FLV_HEADER_BYTES));
    } catch {
      return 0;
    }
    // The header, any padding up to DataOffset and PreviousTagSize0 (checked to be 0 by the reader).
    let valid = header.dataOffset + PREVIOUS_TAG_SIZE_BYTES;
    if ((await pushRange(0, valid)) !== 0) return 0;
    for (;;) {
      const tagHeader = await source.read(valid, FLV_TAG_HEADER_BYTES);
      if (tagHeader.length < FLV_TAG_HEADER_BYTES) break;
      // DataSize UI24 after the TagType byte; the reader checks it against its limit first.
      const end = valid + FLV_TAG_HEADER_BYTES + tagHeader.readUIntBE(1, 3) + PREVIOUS_TAG_SIZE_BYTES;
      if ((await pushRange(valid, end)) !== 1) break;
      valid = end;
    }
    return valid;
  } finally {
    await fh.close();
  }
}

/** Buffered positional reads of a file; every result is a fresh copy (the reader keeps what it is given). */
class SpoolWindow {
  private buf = Buffer.alloc(0);
  private start = 0;

  constructor(private readonly fh: FileHandle) {}

  /** Up to `length` (at most {@link READ_BYTES}) bytes at `position`; fewer at the end of the file. */
  async read(position: number, length: number): Promise<Buffer> {
    const end = this.start + this.buf.length;
    if (position < this.start || position + length > end) {
      const chunk = Buffer.allocUnsafe(READ_BYTES);
      const { bytesRead } = await this.fh.read(chunk, 0, READ_BYTES, position);
      this.buf = chunk.subarray(0, bytesRead);
      this.start = position;
    }
    const from = position - this.start;
    return Buffer.from(this.buf.subarray(from, Math.min(from + length, this.buf.length)));
  }
}
