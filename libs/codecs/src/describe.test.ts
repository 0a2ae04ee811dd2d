import { describe, expect, it } from 'vitest';
import { ProtocolError } from '@headwater/bytes';
import { describeAudioConfig, describeAudioFrame, describeVideoConfig, describeVideoFrame } from './describe.js';
import { AUDIO_CODECS, VIDEO_CODECS } from './description.js';
import type { AudioCodec, VideoCodec } from './description.js';

describe('describe entry points', () => {
  it.each(['avc1', 'hvc1', 'av01', 'vp09'] as const)('describeVideoConfig(%s) rejects an empty config as empty-config', (codec) => {
    expect(() => describeVideoConfig(codec, new Uint8Array(0))).toThrow(ProtocolError);
    expect(() => describeVideoConfig(codec, new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'empty-config' }));
  });

  it('describes vvc1 minimally whatever the config', () => {
    expect(describeVideoConfig('vvc1', Uint8Array.from([0xff, 1, 2]))).toEqual({ codec: 'vvc1', codecString: 'vvc1' });
  });

  it('returns undefined from describeVideoFrame for codecs whose config says it all', () => {
    for (const codec of ['avc1', 'hvc1', 'av01', 'vvc1'] as const) expect(describeVideoFrame(codec, Uint8Array.from([1, 2, 3]))).toBeUndefined();
  });

  it('returns undefined from describeAudioFrame for codecs described by their config', () => {
    for (const codec of ['mp4a', 'Opus', 'fLaC'] as const) expect(describeAudioFrame(codec, Uint8Array.from([1, 2, 3]))).toBeUndefined();
  });

  it('rejects codecs outside the unions (strings from the wire) with unsupported-codec', () => {
    const bad = 'xxxx' as unknown;
    expect(() => describeVideoConfig(bad as VideoCodec, Uint8Array.from([1]))).toThrow(expect.objectContaining({ code: 'unsupported-codec' }));
    expect(() => describeVideoFrame(bad as VideoCodec, Uint8Array.from([1]))).toThrow(expect.objectContaining({ code: 'unsupported-codec' }));
    expect(() => describeAudioConfig(bad as AudioCodec, Uint8Array.from([1]))).toThrow(expect.objectContaining({ code: 'unsupported-codec' }));
    expect(() => describeAudioFrame(bad as AudioCodec, Uint8Array.from([1]))).toThrow(expect.objectContaining({ code: 'unsupported-codec' }));
  });

  it('lists the FourCCs of E-RTMP v2', () => {
    expect([...VIDEO_CODECS]).toEqual(['avc1', 'hvc1', 'av01', 'vp09', 'vp08', 'vvc1']);
    expect([...AUDIO_CODECS]).toEqual(['mp4a', 'Opus', 'fLaC', 'ac-3', 'ec-3', '.mp3']);
  });
});
