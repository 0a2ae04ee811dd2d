import { describe, expect, test } from 'vitest';
import { ProtocolError } from '@headwater/bytes';
import { parseAudioTag } from './audio-tag.js';
import type { AudioTag, AudioTrackPacket } from './audio-tag.js';
import { encodeAudioTag } from './audio-tag-encoder.js';
import { AUDIO_CHANNEL_MASK, encodeMultichannelConfig, parseMultichannelConfig } from './multichannel-config.js';
import type { MultichannelConfig } from './multichannel-config.js';

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

function track(p: Partial<AudioTrackPacket> & Pick<AudioTrackPacket, 'codec' | 'packetType' | 'data'>): AudioTrackPacket {
  return { trackId: 0, timestampOffsetNs: 0, ...p };
}

const asc = bin(0x11, 0x90);
const aac = bin(0x21, 0x10, 0x04);
const opusHead = bin('OpusHead', 1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0);
const aacFormat = { soundFormat: 10, rateHz: 44100, sampleSizeBits: 16, stereo: true } as const;
const surround51 =
  AUDIO_CHANNEL_MASK.FL | AUDIO_CHANNEL_MASK.FR | AUDIO_CHANNEL_MASK.FC | AUDIO_CHANNEL_MASK.LFE1 | AUDIO_CHANNEL_MASK.BL | AUDIO_CHANNEL_MASK.BR;
const native51: MultichannelConfig = { order: 'native', channelCount: 6, channelMask: surround51 };
const custom3: MultichannelConfig = { order: 'custom', channelCount: 3, speakers: [0, 1, 0xff] };
const stereoUnspecified: MultichannelConfig = { order: 'unspecified', channelCount: 2 };

interface Case {
  name: string;
  bytes: Uint8Array;
  value: AudioTag;
  canonical?: boolean;
}

const cases: Case[] = [
  { name: 'empty body: the silence marker', bytes: bin(), value: { enhanced: false, tracks: [] } },
  // Legacy (reference §6)
  {
    name: 'legacy AAC AudioSpecificConfig',
    bytes: bin(0xaf, 0x00, asc),
    value: { enhanced: false, legacyFormat: aacFormat, tracks: [track({ codec: 'mp4a', packetType: 'sequence-start', data: asc })] },
  },
  {
    name: 'legacy AAC raw frame',
    bytes: bin(0xaf, 0x01, aac),
    value: { enhanced: false, legacyFormat: aacFormat, tracks: [track({ codec: 'mp4a', packetType: 'coded-frames', data: aac })] },
  },
  {
    name: 'legacy MP3 (SoundFormat 2) 44 kHz 16-bit stereo',
    bytes: bin(0x2f, 0xff, 0xfb, 0x90),
    value: {
      enhanced: false,
      legacyFormat: { soundFormat: 2, rateHz: 44100, sampleSizeBits: 16, stereo: true },
      tracks: [track({ codec: '.mp3', packetType: 'coded-frames', data: bin(0xff, 0xfb, 0x90) })],
    },
  },
  {
    name: 'legacy MP3 8 kHz (SoundFormat 14) mono 8-bit at 5.5 kHz bits',
    bytes: bin(0xe0, 0xff, 0xe3),
    value: {
      enhanced: false,
      legacyFormat: { soundFormat: 14, rateHz: 5512, sampleSizeBits: 8, stereo: false },
      tracks: [track({ codec: '.mp3', packetType: 'coded-frames', data: bin(0xff, 0xe3) })],
    },
  },
  {
    name: 'legacy G.711 A-law 11 kHz 16-bit mono',
    bytes: bin(0x76, 0xd5, 0x55),
    value: {
      enhanced: false,
      legacyFormat: { soundFormat: 7, rateHz: 11025, sampleSizeBits: 16, stereo: false },
      tracks: [track({ codec: 'legacy:7', packetType: 'coded-frames', data: bin(0xd5, 0x55) })],
    },
  },
  {
    name: 'legacy Speex 22 kHz',
    bytes: bin(0xb8, 0x01),
    value: {
      enhanced: false,
      legacyFormat: { soundFormat: 11, rateHz: 22050, sampleSizeBits: 8, stereo: false },
      tracks: [track({ codec: 'legacy:11', packetType: 'coded-frames', data: bin(0x01) })],
    },
  },
  {
    name: 'legacy format byte alone (PCM, no samples)',
    bytes: bin(0x0e),
    value: {
      enhanced: false,
      legacyFormat: { soundFormat: 0, rateHz: 44100, sampleSizeBits: 16, stereo: false },
      tracks: [track({ codec: 'legacy:0', packetType: 'coded-frames', data: bin() })],
    },
  },
  // ExAudio (reference §8.1)
  {
    name: 'Opus SequenceStart (OpusHead)',
    bytes: bin(0x90, 'Opus', opusHead),
    value: { enhanced: true, tracks: [track({ codec: 'Opus', packetType: 'sequence-start', data: opusHead })] },
  },
  {
    name: 'Opus CodedFrames',
    bytes: bin(0x91, 'Opus', 0xfc, 0xff, 0xfe),
    value: { enhanced: true, tracks: [track({ codec: 'Opus', packetType: 'coded-frames', data: bin(0xfc, 0xff, 0xfe) })] },
  },
  {
    name: 'mp4a SequenceEnd',
    bytes: bin(0x92, 'mp4a'),
    value: { enhanced: true, tracks: [track({ codec: 'mp4a', packetType: 'sequence-end', data: bin() })] },
  },
  {
    name: 'ac-3 SequenceStart with an empty body (FFmpeg)',
    bytes: bin(0x90, 'ac-3'),
    value: { enhanced: true, tracks: [track({ codec: 'ac-3', packetType: 'sequence-start', data: bin() })] },
  },
  {
    name: 'ec-3 CodedFrames',
    bytes: bin(0x91, 'ec-3', 0x0b, 0x77),
    value: { enhanced: true, tracks: [track({ codec: 'ec-3', packetType: 'coded-frames', data: bin(0x0b, 0x77) })] },
  },
  {
    name: 'fLaC SequenceStart',
    bytes: bin(0x90, 'fLaC', 0x10, 0x00),
    value: { enhanced: true, tracks: [track({ codec: 'fLaC', packetType: 'sequence-start', data: bin(0x10, 0) })] },
  },
  {
    name: '.mp3 CodedFrames',
    bytes: bin(0x91, '.mp3', 0xff, 0xfb),
    value: { enhanced: true, tracks: [track({ codec: '.mp3', packetType: 'coded-frames', data: bin(0xff, 0xfb) })] },
  },
  {
    name: 'MultichannelConfig unspecified order',
    bytes: bin(0x94, 'Opus', 0x00, 0x02),
    value: {
      enhanced: true,
      multichannel: stereoUnspecified,
      tracks: [track({ codec: 'Opus', packetType: 'multichannel-config', data: bin(0, 2), multichannel: stereoUnspecified })],
    },
  },
  {
    name: 'MultichannelConfig native 5.1 mask (FFmpeg sends it for mp4a too)',
    bytes: bin(0x94, 'mp4a', 0x01, 0x06, 0x00, 0x00, 0x00, 0x3f),
    value: {
      enhanced: true,
      multichannel: native51,
      tracks: [track({ codec: 'mp4a', packetType: 'multichannel-config', data: bin(1, 6, 0, 0, 0, 0x3f), multichannel: native51 })],
    },
  },
  {
    name: 'MultichannelConfig custom speaker ids',
    bytes: bin(0x94, 'fLaC', 0x02, 0x03, 0x00, 0x01, 0xff),
    value: {
      enhanced: true,
      multichannel: custom3,
      tracks: [track({ codec: 'fLaC', packetType: 'multichannel-config', data: bin(2, 3, 0, 1, 0xff), multichannel: custom3 })],
    },
  },
  // Multitrack (reference §8.2)
  {
    name: 'Multitrack OneTrack: OBS track 1 AAC frame',
    bytes: bin(0x95, 0x01, 'mp4a', 0x01, aac),
    value: { enhanced: true, multitrack: 'one-track', tracks: [track({ trackId: 1, codec: 'mp4a', packetType: 'coded-frames', data: aac })] },
  },
  {
    name: 'Multitrack ManyTracks Opus CodedFrames',
    bytes: bin(0x95, 0x11, 'Opus', 0x00, u24(2), 0xaa, 0xbb, 0x01, u24(1), 0xcc),
    value: {
      enhanced: true,
      multitrack: 'many-tracks',
      tracks: [
        track({ trackId: 0, codec: 'Opus', packetType: 'coded-frames', data: bin(0xaa, 0xbb) }),
        track({ trackId: 1, codec: 'Opus', packetType: 'coded-frames', data: bin(0xcc) }),
      ],
    },
  },
  {
    name: 'Multitrack ManyTracksManyCodecs SequenceStart',
    bytes: bin(0x95, 0x20, 'mp4a', 0x01, u24(2), asc, 'Opus', 0x02, u24(0)),
    value: {
      enhanced: true,
      multitrack: 'many-tracks-many-codecs',
      tracks: [
        track({ trackId: 1, codec: 'mp4a', packetType: 'sequence-start', data: asc }),
        track({ trackId: 2, codec: 'Opus', packetType: 'sequence-start', data: bin() }),
      ],
    },
  },
  {
    name: 'Multitrack ManyTracks MultichannelConfig per track',
    bytes: bin(0x95, 0x14, 'Opus', 0x01, u24(2), 0x00, 0x02, 0x02, u24(6), 0x01, 0x06, 0x00, 0x00, 0x00, 0x3f),
    value: {
      enhanced: true,
      multitrack: 'many-tracks',
      multichannel: stereoUnspecified,
      tracks: [
        track({ trackId: 1, codec: 'Opus', packetType: 'multichannel-config', data: bin(0, 2), multichannel: stereoUnspecified }),
        track({ trackId: 2, codec: 'Opus', packetType: 'multichannel-config', data: bin(1, 6, 0, 0, 0, 0x3f), multichannel: native51 }),
      ],
    },
  },
  // ModEx (reference §8.3)
  {
    name: 'ModEx TimestampOffsetNano then Opus CodedFrames',
    bytes: bin(0x97, 0x02, u24(1000), 0x01, 'Opus', 0xfc),
    value: { enhanced: true, tracks: [track({ codec: 'Opus', packetType: 'coded-frames', timestampOffsetNs: 1000, data: bin(0xfc) })] },
  },
  {
    name: 'ModEx with the UI16 size form',
    bytes: bin(0x97, 0xff, 0x00, 0x04, u24(77), 0x00, 0x00, 0x01, 'mp4a', aac),
    value: { enhanced: true, tracks: [track({ codec: 'mp4a', packetType: 'coded-frames', timestampOffsetNs: 77, data: aac })] },
    canonical: false,
  },
  {
    name: 'ModEx with a 256-byte payload via UI16 (0xFF 0x00FF)',
    bytes: bin(0x97, 0xff, 0x00, 0xff, u24(5), new Uint8Array(253), 0x01, 'Opus', 0xfc),
    value: { enhanced: true, tracks: [track({ codec: 'Opus', packetType: 'coded-frames', timestampOffsetNs: 5, data: bin(0xfc) })] },
    canonical: false,
  },
  {
    name: 'ModEx then Multitrack OneTrack',
    bytes: bin(0x97, 0x02, u24(250), 0x05, 0x01, 'mp4a', 0x03, aac),
    value: {
      enhanced: true,
      multitrack: 'one-track',
      tracks: [track({ trackId: 3, codec: 'mp4a', packetType: 'coded-frames', timestampOffsetNs: 250, data: aac })],
    },
  },
  {
    name: 'unknown ModEx type skipped',
    bytes: bin(0x97, 0x01, 0x12, 0x34, 0x31, 'Opus', 0xfc),
    value: { enhanced: true, tracks: [track({ codec: 'Opus', packetType: 'coded-frames', data: bin(0xfc) })] },
    canonical: false,
  },
];

describe('parseAudioTag', () => {
  test.each(cases)('$name', ({ bytes, value }) => {
    expect(parseAudioTag(bytes)).toEqual(value);
  });
});

describe('encodeAudioTag', () => {
  test.each(cases.filter((c) => c.canonical !== false))('$name', ({ bytes, value }) => {
    expect(encodeAudioTag(value)).toEqual(bytes);
  });

  test.each(cases)('round trip: $name', ({ value }) => {
    expect(parseAudioTag(encodeAudioTag(value))).toEqual(value);
  });

  const bad: [string, AudioTag][] = [
    ['legacy without legacyFormat', { enhanced: false, tracks: [track({ codec: 'mp4a', packetType: 'coded-frames', data: aac })] }],
    ['a codec that does not match SoundFormat', { enhanced: false, legacyFormat: aacFormat, tracks: [track({ codec: '.mp3', packetType: 'coded-frames', data: aac })] }],
    ['Opus in the legacy layout', { enhanced: false, legacyFormat: { ...aacFormat, soundFormat: 9 }, tracks: [track({ codec: 'Opus', packetType: 'coded-frames', data: aac })] }],
    ['legacy MP3 sequence-start', { enhanced: false, legacyFormat: { ...aacFormat, soundFormat: 2 }, tracks: [track({ codec: '.mp3', packetType: 'sequence-start', data: aac })] }],
    ['a legacy SoundFormat codec in ExAudio', { enhanced: true, tracks: [track({ codec: 'legacy:7', packetType: 'coded-frames', data: aac })] }],
    ['mixed packet types', { enhanced: true, multitrack: 'many-tracks', tracks: [track({ codec: 'Opus', packetType: 'coded-frames', data: aac }), track({ trackId: 1, codec: 'Opus', packetType: 'sequence-end', data: aac })] }],
    ['a track id above 255', { enhanced: true, multitrack: 'one-track', tracks: [track({ trackId: 256, codec: 'Opus', packetType: 'coded-frames', data: aac })] }],
  ];
  test.each(bad)('rejects %s', (_name, value) => {
    expect(() => encodeAudioTag(value)).toThrow(ProtocolError);
  });
});

describe('parseAudioTag rejects', () => {
  const errors: [string, Uint8Array, string][] = [
    ['a legacy AAC body without AACPacketType', bin(0xaf), 'truncated'],
    ['an unknown AACPacketType', bin(0xaf, 0x02), 'flv-unknown-packet-type'],
    ['reserved AudioPacketType 3', bin(0x93, 'Opus'), 'flv-unknown-packet-type'],
    ['reserved AudioPacketType 6', bin(0x96, 'Opus'), 'flv-unknown-packet-type'],
    ['reserved AudioPacketType 8', bin(0x98, 'Opus'), 'flv-unknown-packet-type'],
    ['a video FourCC', bin(0x91, 'hvc1', 0x00), 'flv-unknown-fourcc'],
    ['a lower-case opus FourCC', bin(0x91, 'opus', 0x00), 'flv-unknown-fourcc'],
    ['a truncated FourCC', bin(0x91, 'Op'), 'truncated'],
    ['Multitrack nested in Multitrack', bin(0x95, 0x15, 'Opus', 0x00), 'flv-bad-multitrack'],
    ['an unknown AvMultitrackType', bin(0x95, 0x41, 'Opus', 0x00), 'flv-unknown-multitrack-type'],
    ['reserved inner type', bin(0x95, 0x03, 'Opus', 0x00), 'flv-unknown-packet-type'],
    ['an unknown channel order', bin(0x94, 'Opus', 0x03, 0x02), 'flv-unknown-channel-order'],
    ['custom speaker ids cut short', bin(0x94, 'Opus', 0x02, 0x04, 0x00, 0x01), 'truncated'],
    ['a native mask cut short', bin(0x94, 'Opus', 0x01, 0x02, 0x00), 'truncated'],
    ['a ModEx size past the end', bin(0x97, 0x10, 0x00, 0x00), 'truncated'],
  ];
  test.each(errors)('%s', (_name, bytes, code) => {
    expect(() => parseAudioTag(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });

  test('more tracks than the limit', () => {
    const tracks = (n: number): number[] => Array.from({ length: n }, (_, i) => [i, ...u24(1), 0xfc]).flat();
    expect(() => parseAudioTag(bin(0x95, 0x11, 'Opus', tracks(33)))).toThrow(expect.objectContaining({ code: 'limit-exceeded' }));
    expect(parseAudioTag(bin(0x95, 0x11, 'Opus', tracks(32))).tracks).toHaveLength(32);
    expect(() => parseAudioTag(bin(0x95, 0x11, 'Opus', tracks(5)), { maxTracksPerTag: 4 })).toThrow(
      expect.objectContaining({ code: 'limit-exceeded' }),
    );
  });
});

describe('MultichannelConfig', () => {
  test.each([stereoUnspecified, native51, custom3, { order: 'custom', channelCount: 0, speakers: [] } as MultichannelConfig])(
    'round trip %j',
    (config) => {
      expect(parseMultichannelConfig(encodeMultichannelConfig(config))).toEqual(config);
    },
  );

  test('rejects a custom layout whose id count differs from channelCount', () => {
    expect(() => encodeMultichannelConfig({ order: 'custom', channelCount: 2, speakers: [1] })).toThrow(ProtocolError);
  });
});
