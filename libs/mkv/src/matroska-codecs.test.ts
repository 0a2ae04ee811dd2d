import { describe, expect, it } from 'vitest';
import { ProtocolError } from '@headwater/bytes';
import { parseFlacStreamInfo, parseOpusHead } from '@headwater/codecs';
import {
  MATROSKA_CODEC_IDS,
  av1BlockParts,
  codecNeedsConfig,
  flacCodecPrivate,
  isMkvAudioCodec,
  isMkvCodec,
  isMkvVideoCodec,
  opusHeadWithPreSkip,
  opusPacketChannels,
  synthesizeOpusHead,
} from './matroska-codecs.js';
import { flacStreamInfo } from './testing/media-builders.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.split(/\s+/).filter(Boolean).map((b) => parseInt(b, 16)));
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const join = (parts: Uint8Array[]): Uint8Array => cat(...parts);

describe('codec mapping', () => {
  it.each([
    ['avc1', 'V_MPEG4/ISO/AVC', 'video', true],
    ['hvc1', 'V_MPEGH/ISO/HEVC', 'video', true],
    ['av01', 'V_AV1', 'video', true],
    ['vp09', 'V_VP9', 'video', false],
    ['vp08', 'V_VP8', 'video', false],
    ['mp4a', 'A_AAC', 'audio', true],
    ['Opus', 'A_OPUS', 'audio', false],
    ['fLaC', 'A_FLAC', 'audio', true],
    ['ac-3', 'A_AC3', 'audio', false],
    ['ec-3', 'A_EAC3', 'audio', false],
    ['.mp3', 'A_MPEG/L3', 'audio', false],
  ] as const)('%s -> %s', (codec, codecId, kind, needsConfig) => {
    expect(MATROSKA_CODEC_IDS[codec]).toBe(codecId);
    expect(isMkvCodec(codec)).toBe(true);
    expect(isMkvVideoCodec(codec)).toBe(kind === 'video');
    expect(isMkvAudioCodec(codec)).toBe(kind === 'audio');
    expect(codecNeedsConfig(codec)).toBe(needsConfig);
  });

  it.each(['vvc1', 'legacy:2', 'toString', '', 'AVC1'])('has no mapping for %j', (codec) => {
    expect(isMkvCodec(codec)).toBe(false);
    expect(isMkvVideoCodec(codec)).toBe(false);
    expect(isMkvAudioCodec(codec)).toBe(false);
  });
});

describe('Opus heads', () => {
  it('synthesises the stereo head FFmpeg would write', () => {
    expect([...synthesizeOpusHead()]).toEqual([...hex('4f 70 75 73 48 65 61 64 01 02 38 01 80 bb 00 00 00 00 00')]);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('synthesises a valid head for %i channels', (channels) => {
    const head = parseOpusHead(synthesizeOpusHead(channels));
    expect(head).toMatchObject({ version: 1, channelCount: channels, preSkip: 312, inputSampleRate: 48000, outputGainDb: 0 });
    expect(head.mappingFamily).toBe(channels > 2 ? 1 : 0);
    if (channels > 2) {
      const m = head.channelMapping!;
      expect(m.streamCount + m.coupledCount).toBe(channels);
      expect([...m.mapping].sort()).toEqual([...Array(channels).keys()]);
    }
  });

  it.each([0, 9, 2.5, -1])('refuses %s channels', (channels) => {
    expect(() => synthesizeOpusHead(channels)).toThrow(ProtocolError);
  });

  it('rewrites the pre-skip of a copy', () => {
    const head = synthesizeOpusHead(2, 3840);
    const rewritten = opusHeadWithPreSkip(head, 0);
    expect(parseOpusHead(rewritten).preSkip).toBe(0);
    expect(parseOpusHead(head).preSkip).toBe(3840);
    expect(() => opusHeadWithPreSkip(head.subarray(0, 11), 0)).toThrow(ProtocolError);
  });

  it.each([
    { toc: 0xfc, channels: 2 },
    { toc: 0x78, channels: 1 },
    { toc: 0x04, channels: 2 },
  ])('reads channels $channels from TOC $toc', ({ toc, channels }) => {
    expect(opusPacketChannels(Uint8Array.of(toc, 0xff))).toBe(channels);
  });
});

describe('FLAC CodecPrivate', () => {
  const si = flacStreamInfo({ sampleRate: 48000, channels: 2, bitsPerSample: 16 });
  const expected = cat(hex('66 4c 61 43 80 00 00 22'), si);
  it.each([
    { name: "FFmpeg's raw STREAMINFO", config: si },
    { name: 'block header + STREAMINFO, last flag unset', config: cat(hex('00 00 00 22'), si) },
    { name: 'block header + STREAMINFO, last flag set', config: cat(hex('80 00 00 22'), si) },
    { name: "the spec's fLaC + block", config: expected },
  ])('normalises $name', ({ config }) => {
    const priv = flacCodecPrivate(config);
    expect([...priv]).toEqual([...expected]);
    expect(parseFlacStreamInfo(priv)).toMatchObject({ sampleRate: 48000, channels: 2, bitsPerSample: 16 });
  });

  it('keeps further metadata blocks after fLaC', () => {
    const withComment = cat(hex('66 4c 61 43 00 00 00 22'), si, hex('84 00 00 04 00 00 00 00'));
    expect(flacCodecPrivate(withComment)).toEqual(withComment);
  });

  it.each([
    { name: 'short', config: si.subarray(0, 20) },
    { name: 'fLaC without a block header', config: cat(hex('66 4c 61 43'), si) },
    { name: 'first block not STREAMINFO', config: cat(hex('04 00 00 22'), si) },
    { name: 'empty', config: new Uint8Array(0) },
  ])('rejects $name', ({ config }) => {
    expect(() => flacCodecPrivate(config)).toThrow(ProtocolError);
  });
});

describe('AV1 temporal delimiters', () => {
  const td = hex('12 00');
  const seq = hex('0a 02 aa bb');
  const frame = hex('32 03 01 02 03');
  it.each([
    { name: 'leading TD', unit: cat(td, seq, frame), kept: cat(seq, frame), parts: 1 },
    { name: 'no TD (returned whole)', unit: cat(seq, frame), kept: cat(seq, frame), parts: 1 },
    { name: 'TD in the middle', unit: cat(seq, td, frame), kept: cat(seq, frame), parts: 2 },
    { name: 'two TDs', unit: cat(td, frame, td), kept: frame, parts: 1 },
    { name: 'TD only', unit: td, kept: new Uint8Array(0), parts: 0 },
    { name: 'last OBU without size field', unit: cat(td, hex('30 01 02 03')), kept: hex('30 01 02 03'), parts: 1 },
  ])('$name', ({ unit, kept, parts }) => {
    const out = av1BlockParts(unit);
    expect(out).toHaveLength(parts);
    expect([...join(out)]).toEqual([...kept]);
    // Views into the unit, never copies.
    for (const p of out) expect(p.buffer).toBe(unit.buffer);
  });

  it('works on a view with a byte offset', () => {
    const backing = cat(hex('ff ff'), td, frame);
    expect([...join(av1BlockParts(backing.subarray(2)))]).toEqual([...frame]);
  });

  it.each([
    { name: 'forbidden bit', unit: hex('92 00') },
    { name: 'size past the end', unit: hex('32 09 01') },
  ])('rejects $name', ({ unit }) => {
    expect(() => av1BlockParts(unit)).toThrow(ProtocolError);
  });
});
