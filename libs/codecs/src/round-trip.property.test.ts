import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseAc3FrameHeader,
  parseAudioSpecificConfig,
  parseAv1SequenceHeader,
  parseEac3FrameHeader,
  parseFlacStreamInfo,
  parseH264Sps,
  parseHevcSps,
  parseMpegAudioFrameHeader,
  parseOpusHead,
  parseVp9FrameHeader,
  parseVpcc,
} from './index.js';
import { buildAc3, buildAsc, buildEac3, buildMp3Header, buildOpusHead, buildStreamInfo } from './testing/audio-builders.js';
import { buildAv1SequenceHeaderPayload, buildH264Sps, buildHevcSps, buildVp9Frame, buildVpcc } from './testing/video-builders.js';
import type { H264SpsSpec, HevcSpsSpec, StRpsSpec } from './testing/video-builders.js';

const colour = fc.record({ primaries: fc.integer({ min: 0, max: 255 }), transfer: fc.integer({ min: 0, max: 255 }), matrix: fc.integer({ min: 0, max: 255 }) });
const timing = fc.record({ numUnitsInTick: fc.integer({ min: 1, max: 0xffffffff }), timeScale: fc.integer({ min: 1, max: 0xffffffff }) });

/** Chroma units for cropping: [SubWidthC, SubHeightC] for ChromaArrayType 0..3. */
const SUB_WH: Array<[number, number]> = [
  [1, 1],
  [2, 2],
  [2, 1],
  [1, 1],
];

describe('round trips: parse(build(spec)) gives back the spec', () => {
  it('H.264 SPS', () => {
    const spec = fc
      .record({
        profileIdc: fc.constantFrom(66, 77, 88, 100, 110, 122, 244),
        constraintFlags: fc.integer({ min: 0, max: 255 }),
        levelIdc: fc.integer({ min: 9, max: 62 }),
        spsId: fc.integer({ min: 0, max: 31 }),
        chromaFormatIdc: fc.integer({ min: 0, max: 3 }),
        separateColourPlane: fc.boolean(),
        bitDepthLuma: fc.integer({ min: 8, max: 14 }),
        scalingLists: fc.boolean(),
        pocType: fc.constantFrom(0 as const, 1 as const, 2 as const),
        pocCycle: fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 8 }),
        widthMbs: fc.integer({ min: 1, max: 256 }),
        heightMapUnits: fc.integer({ min: 1, max: 128 }),
        frameMbsOnly: fc.boolean(),
        cropFraction: fc.option(fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3))),
        vui: fc.option(fc.record({ signal: fc.option(fc.record({ fullRange: fc.boolean(), colour: fc.option(colour, { nil: undefined }) }), { nil: undefined }), timing: fc.option(timing, { nil: undefined }), chromaLoc: fc.boolean() }), { nil: undefined }),
      })
      .map((s) => {
        const high = [100, 110, 122, 244].includes(s.profileIdc);
        const chroma = high ? s.chromaFormatIdc : 1;
        const sps: H264SpsSpec = {
          ...s,
          chromaFormatIdc: chroma,
          separateColourPlane: chroma === 3 && s.separateColourPlane,
          bitDepthLuma: high ? s.bitDepthLuma : 8,
          bitDepthChroma: high ? s.bitDepthLuma : 8,
          ...(s.cropFraction ? { crop: s.cropFraction } : {}),
        };
        return sps;
      });
    fc.assert(
      fc.property(spec, (s) => {
        const sps = parseH264Sps(buildH264Sps(s));
        const arrayType = s.separateColourPlane ? 0 : s.chromaFormatIdc!;
        const [sw, sh] = SUB_WH[arrayType]!;
        const fieldFactor = s.frameMbsOnly ? 1 : 2;
        const crop = s.crop ?? [0, 0, 0, 0];
        expect(sps.codedWidth).toBe(s.widthMbs * 16);
        expect(sps.codedHeight).toBe(s.heightMapUnits * 16 * fieldFactor);
        expect(sps.width).toBe(s.widthMbs * 16 - sw * (crop[0] + crop[1]));
        expect(sps.height).toBe(s.heightMapUnits * 16 * fieldFactor - sh * fieldFactor * (crop[2] + crop[3]));
        expect(sps.profileIdc).toBe(s.profileIdc);
        expect(sps.constraintFlags).toBe(s.constraintFlags);
        expect(sps.bitDepthLuma).toBe(s.bitDepthLuma);
        expect(sps.chromaFormatIdc).toBe(s.chromaFormatIdc);
        const t = s.vui?.timing;
        expect(sps.frameRate).toBe(t ? t.timeScale / (2 * t.numUnitsInTick) : undefined);
        const sig = s.vui?.signal;
        expect(sps.colour).toEqual(sig ? { primaries: 2, transfer: 2, matrix: 2, ...sig.colour, fullRange: sig.fullRange } : undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('H.265 SPS', () => {
    const rps: fc.Arbitrary<StRpsSpec> = fc
      .tuple(fc.uniqueArray(fc.integer({ min: 1, max: 64 }), { maxLength: 8 }), fc.uniqueArray(fc.integer({ min: 1, max: 64 }), { maxLength: 8 }))
      .map(([n, p]) => ({ negative: n.sort((a, b) => a - b).map((x) => -x), positive: p.sort((a, b) => a - b) }));
    const spec = fc
      .record({
        msl: fc.integer({ min: 0, max: 6 }),
        subLayers: fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: 6, maxLength: 6 }),
        chromaFormatIdc: fc.integer({ min: 0, max: 3 }),
        separateColourPlane: fc.boolean(),
        width: fc.integer({ min: 16, max: 8192 }),
        height: fc.integer({ min: 16, max: 4320 }),
        conformance: fc.option(fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3)), { nil: undefined }),
        bitDepthLuma: fc.integer({ min: 8, max: 16 }),
        subLayerOrderingInfo: fc.boolean(),
        scalingListData: fc.boolean(),
        pcm: fc.boolean(),
        stRps: fc.array(rps, { maxLength: 6 }),
        longTerm: fc.option(fc.integer({ min: 0, max: 32 }), { nil: undefined }),
        vui: fc.option(fc.record({ signal: fc.option(fc.record({ fullRange: fc.boolean(), colour: fc.option(colour, { nil: undefined }) }), { nil: undefined }), timing: fc.option(timing, { nil: undefined }), fieldSeq: fc.boolean(), defaultDisplayWindow: fc.boolean() }), { nil: undefined }),
      })
      .map(
        (s): HevcSpsSpec => ({
          ...s,
          ptl: { profileIdc: 1, compat: 0x60000000, constraints: [0x90], levelIdc: 93 },
          maxSubLayersMinus1: s.msl,
          separateColourPlane: s.chromaFormatIdc === 3 && s.separateColourPlane,
          bitDepthChroma: s.bitDepthLuma,
        }),
      );
    fc.assert(
      fc.property(spec, (s) => {
        const sps = parseHevcSps(buildHevcSps(s));
        const arrayType = s.separateColourPlane ? 0 : s.chromaFormatIdc!;
        const [sw, sh] = SUB_WH[arrayType]!;
        const c = s.conformance ?? [0, 0, 0, 0];
        expect(sps.width).toBe(s.width - sw * (c[0] + c[1]));
        expect(sps.height).toBe(s.height - sh * (c[2] + c[3]));
        expect(sps.maxSubLayersMinus1).toBe(s.maxSubLayersMinus1);
        expect(sps.bitDepthLuma).toBe(s.bitDepthLuma);
        const t = s.vui?.timing;
        expect(sps.frameRate).toBe(t ? t.timeScale / t.numUnitsInTick / (s.vui?.fieldSeq ? 2 : 1) : undefined);
        const sig = s.vui?.signal;
        expect(sps.colour).toEqual(sig ? { primaries: 2, transfer: 2, matrix: 2, ...sig.colour, fullRange: sig.fullRange } : undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('AV1 sequence header', () => {
    const spec = fc.record({
      profile: fc.integer({ min: 0, max: 2 }),
      levelIdx: fc.integer({ min: 0, max: 31 }),
      tier: fc.integer({ min: 0, max: 1 }),
      reduced: fc.boolean(),
      timing: fc.option(
        fc.record({ numUnitsInDisplayTick: fc.integer({ min: 1, max: 0xffffffff }), timeScale: fc.integer({ min: 1, max: 0xffffffff }), ticksPerPicture: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }), decoderModel: fc.boolean() }),
        { nil: undefined },
      ),
      operatingPoints: fc.integer({ min: 1, max: 32 }),
      initialDisplayDelay: fc.boolean(),
      width: fc.integer({ min: 1, max: 65536 }),
      height: fc.integer({ min: 1, max: 65536 }),
      frameIdNumbers: fc.boolean(),
      orderHint: fc.boolean(),
      screenContent: fc.constantFrom('select' as const, 'off' as const, 'on-select-mv' as const, 'on-force-mv' as const),
      highBitdepth: fc.boolean(),
      twelveBit: fc.boolean(),
      mono: fc.boolean(),
      colour: fc.option(colour, { nil: undefined }),
      fullRange: fc.boolean(),
      subsampling: fc.constantFrom<[boolean, boolean]>([true, true], [true, false], [false, false]),
      chromaSamplePosition: fc.integer({ min: 0, max: 3 }),
      filmGrain: fc.boolean(),
    }).map((s) => ({ ...s, mono: s.profile !== 1 && s.mono, ...(s.reduced ? { timing: undefined } : {}) }));
    fc.assert(
      fc.property(spec, (s) => {
        const seq = parseAv1SequenceHeader(buildAv1SequenceHeaderPayload(s));
        expect(seq.seqProfile).toBe(s.profile);
        expect(seq.seqLevelIdx0).toBe(s.levelIdx);
        expect(seq.seqTier0).toBe(!s.reduced && s.levelIdx > 7 ? s.tier : 0);
        expect([seq.maxFrameWidth, seq.maxFrameHeight]).toEqual([s.width, s.height]);
        expect(seq.bitDepth).toBe(!s.highBitdepth ? 8 : s.profile === 2 && s.twelveBit ? 12 : 10);
        expect(seq.monochrome).toBe(s.mono);
        expect(seq.filmGrainParamsPresent).toBe(s.filmGrain);
        const t = s.timing;
        expect(seq.frameRate).toBe(t?.ticksPerPicture ? t.timeScale / (t.numUnitsInDisplayTick * t.ticksPerPicture) : undefined);
        if (s.colour) expect(seq.colour).toMatchObject(s.colour);
      }),
      { numRuns: 300 },
    );
  });

  it('vpcC in both forms', () => {
    const spec = fc.record({
      profile: fc.integer({ min: 0, max: 3 }),
      level: fc.integer({ min: 0, max: 255 }),
      bitDepth: fc.constantFrom(8, 10, 12),
      chromaSubsampling: fc.integer({ min: 0, max: 3 }),
      fullRange: fc.boolean(),
      primaries: fc.integer({ min: 0, max: 255 }),
      transfer: fc.integer({ min: 0, max: 255 }),
      matrix: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(spec, fc.constantFrom('mp4' as const, 'flv' as const), (s, form) => {
        expect(parseVpcc(buildVpcc(s, form))).toMatchObject({
          form,
          profile: s.profile,
          level: s.level,
          bitDepth: s.bitDepth,
          chromaSubsampling: s.chromaSubsampling,
          videoFullRangeFlag: s.fullRange,
          colourPrimaries: s.primaries,
          transferCharacteristics: s.transfer,
          matrixCoefficients: s.matrix,
        });
      }),
    );
  });

  it('VP9 key frame size', () => {
    const spec = fc.record({
      profile: fc.integer({ min: 0, max: 3 }),
      tenOrTwelve: fc.boolean(),
      colorSpace: fc.integer({ min: 0, max: 7 }),
      fullRange: fc.boolean(),
      width: fc.integer({ min: 1, max: 65536 }),
      height: fc.integer({ min: 1, max: 65536 }),
    });
    fc.assert(
      fc.property(spec, (s) => {
        const h = parseVp9FrameHeader(buildVp9Frame({ ...s, key: true }));
        expect([h.profile, h.width, h.height]).toEqual([s.profile, s.width, s.height]);
        expect(h.bitDepth).toBe(s.profile < 2 ? 8 : s.tenOrTwelve ? 12 : 10);
      }),
    );
  });

  it('AudioSpecificConfig', () => {
    const freq = fc.oneof(fc.record({ index: fc.integer({ min: 0, max: 12 }) }), fc.record({ hz: fc.integer({ min: 1, max: 0xffffff }) }));
    const spec = fc.record({
      aot: fc.constantFrom(1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 23, 36, 42, 45),
      freq,
      channelConfig: fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14),
      frameLength960: fc.boolean(),
    });
    const RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
    const CHANNELS: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8, 11: 7, 12: 8, 13: 24, 14: 8 };
    fc.assert(
      fc.property(spec, (s) => {
        const asc = parseAudioSpecificConfig(buildAsc(s));
        expect(asc.objectType).toBe(s.aot);
        expect(asc.sampleRate).toBe('hz' in s.freq ? s.freq.hz : RATES[s.freq.index]);
        expect(asc.channels).toBe(CHANNELS[s.channelConfig]);
      }),
    );
  });

  it('OpusHead', () => {
    const spec = fc
      .record({
        version: fc.integer({ min: 0, max: 15 }),
        channels: fc.integer({ min: 1, max: 255 }),
        preSkip: fc.integer({ min: 0, max: 0xffff }),
        inputRate: fc.integer({ min: 0, max: 0xffffffff }),
        gainQ78: fc.integer({ min: -32768, max: 32767 }),
        family: fc.integer({ min: 0, max: 255 }),
        streams: fc.integer({ min: 1, max: 255 }),
      })
      .map((s) => ({ ...s, channels: s.family === 0 ? Math.min(s.channels, 2) : s.channels, coupled: s.streams >> 1, mapping: Array.from({ length: s.channels }, (_, i) => i % 256) }));
    fc.assert(
      fc.property(spec, (s) => {
        const head = parseOpusHead(buildOpusHead(s));
        expect([head.version, head.channelCount, head.preSkip, head.inputSampleRate, head.outputGainDb, head.mappingFamily]).toEqual([
          s.version,
          s.channels,
          s.preSkip,
          s.inputRate,
          s.gainQ78 / 256,
          s.family,
        ]);
        if (s.family !== 0) expect(head.channelMapping?.mapping.length).toBe(s.channels);
      }),
    );
  });

  it('FLAC STREAMINFO in every form', () => {
    const spec = fc.record({
      minBlock: fc.integer({ min: 16, max: 65535 }),
      maxBlock: fc.integer({ min: 16, max: 65535 }),
      minFrame: fc.integer({ min: 0, max: 0xffffff }),
      maxFrame: fc.integer({ min: 0, max: 0xffffff }),
      sampleRate: fc.integer({ min: 1, max: 0xfffff }),
      channels: fc.integer({ min: 1, max: 8 }),
      bitsPerSample: fc.integer({ min: 4, max: 32 }),
      totalSamples: fc.integer({ min: 0, max: 2 ** 36 - 1 }),
    });
    fc.assert(
      fc.property(spec, fc.constantFrom('raw' as const, 'block' as const, 'marker' as const), (s, form) => {
        const si = parseFlacStreamInfo(buildStreamInfo(s, form));
        expect([si.minBlockSize, si.maxBlockSize, si.minFrameSize, si.maxFrameSize, si.sampleRate, si.channels, si.bitsPerSample, si.totalSamples]).toEqual([
          s.minBlock,
          s.maxBlock,
          s.minFrame,
          s.maxFrame,
          s.sampleRate,
          s.channels,
          s.bitsPerSample,
          s.totalSamples,
        ]);
      }),
    );
  });

  it('AC-3 and E-AC-3 headers', () => {
    const ac3 = fc.record({ fscod: fc.integer({ min: 0, max: 2 }), frmsizecod: fc.integer({ min: 0, max: 37 }), acmod: fc.integer({ min: 0, max: 7 }), lfeon: fc.boolean(), bsid: fc.integer({ min: 0, max: 10 }) });
    fc.assert(
      fc.property(ac3, (s) => {
        const h = parseAc3FrameHeader(buildAc3(s));
        expect([h.fscod, h.frmsizecod, h.acmod, h.lfeon, h.bsid]).toEqual([s.fscod, s.frmsizecod, s.acmod, s.lfeon, s.bsid]);
        // Table 5.18 words per frame: 2 * kbps at 48 kHz, 3 * kbps at 32 kHz.
        if (s.fscod === 0) expect(h.frameBytes).toBe((h.bitrate / 1000) * 4);
        if (s.fscod === 2) expect(h.frameBytes).toBe((h.bitrate / 1000) * 6);
      }),
    );
    const eac3 = fc.record({
      strmtyp: fc.integer({ min: 0, max: 2 }),
      substreamid: fc.integer({ min: 0, max: 7 }),
      words: fc.integer({ min: 8, max: 2048 }),
      fscod: fc.integer({ min: 0, max: 3 }),
      fscod2: fc.integer({ min: 0, max: 2 }),
      numblkscod: fc.integer({ min: 0, max: 3 }),
      acmod: fc.integer({ min: 0, max: 7 }),
      lfeon: fc.boolean(),
      bsid: fc.integer({ min: 11, max: 16 }),
      chanmap: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
    });
    fc.assert(
      fc.property(eac3, (s) => {
        const h = parseEac3FrameHeader(buildEac3({ ...s, frameBytes: s.words * 2 }));
        expect([h.strmtyp, h.substreamid, h.frameBytes, h.acmod, h.lfeon, h.bsid]).toEqual([s.strmtyp, s.substreamid, s.words * 2, s.acmod, s.lfeon, s.bsid]);
        expect(h.blocks).toBe(s.fscod === 3 ? 6 : [1, 2, 3, 6][s.numblkscod]);
        expect(h.chanmap).toBe(s.strmtyp === 1 ? s.chanmap : undefined);
      }),
    );
  });

  it('MPEG audio header', () => {
    const spec = fc.record({
      versionBits: fc.constantFrom(0, 2, 3),
      layerBits: fc.integer({ min: 1, max: 3 }),
      bitrateIndex: fc.integer({ min: 0, max: 14 }),
      rateIndex: fc.integer({ min: 0, max: 2 }),
      padding: fc.boolean(),
      mode: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(spec, (s) => {
        const h = parseMpegAudioFrameHeader(buildMp3Header(s));
        expect(h.layer).toBe(4 - s.layerBits);
        expect(h.version).toBe({ 0: '2.5', 2: '2', 3: '1' }[s.versionBits]);
        expect(h.channels).toBe(s.mode === 3 ? 1 : 2);
        expect(h.padding).toBe(s.padding);
        if (h.frameBytes !== undefined) {
          // A frame lasts samplesPerFrame / sampleRate seconds at the stated bitrate (within one slot).
          const exact = (h.bitrate / 8) * (h.samplesPerFrame / h.sampleRate);
          expect(Math.abs(h.frameBytes - exact - (s.padding ? (h.layer === 1 ? 4 : 1) : 0))).toBeLessThan(h.layer === 1 ? 4 : 1);
        }
      }),
    );
  });
});
