import { describe, expect, it } from 'vitest';
import { describeAudioConfig } from './describe.js';
import { parseOpusHead } from './opus-head.js';
import type { OpusHead } from './opus-head.js';
import { buildOpusHead } from './testing/audio-builders.js';
import type { OpusHeadSpec } from './testing/audio-builders.js';

const CASES: Array<{ name: string; spec: OpusHeadSpec; value: OpusHead }> = [
  {
    name: 'stereo, family 0, 312 samples pre-skip (libopus)',
    spec: { channels: 2, preSkip: 312, inputRate: 48000, family: 0 },
    value: { version: 1, channelCount: 2, preSkip: 312, inputSampleRate: 48000, outputGainDb: 0, mappingFamily: 0 },
  },
  {
    name: 'mono from a 44.1 kHz source with -3 dB gain',
    spec: { channels: 1, preSkip: 3840, inputRate: 44100, gainQ78: -768, family: 0 },
    value: { version: 1, channelCount: 1, preSkip: 3840, inputSampleRate: 44100, outputGainDb: -3, mappingFamily: 0 },
  },
  {
    name: '5.1, family 1, 4 streams of which 2 coupled',
    spec: { channels: 6, preSkip: 312, inputRate: 0, family: 1, streams: 4, coupled: 2, mapping: [0, 4, 1, 2, 3, 5] },
    value: {
      version: 1,
      channelCount: 6,
      preSkip: 312,
      inputSampleRate: 0,
      outputGainDb: 0,
      mappingFamily: 1,
      channelMapping: { streamCount: 4, coupledCount: 2, mapping: Uint8Array.from([0, 4, 1, 2, 3, 5]) },
    },
  },
];

describe('parseOpusHead / describeAudioConfig(Opus)', () => {
  it.each(CASES)('$name', ({ spec, value }) => {
    const bytes = buildOpusHead(spec);
    expect(parseOpusHead(bytes)).toEqual(value);
    expect(describeAudioConfig('Opus', bytes)).toEqual({ codec: 'Opus', codecString: 'opus', sampleRate: 48000, channels: spec.channels });
  });

  it('describes an empty SequenceStart as 48 kHz with channels unknown', () => {
    expect(describeAudioConfig('Opus', new Uint8Array(0))).toEqual({ codec: 'Opus', codecString: 'opus', sampleRate: 48000 });
  });

  it.each([
    ['a wrong magic', Uint8Array.from([...'OpusTags'].map((c) => c.charCodeAt(0))), 'bad-opus-head'],
    ['version 16 (major 1)', buildOpusHead({ version: 16, channels: 2, preSkip: 0, inputRate: 0, family: 0 }), 'bad-opus-head'],
    ['0 channels', buildOpusHead({ channels: 0, preSkip: 0, inputRate: 0, family: 0 }), 'bad-opus-head'],
    ['3 channels in family 0', buildOpusHead({ channels: 3, preSkip: 0, inputRate: 0, family: 0 }), 'bad-opus-head'],
    ['more coupled than total streams', buildOpusHead({ channels: 2, preSkip: 0, inputRate: 0, family: 1, streams: 1, coupled: 2, mapping: [0, 1] }), 'bad-opus-head'],
    ['a mapping table cut short', buildOpusHead({ channels: 6, preSkip: 0, inputRate: 0, family: 1, streams: 4, coupled: 2, mapping: [0, 1] }), 'truncated'],
    ['a header cut short', buildOpusHead({ channels: 2, preSkip: 0, inputRate: 0, family: 0 }).subarray(0, 12), 'truncated'],
  ])('rejects %s', (_name, bytes, code) => {
    expect(() => parseOpusHead(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });
});
