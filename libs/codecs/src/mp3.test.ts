import { describe, expect, it } from 'vitest';
import { describeAudioConfig, describeAudioFrame } from './describe.js';
import { parseMpegAudioFrameHeader } from './mp3.js';
import type { MpegAudioFrameHeader } from './mp3.js';
import { buildMp3Header } from './testing/audio-builders.js';
import type { Mp3Spec } from './testing/audio-builders.js';

const CASES: Array<{ name: string; spec: Mp3Spec; value: Partial<MpegAudioFrameHeader>; codecString: string }> = [
  {
    name: 'MPEG-1 Layer III 128 kbit/s 44.1 kHz joint stereo',
    spec: { versionBits: 3, layerBits: 1, bitrateIndex: 9, rateIndex: 0, mode: 1 },
    value: { version: '1', layer: 3, bitrate: 128000, sampleRate: 44100, channelMode: 'joint-stereo', channels: 2, samplesPerFrame: 1152, frameBytes: 417 },
    codecString: 'mp4a.40.34',
  },
  {
    name: 'MPEG-1 Layer III 320 kbit/s 48 kHz stereo, padded',
    spec: { versionBits: 3, layerBits: 1, bitrateIndex: 14, rateIndex: 1, mode: 0, padding: true },
    value: { bitrate: 320000, sampleRate: 48000, frameBytes: 961 },
    codecString: 'mp4a.40.34',
  },
  {
    name: 'MPEG-2 Layer III 32 kbit/s 22.05 kHz mono',
    spec: { versionBits: 2, layerBits: 1, bitrateIndex: 4, rateIndex: 0, mode: 3 },
    value: { version: '2', bitrate: 32000, sampleRate: 22050, channels: 1, samplesPerFrame: 576, frameBytes: 104 },
    codecString: 'mp4a.40.34',
  },
  {
    name: 'MPEG-2.5 Layer III 8 kbit/s 8 kHz mono',
    spec: { versionBits: 0, layerBits: 1, bitrateIndex: 1, rateIndex: 2, mode: 3 },
    value: { version: '2.5', bitrate: 8000, sampleRate: 8000, frameBytes: 72 },
    codecString: 'mp4a.40.34',
  },
  {
    name: 'MPEG-1 Layer II 192 kbit/s 48 kHz dual channel',
    spec: { versionBits: 3, layerBits: 2, bitrateIndex: 10, rateIndex: 1, mode: 2 },
    value: { layer: 2, bitrate: 192000, channelMode: 'dual-channel', samplesPerFrame: 1152, frameBytes: 576 },
    codecString: 'mp4a.40.33',
  },
  {
    name: 'MPEG-1 Layer I 384 kbit/s 32 kHz, padded (4-byte slots)',
    spec: { versionBits: 3, layerBits: 3, bitrateIndex: 12, rateIndex: 2, mode: 0, padding: true },
    value: { layer: 1, bitrate: 384000, samplesPerFrame: 384, frameBytes: 580 },
    codecString: 'mp4a.40.32',
  },
  {
    name: 'free format',
    spec: { versionBits: 3, layerBits: 1, bitrateIndex: 0, rateIndex: 0, mode: 0 },
    value: { bitrate: 0, frameBytes: undefined },
    codecString: 'mp4a.40.34',
  },
];

describe('parseMpegAudioFrameHeader / describeAudioFrame(.mp3)', () => {
  it.each(CASES)('$name', ({ spec, value, codecString }) => {
    const frame = buildMp3Header(spec);
    const h = parseMpegAudioFrameHeader(frame);
    for (const [k, v] of Object.entries(value)) expect(h[k as keyof MpegAudioFrameHeader]).toEqual(v);
    const d = describeAudioFrame('.mp3', frame);
    expect(d).toMatchObject({ codec: '.mp3', codecString, sampleRate: h.sampleRate, channels: h.channels });
    expect(d?.bitrate).toBe(h.bitrate > 0 ? h.bitrate : undefined);
  });

  it('describes the (absent) .mp3 config with the HLS codec string', () => {
    expect(describeAudioConfig('.mp3', new Uint8Array(0))).toEqual({ codec: '.mp3', codecString: 'mp4a.40.34', objectType: 34 });
  });

  it.each([
    ['no sync', Uint8Array.from([0xff, 0xe0 >> 1, 0, 0]), 'bad-mp3-frame'],
    ['reserved version', buildMp3Header({ versionBits: 1, layerBits: 1, bitrateIndex: 9, rateIndex: 0, mode: 0 }), 'bad-mp3-frame'],
    ['reserved layer', buildMp3Header({ versionBits: 3, layerBits: 0, bitrateIndex: 9, rateIndex: 0, mode: 0 }), 'bad-mp3-frame'],
    ['bitrate index 15', buildMp3Header({ versionBits: 3, layerBits: 1, bitrateIndex: 15, rateIndex: 0, mode: 0 }), 'bad-mp3-frame'],
    ['reserved sample rate', buildMp3Header({ versionBits: 3, layerBits: 1, bitrateIndex: 9, rateIndex: 3, mode: 0 }), 'bad-mp3-frame'],
    ['3 bytes', Uint8Array.from([0xff, 0xfb, 0x90]), 'truncated'],
  ])('rejects %s', (_name, bytes, code) => {
    expect(() => parseMpegAudioFrameHeader(bytes)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });
});
