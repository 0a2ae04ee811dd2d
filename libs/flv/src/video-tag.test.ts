import { describe, expect, test } from 'vitest';
import { ProtocolError } from '@headwater/bytes';
import { encodeColorInfo } from './color-info.js';
import type { ColorInfo } from './color-info.js';
import { parseVideoTag } from './video-tag.js';
import type { VideoTag, VideoTrackPacket } from './video-tag.js';
import { encodeVideoTag } from './video-tag-encoder.js';

/** Bytes from numbers (one byte each), strings (ASCII, e.g. FourCCs) and byte arrays. */
function bin(...parts: (number | string | Uint8Array | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const c of p) out.push(c.charCodeAt(0));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

const u24 = (v: number): number[] => [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];

function track(p: Partial<VideoTrackPacket> & Pick<VideoTrackPacket, 'codec' | 'packetType' | 'data'>): VideoTrackPacket {
  return { trackId: 0, compositionTimeMs: 0, timestampOffsetNs: 0, ...p };
}

const avcC = bin(0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x02, 0x67, 0x64);
const nalus = bin(0, 0, 0, 2, 0x65, 0x88);
const hdr: ColorInfo = {
  colorConfig: { bitDepth: 10, colorPrimaries: 9, transferCharacteristics: 16, matrixCoefficients: 9 },
  hdrCll: { maxFall: 400, maxCLL: 1000 },
  hdrMdcv: { redX: 0.708, redY: 0.292, whitePointX: 0.3127, whitePointY: 0.329, maxLuminance: 1000, minLuminance: 0.0001 },
};
const hdrAmf = encodeColorInfo(hdr);

interface Case {
  name: string;
  bytes: Uint8Array;
  value: VideoTag;
  /** False when encodeVideoTag picks another valid wire form for the same value. */
  canonical?: boolean;
}

const cases: Case[] = [
  // Legacy (reference §6)
  {
    name: 'legacy AVC sequence header',
    bytes: bin(0x17, 0x00, u24(0), avcC),
    value: { frameType: 'key', enhanced: false, tracks: [track({ codec: 'avc1', packetType: 'sequence-start', data: avcC })] },
  },
  {
    name: 'legacy AVC key frame with CTS',
    bytes: bin(0x17, 0x01, u24(66), nalus),
    value: { frameType: 'key', enhanced: false, tracks: [track({ codec: 'avc1', packetType: 'coded-frames', compositionTimeMs: 66, data: nalus })] },
  },
  {
    name: 'legacy AVC inter frame with negative CTS',
    bytes: bin(0x27, 0x01, 0xff, 0xff, 0xfe, nalus),
    value: { frameType: 'inter', enhanced: false, tracks: [track({ codec: 'avc1', packetType: 'coded-frames', compositionTimeMs: -2, data: nalus })] },
  },
  {
    name: 'legacy AVC disposable inter frame',
    bytes: bin(0x37, 0x01, u24(0), nalus),
    value: { frameType: 'disposable', enhanced: false, tracks: [track({ codec: 'avc1', packetType: 'coded-frames', data: nalus })] },
  },
  {
    name: 'legacy AVC end of sequence',
    bytes: bin(0x17, 0x02, u24(0)),
    value: { frameType: 'key', enhanced: false, tracks: [track({ codec: 'avc1', packetType: 'sequence-end', data: bin() })] },
  },
  {
    name: 'legacy CodecID 12 (HEVC in the AVC layout)',
    bytes: bin(0x1c, 0x00, u24(0), 0x01, 0x02),
    value: { frameType: 'key', enhanced: false, tracks: [track({ codec: 'hvc1', packetType: 'sequence-start', data: bin(1, 2) })] },
  },
  {
    name: 'legacy Sorenson H.263 inter frame',
    bytes: bin(0x22, 0x00, 0x00, 0x84),
    value: { frameType: 'inter', enhanced: false, tracks: [track({ codec: 'legacy:2', packetType: 'coded-frames', data: bin(0, 0, 0x84) })] },
  },
  {
    name: 'legacy VP6 generated key frame',
    bytes: bin(0x44, 0x00, 0x12),
    value: { frameType: 'generated-key', enhanced: false, tracks: [track({ codec: 'legacy:4', packetType: 'coded-frames', data: bin(0, 0x12) })] },
  },
  {
    name: 'legacy command frame (start of client seek)',
    bytes: bin(0x57, 0x00),
    value: { frameType: 'command', enhanced: false, command: 0, tracks: [] },
  },
  {
    name: 'legacy command frame with another CodecID',
    bytes: bin(0x52, 0x01),
    value: { frameType: 'command', enhanced: false, command: 1, tracks: [] },
    canonical: false,
  },
  // E-RTMP v1 (reference §7)
  {
    name: 'hvc1 SequenceStart',
    bytes: bin(0x90, 'hvc1', 0x01, 0x02, 0x03),
    value: { frameType: 'key', enhanced: true, tracks: [track({ codec: 'hvc1', packetType: 'sequence-start', data: bin(1, 2, 3) })] },
  },
  {
    name: 'hvc1 CodedFrames key frame with CTS',
    bytes: bin(0x91, 'hvc1', u24(33), nalus),
    value: { frameType: 'key', enhanced: true, tracks: [track({ codec: 'hvc1', packetType: 'coded-frames', compositionTimeMs: 33, data: nalus })] },
  },
  {
    name: 'hvc1 CodedFramesX inter frame',
    bytes: bin(0xa3, 'hvc1', nalus),
    value: { frameType: 'inter', enhanced: true, tracks: [track({ codec: 'hvc1', packetType: 'coded-frames', data: nalus })] },
  },
  {
    name: 'hvc1 CodedFrames with an explicit CTS of 0',
    bytes: bin(0x91, 'hvc1', u24(0), nalus),
    value: { frameType: 'key', enhanced: true, tracks: [track({ codec: 'hvc1', packetType: 'coded-frames', data: nalus })] },
    canonical: false,
  },
  {
    name: 'hvc1 SequenceEnd as OBS sends it',
    bytes: bin(0xa2, 'hvc1'),
    value: { frameType: 'inter', enhanced: true, tracks: [track({ codec: 'hvc1', packetType: 'sequence-end', data: bin() })] },
  },
  {
    name: 'av01 CodedFrames: no CTS field',
    bytes: bin(0x91, 'av01', 0x12, 0x00, 0x0a),
    value: { frameType: 'key', enhanced: true, tracks: [track({ codec: 'av01', packetType: 'coded-frames', data: bin(0x12, 0, 0x0a) })] },
  },
  {
    name: 'vp09 inter frame: no CTS field',
    bytes: bin(0xa1, 'vp09', 0x86, 0x00),
    value: { frameType: 'inter', enhanced: true, tracks: [track({ codec: 'vp09', packetType: 'coded-frames', data: bin(0x86, 0) })] },
  },
  {
    name: 'av01 MPEG2TSSequenceStart',
    bytes: bin(0x95, 'av01', 0x80, 0x01),
    value: { frameType: 'key', enhanced: true, tracks: [track({ codec: 'av01', packetType: 'mpeg2ts-sequence-start', data: bin(0x80, 1) })] },
  },
  {
    name: 'Metadata as FFmpeg writes it (0xD4)',
    bytes: bin(0xd4, 'hvc1', hdrAmf),
    value: {
      frameType: 'command',
      enhanced: true,
      metadata: hdr,
      tracks: [track({ codec: 'hvc1', packetType: 'metadata', data: hdrAmf, colorInfo: hdr })],
    },
  },
  {
    name: 'Metadata as OBS writes it (0x84, FrameType 0 ignored)',
    bytes: bin(0x84, 'av01', hdrAmf),
    value: {
      frameType: 'command',
      enhanced: true,
      metadata: hdr,
      tracks: [track({ codec: 'av01', packetType: 'metadata', data: hdrAmf, colorInfo: hdr })],
    },
    canonical: false,
  },
  {
    name: 'Metadata resetting colorInfo ({})',
    bytes: bin(0xd4, 'vp09', encodeColorInfo({})),
    value: {
      frameType: 'command',
      enhanced: true,
      metadata: {},
      tracks: [track({ codec: 'vp09', packetType: 'metadata', data: encodeColorInfo({}), colorInfo: {} })],
    },
  },
  {
    name: 'enhanced command frame (end of client seek)',
    bytes: bin(0xd0, 0x01),
    value: { frameType: 'command', enhanced: true, command: 1, tracks: [] },
  },
  {
    name: 'enhanced command frame with another PacketType nibble',
    bytes: bin(0xd3, 0x00),
    value: { frameType: 'command', enhanced: true, command: 0, tracks: [] },
    canonical: false,
  },
  // E-RTMP v2 codecs
  {
    name: 'avc1 CodedFrames (v2 FourCC) with CTS',
    bytes: bin(0x91, 'avc1', u24(100), nalus),
    value: { frameType: 'key', enhanced: true, tracks: [track({ codec: 'avc1', packetType: 'coded-frames', compositionTimeMs: 100, data: nalus })] },
  },
  {
    name: 'vvc1 inter CodedFrames with CTS',
    bytes: bin(0xa1, 'vvc1', u24(0x7fffff), nalus),
    value: { frameType: 'inter', enhanced: true, tracks: [track({ codec: 'vvc1', packetType: 'coded-frames', compositionTimeMs: 0x7fffff, data: nalus })] },
  },
  {
    name: 'vp08 SequenceStart',
    bytes: bin(0x90, 'vp08', 0x01, 0x00),
    value: { frameType: 'key', enhanced: true, tracks: [track({ codec: 'vp08', packetType: 'sequence-start', data: bin(1, 0) })] },
  },
  // Multitrack (reference §8.2)
  {
    name: 'Multitrack OneTrack: OBS track 1 HEVC key frame, CTS 0',
    bytes: bin(0x96, 0x03, 'hvc1', 0x01, nalus),
    value: {
      frameType: 'key',
      enhanced: true,
      multitrack: 'one-track',
      tracks: [track({ trackId: 1, codec: 'hvc1', packetType: 'coded-frames', data: nalus })],
    },
  },
  {
    name: 'Multitrack ManyTracks: CodedFrames with a CTS per track',
    bytes: bin(0xa6, 0x11, 'avc1', 0x00, u24(7), u24(33), 0xaa, 0xbb, 0xcc, 0xdd, 0x02, u24(5), u24(0), 0xee, 0xff),
    value: {
      frameType: 'inter',
      enhanced: true,
      multitrack: 'many-tracks',
      tracks: [
        track({ trackId: 0, codec: 'avc1', packetType: 'coded-frames', compositionTimeMs: 33, data: bin(0xaa, 0xbb, 0xcc, 0xdd) }),
        track({ trackId: 2, codec: 'avc1', packetType: 'coded-frames', data: bin(0xee, 0xff) }),
      ],
    },
  },
  {
    name: 'Multitrack ManyTracksManyCodecs: SequenceStart for avc1 and av01',
    bytes: bin(0x96, 0x20, 'avc1', 0x01, u24(3), 0x01, 0x64, 0x00, 'av01', 0x02, u24(2), 0x81, 0x00),
    value: {
      frameType: 'key',
      enhanced: true,
      multitrack: 'many-tracks-many-codecs',
      tracks: [
        track({ trackId: 1, codec: 'avc1', packetType: 'sequence-start', data: bin(1, 0x64, 0) }),
        track({ trackId: 2, codec: 'av01', packetType: 'sequence-start', data: bin(0x81, 0) }),
      ],
    },
  },
  {
    name: 'Multitrack ManyTracksManyCodecs CodedFrames: CTS only for the NALU codec',
    bytes: bin(0x96, 0x21, 'hvc1', 0x01, u24(5), u24(0), 0x01, 0x02, 'av01', 0x02, u24(1), 0x12),
    value: {
      frameType: 'key',
      enhanced: true,
      multitrack: 'many-tracks-many-codecs',
      tracks: [
        track({ trackId: 1, codec: 'hvc1', packetType: 'coded-frames', data: bin(1, 2) }),
        track({ trackId: 2, codec: 'av01', packetType: 'coded-frames', data: bin(0x12) }),
      ],
    },
  },
  {
    name: 'Multitrack Metadata (FrameType ignored) on track 1',
    bytes: bin(0x86, 0x04, 'hvc1', 0x01, hdrAmf),
    value: {
      frameType: 'command',
      enhanced: true,
      multitrack: 'one-track',
      metadata: hdr,
      tracks: [track({ trackId: 1, codec: 'hvc1', packetType: 'metadata', data: hdrAmf, colorInfo: hdr })],
    },
  },
  {
    name: 'FrameType 5 with the outer type Multitrack is a command frame (E-RTMP v2 pseudocode)',
    bytes: bin(0xd6, 0x00),
    value: { frameType: 'command', enhanced: true, command: 0, tracks: [] },
    canonical: false,
  },
  // ModEx (reference §8.3)
  {
    name: 'ModEx TimestampOffsetNano then hvc1 CodedFrames',
    bytes: bin(0x97, 0x02, u24(500), 0x01, 'hvc1', u24(33), nalus),
    value: {
      frameType: 'key',
      enhanced: true,
      tracks: [track({ codec: 'hvc1', packetType: 'coded-frames', compositionTimeMs: 33, timestampOffsetNs: 500, data: nalus })],
    },
  },
  {
    name: 'ModEx with the UI16 size form (4 data bytes behind 0xFF)',
    bytes: bin(0x97, 0xff, 0x00, 0x03, u24(123), 0x00, 0x01, 'av01', 0x12),
    value: {
      frameType: 'key',
      enhanced: true,
      tracks: [track({ codec: 'av01', packetType: 'coded-frames', timestampOffsetNs: 123, data: bin(0x12) })],
    },
    canonical: false,
  },
  {
    name: 'ModEx TimestampOffsetNano shorter than 3 bytes counts as 0',
    bytes: bin(0xa7, 0x01, 0xaa, 0xbb, 0x01, 'vp09', 0x86),
    value: { frameType: 'inter', enhanced: true, tracks: [track({ codec: 'vp09', packetType: 'coded-frames', data: bin(0x86) })] },
    canonical: false,
  },
  {
    name: 'unknown ModEx type skipped, then a chained TimestampOffsetNano',
    bytes: bin(0x97, 0x00, 0x55, 0xf7, 0x02, u24(999_999), 0x00, 'av01', 0x81),
    value: {
      frameType: 'key',
      enhanced: true,
      tracks: [track({ codec: 'av01', packetType: 'sequence-start', timestampOffsetNs: 999_999, data: bin(0x81) })],
    },
    canonical: false,
  },
  {
    name: 'ModEx then Multitrack ManyTracks CodedFramesX',
    bytes: bin(0x97, 0x02, u24(10), 0x06, 0x13, 'hvc1', 0x00, u24(2), 0xaa, 0xbb, 0x01, u24(1), 0xcc),
    value: {
      frameType: 'key',
      enhanced: true,
      multitrack: 'many-tracks',
      tracks: [
        track({ trackId: 0, codec: 'hvc1', packetType: 'coded-frames', timestampOffsetNs: 10, data: bin(0xaa, 0xbb) }),
        track({ trackId: 1, codec: 'hvc1', packetType: 'coded-frames', timestampOffsetNs: 10, data: bin(0xcc) }),
      ],
    },
  },
  {
    name: 'ModEx before a command frame',
    bytes: bin(0xd7, 0x02, u24(1), 0x00, 0x01),
    value: { frameType: 'command', enhanced: true, command: 1, tracks: [] },
    canonical: false,
  },
];

describe('parseVideoTag', () => {
  test.each(cases)('$name', ({ bytes, value }) => {
    expect(parseVideoTag(bytes)).toEqual(value);
  });

  test('data is a view into the body, not a copy', () => {
    const body = bin(0x17, 0x01, u24(0), nalus);
    const t = parseVideoTag(body).tracks[0]!;
    expect(t.data.buffer).toBe(body.buffer);
    expect(t.data.byteOffset).toBe(5);
  });
});

describe('encodeVideoTag', () => {
  test.each(cases.filter((c) => c.canonical !== false))('$name', ({ bytes, value }) => {
    expect(encodeVideoTag(value)).toEqual(bytes);
  });

  test.each(cases)('round trip: $name', ({ value }) => {
    expect(parseVideoTag(encodeVideoTag(value))).toEqual(value);
  });

  const bad: [string, VideoTag][] = [
    ['two tracks without Multitrack', { frameType: 'key', enhanced: true, tracks: [track({ codec: 'av01', packetType: 'coded-frames', data: bin() }), track({ codec: 'av01', packetType: 'coded-frames', data: bin() })] }],
    ['track 1 without Multitrack', { frameType: 'key', enhanced: true, tracks: [track({ trackId: 1, codec: 'av01', packetType: 'coded-frames', data: bin() })] }],
    ['AV1 in the legacy layout', { frameType: 'key', enhanced: false, tracks: [track({ codec: 'av01', packetType: 'coded-frames', data: bin() })] }],
    ['CTS on AV1', { frameType: 'key', enhanced: true, tracks: [track({ codec: 'av01', packetType: 'coded-frames', compositionTimeMs: 3, data: bin() })] }],
    ['CTS beyond SI24', { frameType: 'key', enhanced: true, tracks: [track({ codec: 'hvc1', packetType: 'coded-frames', compositionTimeMs: 0x800000, data: bin() })] }],
    ['mixed codecs in ManyTracks', { frameType: 'key', enhanced: true, multitrack: 'many-tracks', tracks: [track({ codec: 'av01', packetType: 'sequence-start', data: bin() }), track({ trackId: 1, codec: 'vp09', packetType: 'sequence-start', data: bin() })] }],
    ['no tracks', { frameType: 'key', enhanced: true, tracks: [] }],
  ];
  test.each(bad)('rejects %s', (_name, value) => {
    expect(() => encodeVideoTag(value)).toThrow(ProtocolError);
  });
});

describe('parseVideoTag rejects', () => {
  const errors: [string, Uint8Array, string][] = [
    ['an empty body', bin(), 'truncated'],
    ['an unknown FourCC', bin(0x91, 'xxxx', 0x00), 'flv-unknown-fourcc'],
    ['an audio FourCC in a video tag', bin(0x91, 'mp4a', 0x00), 'flv-unknown-fourcc'],
    ['PacketType 8', bin(0x98, 'hvc1'), 'flv-unknown-packet-type'],
    ['PacketType 15', bin(0x9f, 'hvc1'), 'flv-unknown-packet-type'],
    ['Multitrack nested in Multitrack', bin(0x96, 0x06, 'hvc1', 0x01), 'flv-bad-multitrack'],
    ['ModEx nested in Multitrack', bin(0x96, 0x07, 'hvc1', 0x01), 'flv-bad-multitrack'],
    ['an unknown AvMultitrackType', bin(0x96, 0x31, 'hvc1', 0x01), 'flv-unknown-multitrack-type'],
    ['a ManyTracks size past the end', bin(0x96, 0x10, 'av01', 0x01, u24(9), 0x00), 'truncated'],
    ['an unknown legacy CodecID', bin(0x11, 0x00), 'flv-unknown-codec-id'],
    ['legacy FrameType 0', bin(0x07, 0x01, u24(0)), 'flv-unknown-frame-type'],
    ['enhanced FrameType 0 outside Metadata', bin(0x81, 'av01', 0x00), 'flv-unknown-frame-type'],
    ['enhanced FrameType 6', bin(0xe1, 'av01', 0x00), 'flv-unknown-frame-type'],
    ['an unknown AVCPacketType', bin(0x17, 0x03, u24(0)), 'flv-unknown-packet-type'],
    ['a truncated CTS', bin(0x91, 'hvc1', 0x00), 'truncated'],
    ['a truncated legacy AVC header', bin(0x17, 0x01), 'truncated'],
    ['a command frame without its command byte', bin(0x57), 'truncated'],
    ['a ModEx loop cut short', bin(0x97, 0x05, 0x00), 'truncated'],
    ['a ModEx UI16 size cut short', bin(0x97, 0xff, 0x00), 'truncated'],
  ];
  test.each(errors)('%s', (_name, bytes, code) => {
    expect(() => parseVideoTag(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });

  test('more tracks than the limit', () => {
    const many = bin(0x96, 0x13, 'av01', ...Array.from({ length: 33 }, (_, i) => [i, ...u24(1), 0x00]));
    expect(() => parseVideoTag(many)).toThrow(expect.objectContaining({ code: 'limit-exceeded' }));
    const three = bin(0x96, 0x13, 'av01', ...Array.from({ length: 3 }, (_, i) => [i, ...u24(1), 0x00]));
    expect(parseVideoTag(three).tracks).toHaveLength(3);
    expect(() => parseVideoTag(three, { maxTracksPerTag: 2 })).toThrow(expect.objectContaining({ code: 'limit-exceeded' }));
  });

  test('malformed colorInfo AMF', () => {
    expect(() => parseVideoTag(bin(0xd4, 'hvc1', 0x02, 0x00, 0x09, 'color'))).toThrow(ProtocolError);
  });

  test('a Metadata packet with another AMF name has no colorInfo', () => {
    const amf = bin(0x02, 0x00, 0x03, 'foo', 0x05);
    const t = parseVideoTag(bin(0xd4, 'hvc1', amf));
    expect(t.metadata).toBeUndefined();
    expect(t.tracks[0]).toEqual(track({ codec: 'hvc1', packetType: 'metadata', data: amf }));
  });
});
