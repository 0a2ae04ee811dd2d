/**
 * Element IDs we write, with their VINT_MARKER (EBML header: RFC 8794 §11.2; Matroska:
 * RFC 9559 §5.1). Names follow RFC 9559 (Timestamp, not the older Timecode).
 */
export const MKV_ID = {
  // EBML header (RFC 8794 §11.2)
  EBML: 0x1a45dfa3,
  EBMLVersion: 0x4286,
  EBMLReadVersion: 0x42f7,
  EBMLMaxIDLength: 0x42f2,
  EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  // Segment (RFC 9559 §5.1)
  Segment: 0x18538067,
  Info: 0x1549a966,
  TimestampScale: 0x2ad7b1,
  Duration: 0x4489,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUID: 0x73c5,
  TrackType: 0x83,
  FlagLacing: 0x9c,
  Language: 0x22b59c,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  DefaultDuration: 0x23e383,
  CodecDelay: 0x56aa,
  SeekPreRoll: 0x56bb,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  Audio: 0xe1,
  SamplingFrequency: 0xb5,
  Channels: 0x9f,
  BitDepth: 0x6264,
  Cluster: 0x1f43b675,
  Timestamp: 0xe7,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  BlockDuration: 0x9b,
} as const;

/** TrackType values (RFC 9559 §5.1.4.1.3). */
export const MKV_TRACK_TYPE = { video: 1, audio: 2 } as const;

/** SimpleBlock flag bits (RFC 9559 §10.2): Keyframe, Invisible, Lacing (2 bits), Discardable. */
export const SIMPLE_BLOCK_FLAG = { keyframe: 0x80, invisible: 0x08, discardable: 0x01 } as const;
