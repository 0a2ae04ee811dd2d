import { describe, expect, it } from 'vitest';
import { describeVideoConfig, describeVideoFrame } from './describe.js';
import type { VideoDescription } from './description.js';
import { buildVp9Frame, buildVpcc } from './testing/video-builders.js';
import type { Vp9FrameSpec, VpccSpec } from './testing/video-builders.js';
import { parseVp8FrameHeader } from './vp8-frame-header.js';
import { parseVp9FrameHeader } from './vp9-frame-header.js';
import type { Vp9FrameHeader } from './vp9-frame-header.js';
import { parseVpcc } from './vpcc.js';

/** toMatchObject needs `key: undefined` to be present; check keys expected to be absent separately. */
function expectShape(actual: object, expected: object): void {
  const defined = Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined));
  expect(actual).toMatchObject(defined);
  for (const [k, v] of Object.entries(expected)) if (v === undefined) expect((actual as Record<string, unknown>)[k]).toBeUndefined();
}

interface VpccCase {
  name: string;
  spec: VpccSpec;
  value: Partial<VideoDescription>;
}

const VPCC_CASES: VpccCase[] = [
  {
    name: 'profile 0 8-bit 4:2:0, unspecified colour (FFmpeg default)',
    spec: { profile: 0, level: 31, bitDepth: 8, chromaSubsampling: 1, fullRange: false, primaries: 2, transfer: 2, matrix: 2 },
    value: { codecString: 'vp09.00.31.08', profile: 0, level: 3.1, bitDepth: 8, chromaFormat: '4:2:0' },
  },
  {
    name: 'profile 2 10-bit HDR10',
    spec: { profile: 2, level: 51, bitDepth: 10, chromaSubsampling: 0, fullRange: false, primaries: 9, transfer: 16, matrix: 9 },
    value: {
      codecString: 'vp09.02.51.10.00.09.16.09.00',
      profile: 2,
      bitDepth: 10,
      colour: { primaries: 9, transfer: 16, matrix: 9, fullRange: false },
      hdr: 'pq',
    },
  },
  {
    name: 'profile 1 4:4:4 full range BT.709',
    spec: { profile: 1, level: 40, bitDepth: 8, chromaSubsampling: 3, fullRange: true, primaries: 1, transfer: 1, matrix: 1 },
    value: { codecString: 'vp09.01.40.08.03.01.01.01.01', chromaFormat: '4:4:4', colour: { primaries: 1, transfer: 1, matrix: 1, fullRange: true } },
  },
  {
    name: 'profile 3 12-bit 4:2:2 HLG',
    spec: { profile: 3, level: 0, bitDepth: 12, chromaSubsampling: 2, fullRange: false, primaries: 9, transfer: 18, matrix: 9 },
    value: { codecString: 'vp09.03.00.12.02.09.18.09.00', chromaFormat: '4:2:2', hdr: 'hlg', level: undefined },
  },
];

describe('parseVpcc / describeVideoConfig(vp09)', () => {
  describe.each(['mp4', 'flv'] as const)('%s form', (form) => {
    it.each(VPCC_CASES)('$name', ({ spec, value }) => {
      const bytes = buildVpcc(spec, form);
      expect(bytes.length).toBe(form === 'mp4' ? 12 : 8);
      expect(parseVpcc(bytes)).toEqual({
        form,
        profile: spec.profile,
        level: spec.level,
        bitDepth: spec.bitDepth,
        chromaSubsampling: spec.chromaSubsampling,
        videoFullRangeFlag: spec.fullRange,
        colourPrimaries: spec.primaries,
        transferCharacteristics: spec.transfer,
        matrixCoefficients: spec.matrix,
        codecInitializationData: new Uint8Array(0),
      });
      expectShape(describeVideoConfig('vp09', bytes), { codec: 'vp09', ...value });
    });
  });

  it('describes vp08 from a vpcC, and minimally without one', () => {
    const bytes = buildVpcc({ profile: 0, level: 10, bitDepth: 8, chromaSubsampling: 1, fullRange: false, primaries: 2, transfer: 2, matrix: 2 }, 'flv');
    expect(describeVideoConfig('vp08', bytes).codecString).toBe('vp08.00.10.08');
    expect(describeVideoConfig('vp08', new Uint8Array(0))).toEqual({ codec: 'vp08', codecString: 'vp08' });
  });

  it('keeps codec initialization data', () => {
    const bytes = Uint8Array.from([1, 0, 0, 0, 0, 10, 0x82, 2, 2, 2, 0, 2, 0xab, 0xcd]);
    expect(Array.from(parseVpcc(bytes).codecInitializationData)).toEqual([0xab, 0xcd]);
  });

  it.each([
    ['7 bytes', Uint8Array.from([0, 10, 0x82, 2, 2, 2, 0]), 'truncated'],
    ['bit depth 9', Uint8Array.from([0, 10, 0x92, 2, 2, 2, 0, 0]), 'bad-vpcc'],
    ['profile 4', Uint8Array.from([4, 10, 0x82, 2, 2, 2, 0, 0]), 'bad-vpcc'],
    ['init data past the end', Uint8Array.from([0, 10, 0x82, 2, 2, 2, 0, 4, 1]), 'truncated'],
    ['a prefixed record with bit depth 0', Uint8Array.from([1, 0, 0, 0, 0, 10, 0x02, 2, 2, 2, 0, 0]), 'bad-vpcc'],
  ])('rejects %s', (_name, bytes, code) => {
    expect(() => parseVpcc(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });
});

interface FrameCase {
  name: string;
  spec: Vp9FrameSpec;
  value: Partial<Vp9FrameHeader>;
}

const FRAME_CASES: FrameCase[] = [
  {
    name: 'profile 0 key frame 640x360',
    spec: { profile: 0, key: true, width: 640, height: 360 },
    value: { keyFrame: true, bitDepth: 8, colorSpace: 2, subsamplingX: true, subsamplingY: true, width: 640, height: 360, renderWidth: 640, renderHeight: 360 },
  },
  {
    name: 'profile 2 12-bit key frame with a render size',
    spec: { profile: 2, key: true, tenOrTwelve: true, fullRange: true, width: 4096, height: 2176, render: [4096, 2160] },
    value: { profile: 2, bitDepth: 12, fullRange: true, width: 4096, height: 2176, renderWidth: 4096, renderHeight: 2160 },
  },
  {
    name: 'profile 1 4:4:0 key frame',
    spec: { profile: 1, key: true, subsampling: [false, true], width: 321, height: 241 },
    value: { profile: 1, bitDepth: 8, subsamplingX: false, subsamplingY: true, width: 321, height: 241 },
  },
  {
    name: 'profile 3 sRGB key frame',
    spec: { profile: 3, key: true, colorSpace: 7, width: 100, height: 50 },
    value: { profile: 3, bitDepth: 10, colorSpace: 7, fullRange: true, subsamplingX: false, subsamplingY: false, width: 100, height: 50 },
  },
  {
    name: 'profile 0 intra-only hidden frame',
    spec: { profile: 0, key: false, showFrame: false, intraOnly: true, width: 320, height: 180 },
    value: { keyFrame: false, intraOnly: true, showFrame: false, bitDepth: 8, colorSpace: 1, width: 320, height: 180 },
  },
  {
    name: 'profile 1 intra-only frame with error resilience',
    spec: { profile: 1, key: false, showFrame: false, intraOnly: true, errorResilient: true, width: 64, height: 64 },
    value: { intraOnly: true, width: 64, height: 64, subsamplingX: true, subsamplingY: false },
  },
  {
    name: 'inter frame (no size)',
    spec: { profile: 0, key: false },
    value: { keyFrame: false, intraOnly: false, width: undefined },
  },
  {
    name: 'show_existing_frame',
    spec: { profile: 0, key: false, showExisting: true },
    value: { showExistingFrame: true, keyFrame: false, width: undefined },
  },
];

describe('parseVp9FrameHeader / describeVideoFrame(vp09)', () => {
  it.each(FRAME_CASES)('$name', ({ spec, value }) => {
    const frame = buildVp9Frame(spec);
    const header = parseVp9FrameHeader(frame);
    expectShape(header, { profile: spec.profile, ...value });
    const d = describeVideoFrame('vp09', frame);
    if (value.width === undefined) expect(d).toBeUndefined();
    else expect(d).toMatchObject({ width: value.width, height: value.height });
  });

  it.each([
    ['a bad frame marker', Uint8Array.from([0x02, 0, 0, 0]), 'bad-vp9-frame'],
    ['a bad sync code', Uint8Array.from([0x80, 0x49, 0x83, 0x43, 0, 0, 0, 0, 0]), 'bad-vp9-frame'],
    ['a truncated key frame', Uint8Array.from([0x82, 0x49, 0x83, 0x42, 0x00]), 'truncated'],
    ['an empty frame', new Uint8Array(0), 'truncated'],
  ])('rejects %s', (_name, bytes, code) => {
    expect(() => parseVp9FrameHeader(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });
});

describe('parseVp8FrameHeader / describeVideoFrame(vp08)', () => {
  // Frame tag: key frame, version 0, shown, first partition 928 bytes; start code; 322x242, no scaling.
  const key = Uint8Array.from([0x10, 0x74, 0x00, 0x9d, 0x01, 0x2a, 0x42, 0x01, 0xf2, 0x40, 0xaa]);

  it('reads a key frame size and scaling', () => {
    expect(parseVp8FrameHeader(key)).toEqual({
      keyFrame: true,
      version: 0,
      showFrame: true,
      firstPartitionSize: 928,
      width: 322,
      horizontalScale: 0,
      height: 242,
      verticalScale: 1,
    });
    expect(describeVideoFrame('vp08', key)).toEqual({ width: 322, height: 242, bitDepth: 8, chromaFormat: '4:2:0' });
  });

  it('reads an inter frame tag only', () => {
    expect(parseVp8FrameHeader(Uint8Array.from([0x31, 0x02, 0x00]))).toEqual({ keyFrame: false, version: 0, showFrame: true, firstPartitionSize: 17 });
    expect(describeVideoFrame('vp08', Uint8Array.from([0x31, 0x02, 0x00]))).toBeUndefined();
  });

  it('rejects a bad start code', () => {
    expect(() => parseVp8FrameHeader(Uint8Array.from([0x10, 0x74, 0, 0x9d, 0x01, 0x2b, 0, 1, 0, 1]))).toThrow(
      expect.objectContaining({ code: 'bad-vp8-frame' }),
    );
  });
});
