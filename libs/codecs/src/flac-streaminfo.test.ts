import { describe, expect, it } from 'vitest';
import { describeAudioConfig } from './describe.js';
import { parseFlacStreamInfo } from './flac-streaminfo.js';
import { buildStreamInfo } from './testing/audio-builders.js';
import type { StreamInfoSpec } from './testing/audio-builders.js';

const CASES: Array<{ name: string; spec: StreamInfoSpec }> = [
  { name: '48 kHz stereo 16-bit, live (total 0)', spec: { minBlock: 4608, maxBlock: 4608, minFrame: 14, maxFrame: 0, sampleRate: 48000, channels: 2, bitsPerSample: 16, totalSamples: 0 } },
  { name: '96 kHz 3 channels 24-bit', spec: { minBlock: 8192, maxBlock: 8192, minFrame: 6319, maxFrame: 18081, sampleRate: 96000, channels: 3, bitsPerSample: 24, totalSamples: 19200 } },
  { name: '655350 Hz 8 channels 32-bit, total above 2^32', spec: { minBlock: 16, maxBlock: 65535, minFrame: 0, maxFrame: 0xffffff, sampleRate: 655350, channels: 8, bitsPerSample: 32, totalSamples: 2 ** 36 - 1 } },
];

describe('parseFlacStreamInfo / describeAudioConfig(fLaC)', () => {
  describe.each(['raw', 'block', 'marker'] as const)('%s form', (form) => {
    it.each(CASES)('$name', ({ spec }) => {
      const bytes = buildStreamInfo(spec, form);
      const si = parseFlacStreamInfo(bytes);
      expect(si).toMatchObject({
        minBlockSize: spec.minBlock,
        maxBlockSize: spec.maxBlock,
        minFrameSize: spec.minFrame,
        maxFrameSize: spec.maxFrame,
        sampleRate: spec.sampleRate,
        channels: spec.channels,
        bitsPerSample: spec.bitsPerSample,
        totalSamples: spec.totalSamples,
      });
      expect(si.md5[1]).toBe(17);
      expect(describeAudioConfig('fLaC', bytes)).toEqual({
        codec: 'fLaC',
        codecString: 'flac',
        sampleRate: spec.sampleRate,
        channels: spec.channels,
        bitsPerSample: spec.bitsPerSample,
      });
    });
  });

  it('accepts trailing metadata blocks after STREAMINFO', () => {
    const bytes = Uint8Array.from([...buildStreamInfo(CASES[0]!.spec, 'marker'), 0x84, 0, 0, 2, 0, 0]);
    expect(bytes[4]! & 0x80).toBe(0x80); // our builder marks STREAMINFO as last; a reader must not care
    expect(parseFlacStreamInfo(bytes).sampleRate).toBe(48000);
  });

  it.each([
    ['33 raw bytes', buildStreamInfo(CASES[0]!.spec, 'raw').subarray(0, 33), 'truncated'],
    ['a block cut short', buildStreamInfo(CASES[0]!.spec, 'marker').subarray(0, 30), 'truncated'],
    ['a first block that is not STREAMINFO', Uint8Array.from([0x66, 0x4c, 0x61, 0x43, 0x04, 0, 0, 34, ...new Array<number>(34).fill(0x10)]), 'bad-flac-streaminfo'],
    ['a STREAMINFO block of 20 bytes', Uint8Array.from([0x80, 0, 0, 20, ...new Array<number>(34).fill(0x10)]), 'bad-flac-streaminfo'],
    ["'fLaC' followed by garbage", Uint8Array.from([0x66, 0x4c, 0x61, 0x43, 0x10, 0x00, 0x10, 0x00, ...new Array<number>(34).fill(0x10)]), 'bad-flac-streaminfo'],
    ['sample rate 0', buildStreamInfo({ ...CASES[0]!.spec, sampleRate: 0 }, 'raw'), 'bad-flac-streaminfo'],
    ['maximum block size 8', buildStreamInfo({ ...CASES[0]!.spec, minBlock: 8, maxBlock: 8 }, 'raw'), 'bad-flac-streaminfo'],
  ])('rejects %s', (_name, bytes, code) => {
    expect(() => parseFlacStreamInfo(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });
});
