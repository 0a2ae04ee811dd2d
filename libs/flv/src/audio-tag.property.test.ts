import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import { ProtocolError } from '@headwater/bytes';
import { LEGACY_SOUND_RATES_HZ, parseAudioTag } from './audio-tag.js';
import type { AudioPacketType, AudioTag, AudioTrackPacket } from './audio-tag.js';
import { encodeAudioTag } from './audio-tag-encoder.js';
import type { MultitrackType } from './ex-header.js';
import { AUDIO_FOURCCS, LEGACY_SOUND_FORMATS, audioCodecFromSoundFormat } from './fourcc.js';
import type { AudioFourCc } from './fourcc.js';
import { encodeMultichannelConfig } from './multichannel-config.js';
import type { MultichannelConfig } from './multichannel-config.js';

const data = fc.uint8Array({ maxLength: 24 });
const offsetNs = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 999_999 }));
const fourcc = fc.constantFrom<AudioFourCc>(...AUDIO_FOURCCS);

const multichannelArb: fc.Arbitrary<MultichannelConfig> = fc.oneof(
  fc.record({ order: fc.constant('unspecified' as const), channelCount: fc.nat(255) }),
  fc.record({ order: fc.constant('native' as const), channelCount: fc.nat(255), channelMask: fc.nat(0xffffffff) }),
  fc.array(fc.nat(255), { maxLength: 32 }).map((speakers) => ({ order: 'custom' as const, channelCount: speakers.length, speakers })),
);

const legacyFormat = fc.record({
  rateHz: fc.constantFrom(...LEGACY_SOUND_RATES_HZ),
  sampleSizeBits: fc.constantFrom(8 as const, 16 as const),
  stereo: fc.boolean(),
});

const legacy: fc.Arbitrary<AudioTag> = fc.oneof(
  fc.constant<AudioTag>({ enhanced: false, tracks: [] }),
  fc
    .record({ f: legacyFormat, soundFormat: fc.constantFrom(2, 14, ...LEGACY_SOUND_FORMATS), data })
    .map(({ f, soundFormat, data: d }) => ({
      enhanced: false,
      legacyFormat: { soundFormat, ...f },
      tracks: [{ trackId: 0, codec: audioCodecFromSoundFormat(soundFormat)!, packetType: 'coded-frames' as const, timestampOffsetNs: 0, data: d }],
    })),
  fc
    .record({ f: legacyFormat, packetType: fc.constantFrom<AudioPacketType>('sequence-start', 'coded-frames'), data })
    .map(({ f, packetType, data: d }) => ({
      enhanced: false,
      legacyFormat: { soundFormat: 10, ...f },
      tracks: [{ trackId: 0, codec: 'mp4a' as const, packetType, timestampOffsetNs: 0, data: d }],
    })),
);

function trackArb(packetType: AudioPacketType, codecArb: fc.Arbitrary<AudioFourCc>, ns: number): fc.Arbitrary<AudioTrackPacket> {
  if (packetType === 'multichannel-config') {
    return fc.record({ trackId: fc.nat(255), codec: codecArb, mc: multichannelArb }).map(({ trackId, codec, mc }) => ({
      trackId,
      codec,
      packetType,
      timestampOffsetNs: ns,
      data: encodeMultichannelConfig(mc),
      multichannel: mc,
    }));
  }
  return fc.record({ trackId: fc.nat(255), codec: codecArb, data }).map(({ trackId, codec, data: d }) => ({
    trackId,
    codec,
    packetType,
    timestampOffsetNs: ns,
    data: d,
  }));
}

const enhanced: fc.Arbitrary<AudioTag> = fc
  .record({
    packetType: fc.constantFrom<AudioPacketType>('sequence-start', 'coded-frames', 'sequence-end', 'multichannel-config'),
    multitrack: fc.constantFrom<MultitrackType | undefined>(undefined, 'one-track', 'many-tracks', 'many-tracks-many-codecs'),
    ns: offsetNs,
    codec: fourcc,
  })
  .chain(({ packetType, multitrack, ns, codec }) => {
    const count = multitrack === undefined || multitrack === 'one-track' ? 1 : 4;
    const codecArb = multitrack === 'many-tracks-many-codecs' ? fourcc : fc.constant(codec);
    return fc.array(trackArb(packetType, codecArb, ns), { minLength: 1, maxLength: count }).map((tracks): AudioTag => {
      const tag: AudioTag = { enhanced: true, tracks: multitrack === undefined ? tracks.map((t) => ({ ...t, trackId: 0 })) : tracks };
      if (multitrack !== undefined) tag.multitrack = multitrack;
      const mc = tag.tracks.find((t) => t.multichannel !== undefined)?.multichannel;
      if (mc !== undefined) tag.multichannel = mc;
      return tag;
    });
  });

const audioTagArb: fc.Arbitrary<AudioTag> = fc.oneof(legacy, enhanced);

function onlyProtocolErrors<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return undefined;
  }
}

describe('audio tag properties', () => {
  fcTest.prop([audioTagArb], { numRuns: 1000 })('parse(encode(tag)) equals tag', (tag) => {
    expect(parseAudioTag(encodeAudioTag(tag))).toEqual(tag);
  });

  const firstBytes = fc.constantFrom(0xaf, 0x2f, 0xe2, 0x72, 0x90, 0x91, 0x92, 0x94, 0x95, 0x97, 0x9f);
  fcTest.prop([firstBytes, fc.uint8Array({ maxLength: 48 })])('random bytes give a value or a ProtocolError', (b0, rest) => {
    const tag = onlyProtocolErrors(() => parseAudioTag(Uint8Array.of(b0, ...rest)));
    if (tag !== undefined) expect(parseAudioTag(encodeAudioTag(tag))).toEqual(tag);
  });

  fcTest.prop([audioTagArb, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat()])(
    'mutated and truncated tags give a value or a ProtocolError',
    (tag, flips, cut) => {
      const bytes = encodeAudioTag(tag).slice();
      for (const [at, v] of flips) if (bytes.length > 0) bytes[at % bytes.length] = v;
      for (const b of [bytes.subarray(0, cut % (bytes.length + 1)), bytes]) {
        const parsed = onlyProtocolErrors(() => parseAudioTag(b));
        if (parsed !== undefined) expect(parseAudioTag(encodeAudioTag(parsed))).toEqual(parsed);
      }
    },
  );
});
