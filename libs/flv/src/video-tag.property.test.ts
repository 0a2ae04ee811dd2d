import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import { ProtocolError } from '@headwater/bytes';
import { encodeColorInfo } from './color-info.js';
import type { ColorInfo } from './color-info.js';
import type { MultitrackType } from './ex-header.js';
import { LEGACY_VIDEO_CODEC_IDS, VIDEO_FOURCCS } from './fourcc.js';
import type { VideoFourCc } from './fourcc.js';
import { isNaluCodec, parseVideoTag } from './video-tag.js';
import type { VideoFrameType, VideoPacketType, VideoTag, VideoTrackPacket } from './video-tag.js';
import { encodeVideoTag } from './video-tag-encoder.js';

const data = fc.uint8Array({ maxLength: 24 });
const cts = fc.integer({ min: -0x800000, max: 0x7fffff });
const offsetNs = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 999_999 }));
const pictureFrame = fc.constantFrom<VideoFrameType>('key', 'inter', 'disposable', 'generated-key');
const fourcc = fc.constantFrom<VideoFourCc>(...VIDEO_FOURCCS);
const num = fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.double({ noNaN: true, noDefaultInfinity: true }));

const colorInfoArb: fc.Arbitrary<ColorInfo> = fc.record(
  {
    colorConfig: fc.record(
      { bitDepth: num, colorPrimaries: num, transferCharacteristics: num, matrixCoefficients: num },
      { requiredKeys: [] },
    ),
    hdrCll: fc.record({ maxFall: num, maxCLL: num }, { requiredKeys: [] }),
    hdrMdcv: fc.record({ redX: num, redY: num, whitePointX: num, maxLuminance: num, minLuminance: num }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

const legacy: fc.Arbitrary<VideoTag> = fc.oneof(
  fc.record({
    frameType: pictureFrame,
    codec: fc.constantFrom<VideoFourCc>('avc1', 'hvc1'),
    packetType: fc.constantFrom<VideoPacketType>('sequence-start', 'coded-frames', 'sequence-end'),
    cts,
    data,
  }).map(({ frameType, codec, packetType, cts: c, data: d }) => ({
    frameType,
    enhanced: false,
    tracks: [{ trackId: 0, codec, packetType, compositionTimeMs: c, timestampOffsetNs: 0, data: d }],
  })),
  fc.record({ frameType: pictureFrame, id: fc.constantFrom(...LEGACY_VIDEO_CODEC_IDS), data }).map(({ frameType, id, data: d }) => ({
    frameType,
    enhanced: false,
    tracks: [{ trackId: 0, codec: `legacy:${id}` as const, packetType: 'coded-frames' as const, compositionTimeMs: 0, timestampOffsetNs: 0, data: d }],
  })),
);

const command: fc.Arbitrary<VideoTag> = fc.record({ enhanced: fc.boolean(), command: fc.integer({ min: 0, max: 255 }) }).map((c) => ({
  frameType: 'command',
  ...c,
  tracks: [],
}));

/** One track's packet for an enhanced message with the given shared packet type. */
function trackArb(packetType: VideoPacketType, codecArb: fc.Arbitrary<VideoFourCc>, ns: number): fc.Arbitrary<VideoTrackPacket> {
  if (packetType === 'metadata') {
    return fc.record({ trackId: fc.nat(255), codec: codecArb, ci: colorInfoArb }).map(({ trackId, codec, ci }) => ({
      trackId,
      codec,
      packetType,
      compositionTimeMs: 0,
      timestampOffsetNs: ns,
      data: encodeColorInfo(ci),
      colorInfo: ci,
    }));
  }
  return fc
    .record({ trackId: fc.nat(255), codec: codecArb, data, cts })
    .map(({ trackId, codec, data: d, cts: c }) => ({
      trackId,
      codec,
      packetType,
      compositionTimeMs: packetType === 'coded-frames' && isNaluCodec(codec) ? c : 0,
      timestampOffsetNs: ns,
      data: d,
    }));
}

const enhanced: fc.Arbitrary<VideoTag> = fc
  .record({
    packetType: fc.constantFrom<VideoPacketType>('sequence-start', 'coded-frames', 'sequence-end', 'metadata', 'mpeg2ts-sequence-start'),
    multitrack: fc.constantFrom<MultitrackType | undefined>(undefined, 'one-track', 'many-tracks', 'many-tracks-many-codecs'),
    frameType: pictureFrame,
    ns: offsetNs,
    codec: fourcc,
  })
  .chain(({ packetType, multitrack, frameType, ns, codec }) => {
    const count = multitrack === undefined || multitrack === 'one-track' ? 1 : 4;
    const codecArb = multitrack === 'many-tracks-many-codecs' ? fourcc : fc.constant(codec);
    return fc.array(trackArb(packetType, codecArb, ns), { minLength: 1, maxLength: count }).map((tracks): VideoTag => {
      const tag: VideoTag = {
        frameType: packetType === 'metadata' ? 'command' : frameType,
        enhanced: true,
        tracks: multitrack === undefined ? tracks.map((t) => ({ ...t, trackId: 0 })) : tracks,
      };
      if (multitrack !== undefined) tag.multitrack = multitrack;
      const ci = tag.tracks.find((t) => t.colorInfo !== undefined)?.colorInfo;
      if (ci !== undefined) tag.metadata = ci;
      return tag;
    });
  });

const videoTagArb: fc.Arbitrary<VideoTag> = fc.oneof(legacy, command, enhanced);

/** Runs `fn`; anything it throws must be our ProtocolError. Returns its value, or undefined after an error. */
function onlyProtocolErrors<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return undefined;
  }
}

describe('video tag properties', () => {
  fcTest.prop([videoTagArb], { numRuns: 1000 })('parse(encode(tag)) equals tag', (tag) => {
    expect(parseVideoTag(encodeVideoTag(tag))).toEqual(tag);
  });

  const firstBytes = fc.constantFrom(0x17, 0x27, 0x57, 0x1c, 0x22, 0x90, 0x91, 0x93, 0x84, 0xd4, 0x95, 0x96, 0x97, 0xd7);
  fcTest.prop([firstBytes, fc.uint8Array({ maxLength: 48 })])('random bytes give a value or a ProtocolError', (b0, rest) => {
    const body = Uint8Array.of(b0, ...rest);
    const tag = onlyProtocolErrors(() => parseVideoTag(body));
    // Whatever parses can be written back and means the same.
    if (tag !== undefined) expect(parseVideoTag(encodeVideoTag(tag))).toEqual(tag);
  });

  fcTest.prop([videoTagArb, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat()])(
    'mutated and truncated tags give a value or a ProtocolError',
    (tag, flips, cut) => {
      const bytes = encodeVideoTag(tag).slice();
      for (const [at, v] of flips) if (bytes.length > 0) bytes[at % bytes.length] = v;
      const body = bytes.subarray(0, bytes.length === 0 ? 0 : cut % (bytes.length + 1));
      for (const b of [body, bytes]) {
        const parsed = onlyProtocolErrors(() => parseVideoTag(b));
        if (parsed !== undefined) expect(parseVideoTag(encodeVideoTag(parsed))).toEqual(parsed);
      }
    },
  );
});
