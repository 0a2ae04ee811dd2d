import { describe, expect, it } from 'vitest';
import { ProtocolError } from '@headwater/bytes';
import { parseOpusHead } from '@headwater/codecs';
import { synthesizeOpusHead } from './matroska-codecs.js';
import { MKV_ID } from './matroska-ids.js';
import { writeMatroskaSegment } from './matroska-writer.js';
import type { MatroskaSegmentInput, MkvFrame, MkvTrack } from './matroska-writer.js';
import { child, readMatroska, stringOf, uintOf, walkEbml } from './testing/ebml-reader.js';
import { AAC_LC_48K_STEREO, flacStreamInfo, vp8Frame } from './testing/media-builders.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const avc: MkvTrack = { number: 1, kind: 'video', codec: 'avc1', codecPrivate: bytes(1, 0x64, 0, 0x1f, 0xff, 0xe0, 0), width: 640, height: 360 };
const aac: MkvTrack = { number: 2, kind: 'audio', codec: 'mp4a', codecPrivate: AAC_LC_48K_STEREO };
const frame = (track: number, ptsMs: number, keyframe = true, data = bytes(0, 0, 0, 1, 0x65)): MkvFrame => ({ track, ptsMs, keyframe, data });

describe('writeMatroskaSegment', () => {
  it('writes the EBML header, Info, Tracks and one Cluster', () => {
    const file = writeMatroskaSegment({
      tracks: [avc, aac],
      frames: [frame(1, 1000, true), frame(2, 1000), frame(1, 1100, false), frame(1, 1033, false), frame(2, 1021)],
      durationMs: 2000,
    });
    const top = walkEbml(file);
    expect(top.map((n) => n.id)).toEqual([MKV_ID.EBML, MKV_ID.Segment]);
    const header = top[0]!;
    expect(stringOf(child(header, MKV_ID.DocType))).toBe('matroska');
    expect(uintOf(child(header, MKV_ID.DocTypeVersion))).toBe(4);
    expect(uintOf(child(header, MKV_ID.DocTypeReadVersion))).toBe(2);
    const segment = top[1]!;
    expect(segment.offset + segment.headerBytes + segment.size).toBe(file.length);
    expect(segment.children!.map((n) => n.id)).toEqual([MKV_ID.Info, MKV_ID.Tracks, MKV_ID.Cluster]);
    const info = child(segment, MKV_ID.Info)!;
    expect(stringOf(child(info, MKV_ID.WritingApp))).toBe('headwater');

    const mkv = readMatroska(file);
    expect(mkv).toMatchObject({ docType: 'matroska', timestampScale: 1_000_000, duration: 2000, muxingApp: 'headwater', clusterCount: 1 });
    expect(mkv.tracks).toEqual([
      { number: 1, type: 1, codecId: 'V_MPEG4/ISO/AVC', codecPrivate: avc.codecPrivate, width: 640, height: 360 },
      { number: 2, type: 2, codecId: 'A_AAC', codecPrivate: AAC_LC_48K_STEREO, sampleRate: 48000, channels: 2 },
    ]);
    // Decode order kept; timestamps are presentation times, relative ones may go back (B-frames).
    expect(mkv.blocks.map((b) => [b.track, b.ticks, b.keyframe])).toEqual([
      [1, 1000, true],
      [2, 1000, true],
      [1, 1100, false],
      [1, 1033, false],
      [2, 1021, true],
    ]);
    expect(mkv.blocks[0]!.data).toEqual(bytes(0, 0, 0, 1, 0x65));
  });

  it('defaults the duration to the span of the frames', () => {
    const file = writeMatroskaSegment({
      tracks: [{ ...avc, defaultDurationNs: 40_000_000 }],
      frames: [frame(1, 500), frame(1, 540, false), frame(1, 580, false)],
    });
    const mkv = readMatroska(file);
    expect(mkv.duration).toBeCloseTo(120);
    expect(mkv.tracks[0]!.defaultDurationNs).toBe(40_000_000);
  });

  it('starts a new Cluster when a relative timestamp would leave the SI16 range', () => {
    const frames = [frame(2, 0), frame(2, 32767), frame(2, 32768), frame(2, 65535), frame(2, 100_000)];
    const mkv = readMatroska(writeMatroskaSegment({ tracks: [aac], frames }));
    expect(mkv.clusterCount).toBe(3);
    expect(mkv.blocks.map((b) => [b.clusterTicks, b.ticks])).toEqual([
      [0, 0],
      [0, 32767],
      [32768, 32768],
      [32768, 65535],
      [100_000, 100_000],
    ]);
  });

  it('allows relative timestamps down to -32768 within a Cluster', () => {
    const frames = [frame(1, 40_000, true), frame(1, 40_000 - 32768 + 1, false), frame(1, 40_000 - 32768, false), frame(1, 1000, false)];
    const mkv = readMatroska(writeMatroskaSegment({ tracks: [avc], frames }));
    expect(mkv.blocks.map((b) => [b.clusterTicks, b.ticks])).toEqual([
      [40_000, 40_000],
      [40_000, 7233],
      [40_000, 7232],
      [1000, 1000],
    ]);
  });

  it('rounds fractional milliseconds to the TimestampScale', () => {
    const frames = [frame(2, 1.4), frame(2, 1.6), frame(2, 2.0004)];
    expect(readMatroska(writeMatroskaSegment({ tracks: [aac], frames })).blocks.map((b) => b.ticks)).toEqual([1, 2, 2]);
    const us = readMatroska(writeMatroskaSegment({ tracks: [aac], frames, timecodeScaleNs: 1000 }));
    expect(us.timestampScale).toBe(1000);
    expect(us.blocks.map((b) => b.ticks)).toEqual([1400, 1600, 2000]);
  });

  describe('Opus', () => {
    it('writes CodecDelay and SeekPreRoll as FFmpeg does and shifts Blocks by the delay', () => {
      const head = synthesizeOpusHead(2, 312);
      const mkv = readMatroska(
        writeMatroskaSegment({ tracks: [{ number: 1, kind: 'audio', codec: 'Opus', codecPrivate: head }], frames: [frame(1, 0, true, bytes(0xfc, 1)), frame(1, 20, true, bytes(0xfc, 2))] }),
      );
      expect(mkv.tracks[0]).toMatchObject({ codecId: 'A_OPUS', codecDelayNs: 6_500_000, seekPreRollNs: 80_000_000, sampleRate: 48000, channels: 2 });
      // 6.5 ms rounds to 7 ticks, as FFmpeg rounds it both when writing and when reading.
      expect(mkv.blocks.map((b) => b.ticks)).toEqual([7, 27]);
    });

    it('writes no CodecDelay and no shift for a zero pre-skip', () => {
      const head = synthesizeOpusHead(1, 0);
      const mkv = readMatroska(writeMatroskaSegment({ tracks: [{ number: 1, kind: 'audio', codec: 'Opus', codecPrivate: head }], frames: [frame(1, 2000, true, bytes(0x78))] }));
      expect(mkv.tracks[0]!.codecDelayNs).toBeUndefined();
      expect(mkv.tracks[0]).toMatchObject({ seekPreRollNs: 80_000_000, channels: 1 });
      expect(mkv.blocks[0]!.ticks).toBe(2000);
    });

    it.each([
      { name: 'absent', codecPrivate: undefined, toc: 0x78, channels: 1 },
      { name: 'empty', codecPrivate: new Uint8Array(0), toc: 0xfc, channels: 2 },
    ])('synthesises a head when the config is $name, channels from the TOC', ({ codecPrivate, toc, channels }) => {
      const track: MkvTrack = { number: 1, kind: 'audio', codec: 'Opus' };
      if (codecPrivate) track.codecPrivate = codecPrivate;
      const mkv = readMatroska(writeMatroskaSegment({ tracks: [track], frames: [frame(1, 0, true, bytes(toc, 0))] }));
      const head = parseOpusHead(mkv.tracks[0]!.codecPrivate!);
      expect(head).toMatchObject({ channelCount: channels, preSkip: 312, inputSampleRate: 48000 });
      expect(mkv.tracks[0]).toMatchObject({ channels, codecDelayNs: 6_500_000 });
    });
  });

  it('normalises a raw FLAC STREAMINFO and takes rate and channels from it', () => {
    const si = flacStreamInfo({ sampleRate: 44100, channels: 1, bitsPerSample: 16 });
    const mkv = readMatroska(writeMatroskaSegment({ tracks: [{ number: 1, kind: 'audio', codec: 'fLaC', codecPrivate: si }], frames: [frame(1, 0)] }));
    expect(mkv.tracks[0]).toMatchObject({ codecId: 'A_FLAC', sampleRate: 44100, channels: 1 });
    expect([...mkv.tracks[0]!.codecPrivate!.subarray(0, 8)]).toEqual([0x66, 0x4c, 0x61, 0x43, 0x80, 0, 0, 34]);
  });

  it('takes AC-3 rate and channels from the first frame and writes no CodecPrivate', () => {
    const ac3 = bytes(0x0b, 0x77, 0, 0, 0x0e, 0x40, 0x40, 0, 0, 0);
    const mkv = readMatroska(writeMatroskaSegment({ tracks: [{ number: 1, kind: 'audio', codec: 'ac-3', codecPrivate: bytes(1, 2) }], frames: [frame(1, 0, true, ac3)] }));
    expect(mkv.tracks[0]).toEqual({ number: 1, type: 2, codecId: 'A_AC3', sampleRate: 48000, channels: 2 });
  });

  it('takes a VP8 size from its first key frame and drops the FLV vpcC', () => {
    const mkv = readMatroska(
      writeMatroskaSegment({ tracks: [{ number: 1, kind: 'video', codec: 'vp08', codecPrivate: bytes(1, 2, 3) }], frames: [frame(1, 0, true, vp8Frame(true, 320, 240))] }),
    );
    expect(mkv.tracks[0]).toEqual({ number: 1, type: 1, codecId: 'V_VP8', width: 320, height: 240 });
  });

  it('removes AV1 temporal delimiters and skips units made only of them', () => {
    const av1: MkvTrack = { number: 1, kind: 'video', codec: 'av01', codecPrivate: bytes(0x81, 0, 0, 0), width: 64, height: 64 };
    const mkv = readMatroska(writeMatroskaSegment({ tracks: [av1], frames: [frame(1, 0, true, bytes(0x12, 0, 0x32, 1, 9)), frame(1, 33, false, bytes(0x12, 0))] }));
    expect(mkv.blocks.map((b) => [...b.data])).toEqual([[0x32, 1, 9]]);
    expect(mkv.tracks[0]!.codecPrivate).toEqual(bytes(0x81, 0, 0, 0));
  });

  const bad: { name: string; code: string; input: () => MatroskaSegmentInput }[] = [
    { name: 'unknown codec', code: 'mkv-unsupported-codec', input: () => ({ tracks: [{ ...avc, codec: 'vvc1' as never }], frames: [] }) },
    { name: 'inherited property as codec', code: 'mkv-unsupported-codec', input: () => ({ tracks: [{ ...avc, codec: 'toString' as never }], frames: [] }) },
    { name: 'audio codec on a video track', code: 'mkv-bad-track', input: () => ({ tracks: [{ ...avc, codec: 'mp4a' }], frames: [] }) },
    { name: 'video codec on an audio track', code: 'mkv-bad-track', input: () => ({ tracks: [{ ...aac, codec: 'vp09' }], frames: [] }) },
    { name: 'track number 0', code: 'mkv-bad-track', input: () => ({ tracks: [{ ...avc, number: 0 }], frames: [] }) },
    { name: 'track number too large', code: 'mkv-bad-track', input: () => ({ tracks: [{ ...avc, number: 16383 }], frames: [] }) },
    { name: 'duplicate track number', code: 'mkv-bad-track', input: () => ({ tracks: [avc, { ...aac, number: 1 }], frames: [] }) },
    { name: 'avcC missing', code: 'mkv-missing-codec-private', input: () => ({ tracks: [{ ...avc, codecPrivate: new Uint8Array(0) }], frames: [] }) },
    { name: 'AudioSpecificConfig missing', code: 'mkv-missing-codec-private', input: () => ({ tracks: [{ number: 1, kind: 'audio', codec: 'mp4a' }], frames: [] }) },
    { name: 'video without size', code: 'mkv-bad-track', input: () => ({ tracks: [{ number: 1, kind: 'video', codec: 'vp09' }], frames: [] }) },
    { name: 'MP3 without rate and no frame', code: 'mkv-bad-track', input: () => ({ tracks: [{ number: 1, kind: 'audio', codec: '.mp3' }], frames: [] }) },
    { name: 'frame for an unknown track', code: 'mkv-unknown-track', input: () => ({ tracks: [avc], frames: [frame(2, 0)] }) },
    { name: 'negative pts', code: 'mkv-bad-timestamp', input: () => ({ tracks: [avc], frames: [frame(1, -1)] }) },
    { name: 'NaN pts', code: 'mkv-bad-timestamp', input: () => ({ tracks: [avc], frames: [frame(1, NaN)] }) },
    { name: 'empty frame', code: 'mkv-empty-frame', input: () => ({ tracks: [avc], frames: [frame(1, 0, true, new Uint8Array(0))] }) },
    { name: 'audio going back', code: 'mkv-non-monotonic-dts', input: () => ({ tracks: [aac], frames: [frame(2, 100), frame(2, 99)] }) },
    {
      name: 'video dts going back',
      code: 'mkv-non-monotonic-dts',
      input: () => ({ tracks: [avc], frames: [{ ...frame(1, 100), dtsMs: 50 }, { ...frame(1, 90, false), dtsMs: 49 }] }),
    },
    { name: 'bad TimestampScale', code: 'mkv-bad-argument', input: () => ({ tracks: [avc], frames: [], timecodeScaleNs: 0 }) },
    { name: 'negative duration', code: 'mkv-bad-argument', input: () => ({ tracks: [avc], frames: [], durationMs: -1 }) },
  ];

  it.each(bad)('rejects $name with $code', ({ code, input }) => {
    const err = (() => {
      try {
        writeMatroskaSegment(input());
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(code);
  });

  it('marks decode-only frames with the Invisible flag', () => {
    const frames = [frame(1, 0), { ...frame(1, 66, true), decodeOnly: true }, frame(1, 33, false)];
    const mkv = readMatroska(writeMatroskaSegment({ tracks: [avc], frames }));
    expect(mkv.blocks.map((b) => [b.ticks, b.keyframe, b.invisible])).toEqual([
      [0, true, false],
      [66, true, true],
      [33, false, false],
    ]);
  });

  it('accepts equal decode times and B-frame presentation order', () => {
    const frames = [{ ...frame(1, 100), dtsMs: 0 }, { ...frame(1, 300, false), dtsMs: 33 }, { ...frame(1, 200, false), dtsMs: 33 }];
    expect(readMatroska(writeMatroskaSegment({ tracks: [avc], frames })).blocks.map((b) => b.ticks)).toEqual([100, 300, 200]);
  });
});
