import { describe, expect, it } from 'vitest';
import { OBU_TYPE, parseAv1SequenceHeader, splitObus } from './av1-sequence-header.js';
import { parseAv1c } from './av1c.js';
import { describeVideoConfig } from './describe.js';
import type { VideoDescription } from './description.js';
import { concat } from './testing/bit-writer.js';
import { buildAv1SequenceHeaderPayload, buildAv1c, buildObu } from './testing/video-builders.js';
import type { Av1SeqSpec } from './testing/video-builders.js';

interface Case {
  name: string;
  seq: Av1SeqSpec;
  value: Partial<VideoDescription>;
}

const CASES: Case[] = [
  {
    name: 'Main 8-bit 1920x1080, no timing, unspecified colour (short codec string)',
    seq: { profile: 0, levelIdx: 8, width: 1920, height: 1080 },
    value: { codecString: 'av01.0.08M.08', profile: 'Main', level: 4, width: 1920, height: 1080, bitDepth: 8, chromaFormat: '4:2:0' },
  },
  {
    name: 'Main 10-bit HDR10 high tier with timing, decoder model, 3 operating points and display delays',
    seq: {
      profile: 0,
      levelIdx: 13,
      tier: 1,
      timing: { numUnitsInDisplayTick: 1001, timeScale: 60000, ticksPerPicture: 1, decoderModel: true },
      operatingPoints: 3,
      initialDisplayDelay: true,
      width: 3840,
      height: 2160,
      frameIdNumbers: true,
      highBitdepth: true,
      colour: { primaries: 9, transfer: 16, matrix: 9 },
      chromaSamplePosition: 2,
    },
    value: {
      codecString: 'av01.0.13H.10.0.112.09.16.09.0',
      level: 5.1,
      frameRate: 60000 / 1001,
      bitDepth: 10,
      colour: { primaries: 9, transfer: 16, matrix: 9, fullRange: false },
      hdr: 'pq',
    },
  },
  {
    name: 'High 4:4:4 full range, 2 ticks per picture, screen content forced',
    seq: {
      profile: 1,
      levelIdx: 5,
      timing: { numUnitsInDisplayTick: 1, timeScale: 120, ticksPerPicture: 2 },
      width: 1280,
      height: 720,
      orderHint: false,
      screenContent: 'on-force-mv',
      colour: { primaries: 1, transfer: 1, matrix: 1 },
      fullRange: true,
    },
    value: { codecString: 'av01.1.05M.08.0.000.01.01.01.1', profile: 'High', chromaFormat: '4:4:4', frameRate: 60 },
  },
  {
    name: 'Professional 12-bit 4:2:2 HLG',
    seq: {
      profile: 2,
      levelIdx: 12,
      width: 4096,
      height: 2160,
      screenContent: 'on-select-mv',
      highBitdepth: true,
      twelveBit: true,
      subsampling: [true, false],
      colour: { primaries: 9, transfer: 18, matrix: 9 },
    },
    value: { codecString: 'av01.2.12M.12.0.100.09.18.09.0', profile: 'Professional', bitDepth: 12, chromaFormat: '4:2:2', hdr: 'hlg' },
  },
  {
    name: 'monochrome still picture with a reduced header',
    seq: { profile: 0, levelIdx: 0, stillPicture: true, reduced: true, width: 200, height: 100, mono: true, fullRange: true },
    value: { codecString: 'av01.0.00M.08.1.110.02.02.02.1', level: 2, width: 200, height: 100, chromaFormat: '4:0:0' },
  },
  {
    name: 'sRGB 4:4:4 (colour config shortcut implies full range)',
    seq: { profile: 1, levelIdx: 31, width: 640, height: 480, screenContent: 'off', colour: { primaries: 1, transfer: 13, matrix: 0 } },
    value: { codecString: 'av01.1.31M.08.0.000.01.13.00.1', chromaFormat: '4:4:4', colour: { primaries: 1, transfer: 13, matrix: 0, fullRange: true } },
  },
];

describe('parseAv1c / parseAv1SequenceHeader / describeVideoConfig(av01)', () => {
  it.each(CASES)('$name', ({ seq, value }) => {
    const payload = buildAv1SequenceHeaderPayload(seq);
    const header = parseAv1SequenceHeader(payload);
    expect(header).toMatchObject({ seqProfile: seq.profile, seqLevelIdx0: seq.levelIdx, maxFrameWidth: seq.width, maxFrameHeight: seq.height });
    const config = buildAv1c(seq, buildObu(OBU_TYPE.SEQUENCE_HEADER, payload));
    const record = parseAv1c(config);
    expect(record.sequenceHeader).toEqual(header);
    const d = describeVideoConfig('av01', config);
    expect(d).toMatchObject({ codec: 'av01', ...value });
    if (seq.levelIdx === 31) expect(d.level).toBeUndefined();
  });

  it('reads every av1C field, with no configOBUs', () => {
    // marker|version, profile 2 level 9, tier 1 hbd 1 12bit 1 mono 0 ssx 1 ssy 0 csp 0, delay present = 4
    const record = parseAv1c(Uint8Array.from([0x81, 0x49, 0xe8, 0x13]));
    expect(record).toEqual({
      version: 1,
      seqProfile: 2,
      seqLevelIdx0: 9,
      seqTier0: 1,
      highBitdepth: true,
      twelveBit: true,
      monochrome: false,
      chromaSubsamplingX: true,
      chromaSubsamplingY: false,
      chromaSamplePosition: 0,
      initialPresentationDelay: 4,
      configObus: new Uint8Array(0),
    });
    expect(describeVideoConfig('av01', Uint8Array.from([0x81, 0x49, 0xe8, 0x13]))).toEqual({
      codec: 'av01',
      codecString: 'av01.2.09H.12.0.100.01.01.01.0',
      profile: 'Professional',
      level: 4.1,
      bitDepth: 12,
      chromaFormat: '4:2:2',
    });
  });

  it('splits OBUs with and without size fields and with extension headers', () => {
    const seq = buildAv1SequenceHeaderPayload({ profile: 0, levelIdx: 4, width: 320, height: 240 });
    const ext = Uint8Array.from([(OBU_TYPE.METADATA << 3) | 0x06, 0x48, 2, 0xaa, 0xbb]); // extension: temporal 2, spatial 1
    const td = buildObu(OBU_TYPE.TEMPORAL_DELIMITER, new Uint8Array(0));
    const last = buildObu(OBU_TYPE.SEQUENCE_HEADER, seq, false);
    const obus = splitObus(concat(td, ext, last));
    expect(obus.map((o) => [o.type, o.temporalId, o.spatialId, o.payload.length])).toEqual([
      [2, 0, 0, 0],
      [5, 2, 1, 2],
      [1, 0, 0, seq.length],
    ]);
  });

  it.each([
    ['marker bit 0', Uint8Array.from([0x01, 0, 0, 0]), 'bad-av1c'],
    ['version 2', Uint8Array.from([0x82, 0, 0, 0]), 'bad-av1c'],
    ['3 bytes', Uint8Array.from([0x81, 0, 0]), 'truncated'],
    ['an OBU with the forbidden bit', Uint8Array.from([0x81, 0, 0, 0, 0x8a, 0]), 'bad-obu'],
    ['an OBU size past the end', Uint8Array.from([0x81, 0, 0, 0, 0x0a, 0x20, 0]), 'truncated'],
    ['seq_profile 5', Uint8Array.from([0x81, 0, 0, 0, 0x0a, 1, 0xa0]), 'bad-av1-sequence-header'],
    ['a cut-off sequence header', Uint8Array.from([0x81, 0, 0, 0, 0x0a, 2, 0, 0]), 'truncated'],
  ])('rejects %s', (_name, bytes, code) => {
    expect(() => parseAv1c(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });
});
