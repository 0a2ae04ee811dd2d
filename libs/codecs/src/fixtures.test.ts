import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '@headwater/testkit';
import {
  describeAudioConfig,
  describeVideoConfig,
  describeVideoFrame,
  parseAudioSpecificConfig,
  parseAvcc,
  parseHvcc,
  parseOpusHead,
  parseVp9FrameHeader,
  parseVpcc,
} from './index.js';
import type { AudioCodec, VideoCodec } from './index.js';

/** One FLV tag: type 8 audio / 9 video / 18 script, and its body. */
interface Tag {
  type: number;
  body: Uint8Array;
}

/** Walks an FLV file: 9-byte header + PreviousTagSize0, then [11-byte header, body, UI32]* (FLV 10.1 Annex E). */
function readTags(name: string): Tag[] {
  const file = new Uint8Array(readFileSync(fixturePath(name)));
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const tags: Tag[] = [];
  let offset = view.getUint32(5) + 4;
  while (offset + 11 <= file.length) {
    const type = file[offset]! & 0x1f;
    const size = (file[offset + 1]! << 16) | (file[offset + 2]! << 8) | file[offset + 3]!;
    tags.push({ type, body: file.subarray(offset + 11, offset + 11 + size) });
    offset += 11 + size + 4;
  }
  return tags;
}

const fourcc = (b: Uint8Array, at: number): string => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);

interface VideoConfig {
  codec: VideoCodec;
  config: Uint8Array;
}

/** Every video SequenceStart, legacy AVC (`17 00 cts3`) or enhanced (`9x` with PacketType 0 + FourCC). */
function videoConfigs(tags: Tag[]): VideoConfig[] {
  const out: VideoConfig[] = [];
  for (const { type, body } of tags) {
    if (type !== 9 || body.length < 5) continue;
    const b0 = body[0]!;
    if (b0 & 0x80) {
      if ((b0 & 0x0f) === 0) out.push({ codec: fourcc(body, 1) as VideoCodec, config: body.subarray(5) });
    } else if ((b0 & 0x0f) === 7 && body[1] === 0) {
      out.push({ codec: 'avc1', config: body.subarray(5) });
    }
  }
  return out;
}

/** The first enhanced key frame's payload for a codec without CTS (AV1/VP9: CodedFrames, no SI24). */
function firstKeyFrame(tags: Tag[]): Uint8Array {
  for (const { type, body } of tags) {
    if (type !== 9) continue;
    const b0 = body[0]!;
    if (b0 & 0x80 && ((b0 >> 4) & 0x07) === 1 && (b0 & 0x0f) === 1) return body.subarray(5);
  }
  throw new Error('no key frame');
}

interface AudioConfig {
  codec: AudioCodec;
  config: Uint8Array;
}

/** Every audio SequenceStart, legacy AAC (`AF 00`) or enhanced (`9x` with AudioPacketType 0 + FourCC). */
function audioConfigs(tags: Tag[]): AudioConfig[] {
  const out: AudioConfig[] = [];
  for (const { type, body } of tags) {
    if (type !== 8 || body.length < 2) continue;
    const format = body[0]! >> 4;
    if (format === 9 && (body[0]! & 0x0f) === 0) out.push({ codec: fourcc(body, 1) as AudioCodec, config: body.subarray(5) });
    else if (format === 10 && body[1] === 0) out.push({ codec: 'mp4a', config: body.subarray(2) });
  }
  return out;
}

describe('configs from the shared fixtures', () => {
  it('h264_aac.flv: legacy avcC is H.264 High 640x360 at 30 fps, AAC-LC 48 kHz stereo', () => {
    const tags = readTags('h264_aac.flv');
    const [video] = videoConfigs(tags);
    expect(video?.codec).toBe('avc1');
    const record = parseAvcc(video!.config);
    expect(record.lengthSizeMinusOne).toBe(3);
    expect(record.sps).toHaveLength(1);
    expect(record.pps).toHaveLength(1);
    expect(describeVideoConfig('avc1', video!.config)).toEqual({
      codec: 'avc1',
      codecString: 'avc1.64001e',
      profile: 'High',
      level: 3,
      width: 640,
      height: 360,
      frameRate: 30,
      bitDepth: 8,
      chromaFormat: '4:2:0',
      lengthSizeMinusOne: 3,
    });
    const [audio] = audioConfigs(tags);
    expect(describeAudioConfig('mp4a', audio!.config)).toEqual({
      codec: 'mp4a',
      codecString: 'mp4a.40.2',
      objectType: 2,
      sampleRate: 48000,
      channels: 2,
    });
    // FFmpeg signals "no SBR" explicitly with the 0x2B7 sync extension.
    expect(parseAudioSpecificConfig(audio!.config)).toMatchObject({ sbrPresent: false, psPresent: false });
  });

  it('hevc_aac.flv: hvcC is HEVC Main 640x360', () => {
    const tags = readTags('hevc_aac.flv');
    const [video] = videoConfigs(tags);
    expect(video?.codec).toBe('hvc1');
    const record = parseHvcc(video!.config);
    expect(record.arrays.map((a) => a.nalUnitType)).toEqual(expect.arrayContaining([32, 33, 34]));
    const d = describeVideoConfig('hvc1', video!.config);
    expect(d).toMatchObject({
      codec: 'hvc1',
      codecString: 'hvc1.1.6.L63.90',
      profile: 'Main',
      level: 2.1,
      width: 640,
      height: 360,
      bitDepth: 8,
      chromaFormat: '4:2:0',
      lengthSizeMinusOne: 3,
    });
    expect(d.frameRate).toBe(30);
    expect(describeAudioConfig('mp4a', audioConfigs(tags)[0]!.config)).toMatchObject({ sampleRate: 48000, channels: 2 });
  });

  it('av1_aac.flv: av1C is AV1 Main 640x360', () => {
    const [video] = videoConfigs(readTags('av1_aac.flv'));
    expect(describeVideoConfig('av01', video!.config)).toEqual({
      codec: 'av01',
      codecString: 'av01.0.01M.08',
      profile: 'Main',
      level: 2.1,
      width: 640,
      height: 360,
      bitDepth: 8,
      chromaFormat: '4:2:0',
    });
  });

  it('vp9_opus.flv: vpcC profile 0 8-bit, 640x360 from the first key frame, Opus 48 kHz stereo', () => {
    const tags = readTags('vp9_opus.flv');
    const [video] = videoConfigs(tags);
    const vpcc = parseVpcc(video!.config);
    expect(vpcc).toMatchObject({ form: 'mp4', profile: 0, bitDepth: 8, chromaSubsampling: 1 });
    const d = describeVideoConfig('vp09', video!.config);
    expect(d).toMatchObject({ codec: 'vp09', profile: 0, bitDepth: 8, chromaFormat: '4:2:0' });
    expect(d.codecString).toBe(`vp09.00.${String(vpcc.level).padStart(2, '0')}.08`);
    expect(d.width).toBeUndefined();
    const key = firstKeyFrame(tags);
    expect(parseVp9FrameHeader(key)).toMatchObject({ keyFrame: true, profile: 0, width: 640, height: 360 });
    expect(describeVideoFrame('vp09', key)).toEqual({ width: 640, height: 360, bitDepth: 8, chromaFormat: '4:2:0' });

    const [audio] = audioConfigs(tags);
    expect(audio?.codec).toBe('Opus');
    expect(parseOpusHead(audio!.config)).toMatchObject({ channelCount: 2, inputSampleRate: 48000, mappingFamily: 0 });
    expect(describeAudioConfig('Opus', audio!.config)).toEqual({ codec: 'Opus', codecString: 'opus', sampleRate: 48000, channels: 2 });
  });

  it.each([
    ['veovera_testsrc2_av1_opus.flv', 980, 540, 1],
    ['veovera_bbb_av1_opus.flv', 960, 540, 2],
  ])('%s: the first SequenceStart is empty, the second describes AV1 %ix%i; Opus has %i channel(s)', (name, width, height, channels) => {
    const tags = readTags(name);
    const configs = videoConfigs(tags);
    expect(configs.length).toBeGreaterThanOrEqual(2);
    expect(configs[0]!.config.length).toBe(0);
    expect(() => describeVideoConfig('av01', configs[0]!.config)).toThrow(expect.objectContaining({ code: 'empty-config' }));
    const d = describeVideoConfig('av01', configs[1]!.config);
    expect(d).toMatchObject({ codec: 'av01', codecString: 'av01.0.04M.08', width, height, bitDepth: 8 });
    const [audio] = audioConfigs(tags);
    expect(describeAudioConfig('Opus', audio!.config)).toEqual({ codec: 'Opus', codecString: 'opus', sampleRate: 48000, channels });
  });
});
