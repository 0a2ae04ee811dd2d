// ignoreBOM keeps a leading U+FEFF as data (round trip); non-fatal so hostile bytes decode to U+FFFD.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/** UTF-8 bytes to a string; invalid sequences become U+FFFD rather than errors. */
export function decodeUtf8(bytes: Uint8Array): string {
  return bytes.length === 0 ? '' : decoder.decode(bytes);
}

/** A string to UTF-8 bytes (lone surrogates become U+FFFD). */
export function encodeUtf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** The UTF-8 length of `s` as `encodeUtf8` writes it, without encoding. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else n += 3; // the rest of the BMP, and lone surrogates (written as U+FFFD)
  }
  return n;
}
