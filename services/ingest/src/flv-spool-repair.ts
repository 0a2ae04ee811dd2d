import { open } from 'node:fs/promises';
import { FlvReader } from '@headwater/flv';

/**
 * Length of the longest valid FLV prefix of a spool file: after a SIGKILL the last tag may be
 * torn, and the archive must stay a valid FLV, so recovery uploads whole tags only.
 */
export async function validFlvPrefixBytes(file: string): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const reader = new FlvReader();
    const buf = Buffer.allocUnsafe(1 << 20);
    let valid = 0;
    let position = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      let tags;
      try {
        // The reader keeps what it needs; hand it a copy because `buf` is reused.
        tags = reader.push(Uint8Array.prototype.slice.call(buf, 0, bytesRead));
      } catch {
        break;
      }
      const last = tags.at(-1);
      if (last) valid = last.offset + 11 + last.body.length + 4;
      else if (reader.header && valid === 0) valid = 13;
    }
    return valid;
  } finally {
    await fh.close();
  }
}
