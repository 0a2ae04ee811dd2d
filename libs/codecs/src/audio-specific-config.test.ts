import { describe, expect, it } from 'vitest';
import { parseAudioSpecificConfig } from './audio-specific-config.js';
import type { AudioSpecificConfig } from './audio-specific-config.js';
import { describeAudioConfig } from './describe.js';
import type { AudioDescription } from './description.js';
import { buildAsc } from './testing/audio-builders.js';
import type { AscSpec } from './testing/audio-builders.js';

interface Case {
  name: string;
  spec: AscSpec;
  asc: Partial<AudioSpecificConfig>;
  value: Omit<AudioDescription, 'codec'>;
}

const CASES: Case[] = [
  {
    name: 'AAC-LC 44.1 kHz stereo',
    spec: { aot: 2, freq: { index: 4 }, channelConfig: 2 },
    asc: { objectType: 2, coreObjectType: 2, sampleRate: 44100, channels: 2, sbrPresent: false, frameLengthFlag: false },
    value: { codecString: 'mp4a.40.2', objectType: 2, sampleRate: 44100, channels: 2 },
  },
  {
    name: 'AAC-LC 48 kHz stereo with the explicit no-SBR sync extension (FFmpeg)',
    spec: { aot: 2, freq: { index: 3 }, channelConfig: 2, syncExt: { sbr: false } },
    asc: { sbrPresent: false, psPresent: false },
    value: { codecString: 'mp4a.40.2', objectType: 2, sampleRate: 48000, channels: 2 },
  },
  {
    name: 'HE-AAC v1, explicit hierarchical signalling (AOT 5), 24 -> 48 kHz',
    spec: { aot: 5, freq: { index: 6 }, channelConfig: 2, hierarchical: { extFreq: { index: 3 }, coreAot: 2 } },
    asc: { objectType: 5, coreObjectType: 2, sampleRate: 24000, extensionSampleRate: 48000, sbrPresent: true, psPresent: false },
    value: { codecString: 'mp4a.40.5', objectType: 5, sampleRate: 48000, channels: 2 },
  },
  {
    name: 'HE-AAC v2 (AOT 29): mono core, stereo output',
    spec: { aot: 29, freq: { index: 7 }, channelConfig: 1, hierarchical: { extFreq: { index: 4 }, coreAot: 2 } },
    asc: { objectType: 29, sbrPresent: true, psPresent: true, channels: 1 },
    value: { codecString: 'mp4a.40.29', objectType: 29, sampleRate: 44100, channels: 2 },
  },
  {
    name: 'backward-compatible SBR + PS signalling after AAC-LC',
    spec: { aot: 2, freq: { index: 6 }, channelConfig: 1, syncExt: { sbr: true, extFreq: { index: 3 }, ps: true } },
    asc: { objectType: 2, sbrPresent: true, psPresent: true, extensionSampleRate: 48000 },
    value: { codecString: 'mp4a.40.2', objectType: 2, sampleRate: 48000, channels: 2 },
  },
  {
    name: 'explicit 24-bit frequency, 960-sample frames, core coder delay',
    spec: { aot: 2, freq: { hz: 37800 }, channelConfig: 1, frameLength960: true, coreCoderDelay: 1234 },
    asc: { samplingFrequencyIndex: 15, sampleRate: 37800, frameLengthFlag: true },
    value: { codecString: 'mp4a.40.2', objectType: 2, sampleRate: 37800, channels: 1 },
  },
  {
    name: 'escaped object type (AOT 42, USAC) with 7.1 channel configuration 7',
    spec: { aot: 42, freq: { index: 3 }, channelConfig: 7 },
    asc: { objectType: 42, channels: 8 },
    value: { codecString: 'mp4a.40.42', objectType: 42, sampleRate: 48000, channels: 8 },
  },
  {
    name: 'channel configuration 0 with a PCE: 3 front (C + L/R), 2 back (Ls/Rs), 1 LFE, a comment',
    spec: {
      aot: 2,
      freq: { index: 3 },
      channelConfig: 0,
      pce: { front: [false, true], side: [], back: [true], lfe: 1, comment: 'hello' },
      syncExt: { sbr: false },
    },
    asc: { channelConfiguration: 0, channels: 6, sbrPresent: false },
    value: { codecString: 'mp4a.40.2', objectType: 2, sampleRate: 48000, channels: 6 },
  },
  {
    name: 'AAC Main 7350 Hz, channel configuration 11 (6.1)',
    spec: { aot: 1, freq: { index: 12 }, channelConfig: 11 },
    asc: { objectType: 1, sampleRate: 7350, channels: 7 },
    value: { codecString: 'mp4a.40.1', objectType: 1, sampleRate: 7350, channels: 7 },
  },
  {
    name: 'reserved channel configuration 9: channels unknown',
    spec: { aot: 2, freq: { index: 3 }, channelConfig: 9 },
    asc: { channelConfiguration: 9 },
    value: { codecString: 'mp4a.40.2', objectType: 2, sampleRate: 48000 },
  },
];

describe('parseAudioSpecificConfig / describeAudioConfig(mp4a)', () => {
  it.each(CASES)('$name', ({ spec, asc, value }) => {
    const bytes = buildAsc(spec);
    expect(parseAudioSpecificConfig(bytes)).toMatchObject(asc);
    expect(describeAudioConfig('mp4a', bytes)).toEqual({ codec: 'mp4a', ...value });
  });

  it('reads the two-byte configs seen in the wild', () => {
    expect(parseAudioSpecificConfig(Uint8Array.from([0x12, 0x10]))).toMatchObject({ objectType: 2, sampleRate: 44100, channels: 2 });
    expect(parseAudioSpecificConfig(Uint8Array.from([0x11, 0x88]))).toMatchObject({ objectType: 2, sampleRate: 48000, channels: 1 });
  });

  it.each([
    ['an empty config', new Uint8Array(0), 'truncated'],
    ['object type 0', Uint8Array.from([0x01, 0x90]), 'bad-audio-specific-config'],
    ['a reserved frequency index 13', Uint8Array.from([0x16, 0x90]), 'bad-audio-specific-config'],
    ['an explicit frequency of 0', Uint8Array.from([0x17, 0x80, 0x00, 0x00, 0x10]), 'bad-audio-specific-config'],
    ['a truncated PCE', Uint8Array.from([0x11, 0x80, 0x00]), 'truncated'],
  ])('rejects %s', (_name, bytes, code) => {
    expect(() => parseAudioSpecificConfig(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });

  it('describeAudioConfig(mp4a) rejects an empty config as empty-config', () => {
    expect(() => describeAudioConfig('mp4a', new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'empty-config' }));
  });
});
