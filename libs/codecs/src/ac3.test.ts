import { describe, expect, it } from 'vitest';
import { eac3Channels, isEac3Frame, parseAc3FrameHeader, parseEac3FrameHeader } from './ac3.js';
import { describeAudioConfig, describeAudioFrame } from './describe.js';
import { concat } from './testing/bit-writer.js';
import { buildAc3, buildEac3 } from './testing/audio-builders.js';
import type { Ac3Spec, Eac3Spec } from './testing/audio-builders.js';

const AC3_CASES: Array<{ name: string; spec: Ac3Spec; sampleRate: number; channels: number; bitrate: number; frameBytes: number }> = [
  { name: '5.1 448 kbit/s 48 kHz', spec: { fscod: 0, frmsizecod: 30, acmod: 7, lfeon: true }, sampleRate: 48000, channels: 6, bitrate: 448000, frameBytes: 1792 },
  { name: 'stereo 192 kbit/s 44.1 kHz, odd frmsizecod (one more word)', spec: { fscod: 1, frmsizecod: 21, acmod: 2, lfeon: false }, sampleRate: 44100, channels: 2, bitrate: 192000, frameBytes: 836 },
  { name: 'mono 32 kbit/s 32 kHz', spec: { fscod: 2, frmsizecod: 0, acmod: 1, lfeon: false }, sampleRate: 32000, channels: 1, bitrate: 32000, frameBytes: 192 },
  { name: '1+1 dual mono 640 kbit/s', spec: { fscod: 0, frmsizecod: 37, acmod: 0, lfeon: false }, sampleRate: 48000, channels: 2, bitrate: 640000, frameBytes: 2560 },
  { name: '2/1 with LFE, bsid 6 (Annex D)', spec: { fscod: 0, frmsizecod: 16, acmod: 4, lfeon: true, bsid: 6 }, sampleRate: 48000, channels: 4, bitrate: 128000, frameBytes: 512 },
  { name: '3/1 and 2/2', spec: { fscod: 0, frmsizecod: 18, acmod: 5, lfeon: false }, sampleRate: 48000, channels: 4, bitrate: 160000, frameBytes: 640 },
];

describe('parseAc3FrameHeader / describeAudioFrame(ac-3)', () => {
  it.each(AC3_CASES)('$name', ({ spec, sampleRate, channels, bitrate, frameBytes }) => {
    const frame = buildAc3(spec);
    expect(isEac3Frame(frame)).toBe(false);
    expect(parseAc3FrameHeader(frame)).toMatchObject({ acmod: spec.acmod, lfeon: spec.lfeon, sampleRate, channels, bitrate, frameBytes });
    expect(describeAudioFrame('ac-3', frame)).toEqual({ codec: 'ac-3', codecString: 'ac-3', sampleRate, channels, bitrate });
  });

  it('describes the empty FLV SequenceStart minimally', () => {
    expect(describeAudioConfig('ac-3', new Uint8Array(0))).toEqual({ codec: 'ac-3', codecString: 'ac-3' });
    expect(describeAudioConfig('ec-3', new Uint8Array(0))).toEqual({ codec: 'ec-3', codecString: 'ec-3' });
  });

  it.each([
    ['no syncword', Uint8Array.from([0x0b, 0x78, 0, 0, 0, 0x40, 0, 0]), 'bad-ac3-frame'],
    ['fscod 3', buildAc3({ fscod: 3, frmsizecod: 0, acmod: 2, lfeon: false }), 'bad-ac3-frame'],
    ['frmsizecod 38', buildAc3({ fscod: 0, frmsizecod: 38, acmod: 2, lfeon: false }), 'bad-ac3-frame'],
    ['an E-AC-3 bsid', buildAc3({ fscod: 0, frmsizecod: 0, acmod: 2, lfeon: false, bsid: 16 }), 'bad-ac3-frame'],
    ['5 bytes', Uint8Array.from([0x0b, 0x77, 0, 0, 0]), 'truncated'],
  ])('rejects %s', (_name, bytes, code) => {
    expect(() => parseAc3FrameHeader(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });
});

const EAC3_CASES: Array<{ name: string; spec: Eac3Spec; sampleRate: number; channels: number; bitrate: number }> = [
  { name: '5.1 at 48 kHz, 6 blocks, 768 bytes (192 kbit/s)', spec: { strmtyp: 0, frameBytes: 768, fscod: 0, acmod: 7, lfeon: true }, sampleRate: 48000, channels: 6, bitrate: 192000 },
  { name: 'stereo at 32 kHz, 6 blocks (FFmpeg eac3 5.1 384k is 2304 bytes)', spec: { strmtyp: 0, frameBytes: 2304, fscod: 2, acmod: 2, lfeon: false }, sampleRate: 32000, channels: 2, bitrate: 384000 },
  { name: 'reduced rate 24 kHz via fscod2, mono', spec: { strmtyp: 0, frameBytes: 256, fscod: 3, fscod2: 0, acmod: 1, lfeon: false }, sampleRate: 24000, channels: 1, bitrate: 32000 },
  { name: '1 block per frame at 48 kHz, dual mono (dialnorm2 path)', spec: { strmtyp: 2, frameBytes: 128, fscod: 0, numblkscod: 0, acmod: 0, lfeon: false }, sampleRate: 48000, channels: 2, bitrate: 192000 },
];

describe('parseEac3FrameHeader / describeAudioFrame(ec-3)', () => {
  it.each(EAC3_CASES)('$name', ({ spec, sampleRate, channels, bitrate }) => {
    const frame = buildEac3(spec);
    expect(isEac3Frame(frame)).toBe(true);
    expect(parseEac3FrameHeader(frame)).toMatchObject({ strmtyp: spec.strmtyp, frameBytes: spec.frameBytes, sampleRate, channels, bitrate });
    expect(describeAudioFrame('ec-3', frame)).toEqual({ codec: 'ec-3', codecString: 'ec-3', sampleRate, channels, bitrate });
  });

  it('adds the channels of a dependent substream: 5.1 + Lrs/Rrs = 7.1', () => {
    const independent = buildEac3({ strmtyp: 0, frameBytes: 768, fscod: 0, acmod: 7, lfeon: true });
    const dependent = buildEac3({ strmtyp: 1, frameBytes: 384, fscod: 0, acmod: 2, lfeon: false, chanmap: 0x0200 | 0x8000 | 0x2000 });
    const next = buildEac3({ strmtyp: 0, frameBytes: 768, fscod: 0, acmod: 7, lfeon: true });
    const frame = concat(independent, dependent, next);
    expect(parseEac3FrameHeader(dependent).chanmap).toBe(0xa200);
    expect(eac3Channels(frame).channels).toBe(8);
    expect(describeAudioFrame('ec-3', frame)?.channels).toBe(8);
  });

  it('ignores a dependent substream without chanmap and stops at junk', () => {
    const independent = buildEac3({ strmtyp: 0, frameBytes: 256, fscod: 0, acmod: 2, lfeon: false });
    const dependent = buildEac3({ strmtyp: 1, frameBytes: 256, fscod: 0, acmod: 2, lfeon: false });
    expect(eac3Channels(concat(independent, dependent, [1, 2, 3, 4, 5, 6, 7])).channels).toBe(2);
  });

  it.each([
    ['an AC-3 bsid', buildEac3({ strmtyp: 0, frameBytes: 256, fscod: 0, acmod: 2, lfeon: false, bsid: 8 }), 'bad-ac3-frame'],
    ['fscod2 3', buildEac3({ strmtyp: 0, frameBytes: 256, fscod: 3, fscod2: 3, acmod: 2, lfeon: false }), 'bad-ac3-frame'],
    ['strmtyp 3', buildEac3({ strmtyp: 3, frameBytes: 256, fscod: 0, acmod: 2, lfeon: false }), 'bad-ac3-frame'],
  ])('rejects %s', (_name, bytes, code) => {
    expect(() => parseEac3FrameHeader(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });
});
