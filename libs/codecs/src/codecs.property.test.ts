import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '@headwater/bytes';
import { fixturePath, listFlvFixtures } from '@headwater/testkit';
import {
  AUDIO_CODECS,
  VIDEO_CODECS,
  describeAudioConfig,
  describeAudioFrame,
  describeVideoConfig,
  describeVideoFrame,
  eac3Channels,
  parseAc3FrameHeader,
  parseAudioSpecificConfig,
  parseAv1SequenceHeader,
  parseAv1c,
  parseAvcc,
  parseEac3FrameHeader,
  parseFlacStreamInfo,
  parseH264Sps,
  parseHevcSps,
  parseHvcc,
  parseMpegAudioFrameHeader,
  parseOpusHead,
  parseVp8FrameHeader,
  parseVp9FrameHeader,
  parseVpcc,
  splitObus,
} from './index.js';
import { buildAc3, buildAsc, buildEac3, buildMp3Header, buildOpusHead, buildStreamInfo } from './testing/audio-builders.js';
import { buildAv1SequenceHeaderPayload, buildAv1c, buildAvcc, buildH264Sps, buildHevcSps, buildHvcc, buildObu, buildVp9Frame, buildVpcc } from './testing/video-builders.js';

/** The first SequenceStart payloads and first coded frames of every shared fixture, as seeds. */
function fixtureSeeds(): Uint8Array[] {
  const seeds: Uint8Array[] = [];
  for (const name of listFlvFixtures()) {
    const file = new Uint8Array(readFileSync(fixturePath(name)));
    let offset = ((file[5]! << 24) | (file[6]! << 16) | (file[7]! << 8) | file[8]!) + 4;
    let taken = 0;
    while (offset + 11 <= file.length && taken < 12) {
      const size = (file[offset + 1]! << 16) | (file[offset + 2]! << 8) | file[offset + 3]!;
      const body = file.subarray(offset + 11, offset + 11 + size);
      if (body.length > 5) {
        // Legacy bodies start after 2 (AAC) or 5 (AVC) bytes, enhanced ones after 5: offer both cuts.
        seeds.push(body.slice(5, 5 + 4096), body.slice(2, 2 + 4096));
        taken++;
      }
      offset += 11 + size + 4;
    }
  }
  return seeds;
}

const PTL = { profileIdc: 1, compat: 0x60000000, constraints: [0x90], levelIdc: 93 };
const hevcSps = buildHevcSps({
  ptl: PTL,
  maxSubLayersMinus1: 2,
  subLayers: [
    [true, true],
    [true, false],
  ],
  width: 1920,
  height: 1088,
  conformance: [0, 0, 0, 4],
  scalingListData: true,
  pcm: true,
  stRps: [{ negative: [-1, -2], positive: [1] }, { predict: { deltaRps: -1, flags: [[true, false], [true, false], [false, true], [true, false]] } }],
  longTerm: 1,
  vui: { sarIdc: 1, signal: { fullRange: false, colour: { primaries: 9, transfer: 16, matrix: 9 } }, timing: { numUnitsInTick: 1, timeScale: 60 } },
});
const h264Sps = buildH264Sps({
  profileIdc: 100,
  levelIdc: 40,
  scalingLists: true,
  pocType: 1,
  pocCycle: [1, 2],
  widthMbs: 120,
  heightMapUnits: 68,
  crop: [0, 0, 0, 4],
  vui: { sar: [4, 3], signal: { fullRange: true, colour: { primaries: 1, transfer: 1, matrix: 1 } }, chromaLoc: true, timing: { numUnitsInTick: 1, timeScale: 60 } },
});
const av1Seq = { profile: 0, levelIdx: 13, tier: 1, timing: { numUnitsInDisplayTick: 1, timeScale: 30, ticksPerPicture: 1, decoderModel: true }, operatingPoints: 2, initialDisplayDelay: true, width: 1920, height: 1080, highBitdepth: true, colour: { primaries: 9, transfer: 16, matrix: 9 } };
const av1Payload = buildAv1SequenceHeaderPayload(av1Seq);

const SYNTHETIC_SEEDS: Uint8Array[] = [
  h264Sps,
  buildAvcc({ profile: 100, compat: 0, level: 40, sps: [h264Sps], pps: [Uint8Array.from([0x68, 0xee, 0x3c, 0x80])], ext: { chromaFormat: 1, bitDepthLuma: 8, bitDepthChroma: 8 } }),
  hevcSps,
  buildHvcc({ ptl: PTL, arrays: [{ type: 33, nalus: [hevcSps] }, { type: 34, nalus: [Uint8Array.from([0x44, 1, 0xc1])] }] }),
  av1Payload,
  buildAv1c(av1Seq, buildObu(1, av1Payload)),
  buildVpcc({ profile: 2, level: 41, bitDepth: 10, chromaSubsampling: 1, fullRange: false, primaries: 9, transfer: 16, matrix: 9 }, 'mp4'),
  buildVpcc({ profile: 0, level: 31, bitDepth: 8, chromaSubsampling: 1, fullRange: false, primaries: 2, transfer: 2, matrix: 2 }, 'flv'),
  buildVp9Frame({ profile: 1, key: true, subsampling: [true, false], width: 1280, height: 720, render: [1280, 720] }),
  buildVp9Frame({ profile: 0, key: false, showFrame: false, intraOnly: true, width: 64, height: 64 }),
  Uint8Array.from([0x10, 0x74, 0x00, 0x9d, 0x01, 0x2a, 0x42, 0x01, 0xf2, 0x40]),
  buildAsc({ aot: 2, freq: { index: 3 }, channelConfig: 0, pce: { front: [false, true], side: [true], back: [true], lfe: 1, comment: 'x' }, syncExt: { sbr: true, ps: true } }),
  buildAsc({ aot: 29, freq: { hz: 22050 }, channelConfig: 1, hierarchical: { extFreq: { index: 3 }, coreAot: 2 } }),
  buildOpusHead({ channels: 6, preSkip: 312, inputRate: 48000, family: 1, streams: 4, coupled: 2, mapping: [0, 4, 1, 2, 3, 5] }),
  buildStreamInfo({ minBlock: 4096, maxBlock: 4096, minFrame: 1, maxFrame: 2, sampleRate: 44100, channels: 2, bitsPerSample: 16, totalSamples: 1 }, 'marker'),
  buildAc3({ fscod: 0, frmsizecod: 30, acmod: 7, lfeon: true }),
  Uint8Array.from([...buildEac3({ strmtyp: 0, frameBytes: 64, fscod: 0, acmod: 7, lfeon: true }), ...buildEac3({ strmtyp: 1, frameBytes: 64, fscod: 0, acmod: 2, lfeon: false, chanmap: 0x0200 })]),
  buildMp3Header({ versionBits: 3, layerBits: 1, bitrateIndex: 9, rateIndex: 0, mode: 1 }),
];

const SEEDS = [...SYNTHETIC_SEEDS, ...fixtureSeeds()];

/** A seed with some bytes overwritten, maybe cut short, maybe with bytes spliced in. */
const mutated = fc
  .record({
    seed: fc.constantFrom(...SEEDS),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    cut: fc.option(fc.nat()),
    splice: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 8 }))),
  })
  .map(({ seed, edits, cut, splice }) => {
    let bytes = seed.slice();
    for (const [pos, v] of edits) if (bytes.length > 0) bytes[pos % bytes.length] = v;
    if (splice) {
      const at = splice[0] % (bytes.length + 1);
      bytes = Uint8Array.from([...bytes.subarray(0, at), ...splice[1], ...bytes.subarray(at)]);
    }
    if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
    return bytes;
  });

const hostile = fc.oneof({ weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) }, { weight: 3, arbitrary: mutated });

/** Runs `fn` and lets only ProtocolError out: anything else (RangeError, TypeError...) fails the property. */
function onlyProtocolErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    expect(err.code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  }
}

const PARSERS: Array<[string, (b: Uint8Array) => unknown]> = [
  ['parseAvcc', parseAvcc],
  ['parseH264Sps', parseH264Sps],
  ['parseHvcc', parseHvcc],
  ['parseHevcSps', parseHevcSps],
  ['parseAv1c', parseAv1c],
  ['parseAv1SequenceHeader', parseAv1SequenceHeader],
  ['splitObus', splitObus],
  ['parseVpcc', parseVpcc],
  ['parseVp9FrameHeader', parseVp9FrameHeader],
  ['parseVp8FrameHeader', parseVp8FrameHeader],
  ['parseAudioSpecificConfig', parseAudioSpecificConfig],
  ['parseOpusHead', parseOpusHead],
  ['parseFlacStreamInfo', parseFlacStreamInfo],
  ['parseAc3FrameHeader', parseAc3FrameHeader],
  ['parseEac3FrameHeader', parseEac3FrameHeader],
  ['eac3Channels', eac3Channels],
  ['parseMpegAudioFrameHeader', parseMpegAudioFrameHeader],
  ...VIDEO_CODECS.flatMap((c): Array<[string, (b: Uint8Array) => unknown]> => [
    [`describeVideoConfig(${c})`, (b) => describeVideoConfig(c, b)],
    [`describeVideoFrame(${c})`, (b) => describeVideoFrame(c, b)],
  ]),
  ...AUDIO_CODECS.flatMap((c): Array<[string, (b: Uint8Array) => unknown]> => [
    [`describeAudioConfig(${c})`, (b) => describeAudioConfig(c, b)],
    [`describeAudioFrame(${c})`, (b) => describeAudioFrame(c, b)],
  ]),
];

describe('hostile input gives values or ProtocolError, nothing else', () => {
  it.each(PARSERS)('%s', (_name, parse) => {
    fc.assert(
      fc.property(hostile, (bytes) => {
        onlyProtocolErrors(() => parse(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('every seed parses cleanly with at least one parser (the seeds are meaningful)', () => {
    for (const seed of SYNTHETIC_SEEDS) {
      const ok = PARSERS.some(([, parse]) => {
        try {
          parse(seed);
          return true;
        } catch {
          return false;
        }
      });
      expect(ok).toBe(true);
    }
  });

  it('long runs of Exp-Golomb zeros and huge counts end quickly with ProtocolError', () => {
    // A 0x00-filled SPS body makes every ue() read 32+ zeros; 0xff-filled makes every count maximal.
    for (const fill of [0x00, 0xff]) {
      const body = new Uint8Array(4096).fill(fill);
      for (const [, parse] of PARSERS) onlyProtocolErrors(() => parse(Uint8Array.from([0x67, 100, 0, 40, ...body])));
      for (const [, parse] of PARSERS) onlyProtocolErrors(() => parse(Uint8Array.from([0x42, 0x01, 0x01, ...body])));
      for (const [, parse] of PARSERS) onlyProtocolErrors(() => parse(body));
    }
  });
});
