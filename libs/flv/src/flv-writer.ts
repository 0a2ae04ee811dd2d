/**
 * FLV file writing (FLV 10.1 Annex E): the header and tags around bodies that are written
 * byte for byte, e.g. received RTMP audio/video/data message payloads for the archive.
 */
import { ByteWriter, ProtocolError } from '@headwater/bytes';
import { ecmaArray, encodeAmf0 } from '@headwater/amf';
import type { AmfValue } from '@headwater/amf';
import { FLV_HEADER_BYTES, buildFlvHeader } from './flv-header.js';
import type { FlvHeaderFlags } from './flv-header.js';
import { FLV_TAG_HEADER_BYTES, FLV_TAG_TYPE, PREVIOUS_TAG_SIZE_BYTES } from './flv-tag.js';
import type { FlvTagType } from './flv-tag.js';

/** Largest body a tag can describe (DataSize is UI24). */
export const MAX_FLV_DATA_SIZE = 0xffffff;

/** The file header plus PreviousTagSize0 (13 bytes). */
export function flvHeader(flags: FlvHeaderFlags): Uint8Array {
  const out = new Uint8Array(FLV_HEADER_BYTES + PREVIOUS_TAG_SIZE_BYTES);
  out.set(buildFlvHeader(flags));
  return out;
}

/**
 * One tag as three chunks: the 11-byte header, `body` itself (not copied) and the UI32
 * PreviousTagSize. `timestampMs` is an unsigned 32-bit value: bits 24..31 go to
 * TimestampExtended. Wrapping a longer timeline into 32 bits is the caller's concern.
 */
export function flvTag(type: FlvTagType, timestampMs: number, body: Uint8Array): Uint8Array[] {
  if (!Number.isInteger(timestampMs) || timestampMs < 0 || timestampMs > 0xffffffff) {
    throw new ProtocolError('bad-argument', `timestamp ${timestampMs} ms is not an unsigned 32-bit integer`);
  }
  if (body.length > MAX_FLV_DATA_SIZE) {
    throw new ProtocolError('limit-exceeded', `tag body of ${body.length} bytes does not fit DataSize (UI24)`);
  }
  const header = new ByteWriter(FLV_TAG_HEADER_BYTES)
    .u8(type)
    .u24(body.length)
    .u24(timestampMs & 0xffffff)
    .u8(Math.floor(timestampMs / 0x1000000))
    .u24(0)
    .finish();
  const trailer = new ByteWriter(PREVIOUS_TAG_SIZE_BYTES).u32(FLV_TAG_HEADER_BYTES + body.length).finish();
  return [header, body, trailer];
}

/** A script tag holding AMF0 `"onMetaData"` + an ECMA array of `props`, as FLV files store it. */
export function onMetaDataTag(props: Readonly<Record<string, AmfValue>>, timestampMs = 0): Uint8Array[] {
  return flvTag(FLV_TAG_TYPE.script, timestampMs, encodeAmf0(['onMetaData', ecmaArray(props)]));
}
