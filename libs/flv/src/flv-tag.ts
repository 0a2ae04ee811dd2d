/** FLV file tags (FLV 10.1 Annex E.4.1): an 11-byte header, the body, then a UI32 PreviousTagSize. */

/** TagType values we accept: 8 audio, 9 video, 18 script data (AMF0). */
export const FLV_TAG_TYPE = { audio: 8, video: 9, script: 18 } as const;
export type FlvTagType = (typeof FLV_TAG_TYPE)[keyof typeof FLV_TAG_TYPE];

/** Bytes of a tag header: TagType UI8, DataSize UI24, Timestamp UI24, TimestampExtended UI8, StreamID UI24. */
export const FLV_TAG_HEADER_BYTES = 11;
/** Bytes of the PreviousTagSize UI32 that follows every tag (and the 9-byte file header). */
export const PREVIOUS_TAG_SIZE_BYTES = 4;

/** One tag read from an FLV file. */
export interface FlvTag {
  type: FlvTagType;
  /** Timestamp UI24 with TimestampExtended as the high byte: unsigned 32-bit milliseconds. */
  timestampMs: number;
  /** StreamID UI24, always 0 in conforming files. */
  streamId: number;
  /** The tag body (an owned copy, safe to keep). */
  body: Uint8Array;
  /** Byte offset of the tag header in the file. */
  offset: number;
}

export function isFlvTagType(v: number): v is FlvTagType {
  return v === FLV_TAG_TYPE.audio || v === FLV_TAG_TYPE.video || v === FLV_TAG_TYPE.script;
}
