import { ProtocolError } from '@headwater/bytes';

/** MPEG audio versions as the 2-bit ID field codes them (3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5 extension). */
export type MpegAudioVersion = '1' | '2' | '2.5';
export type MpegAudioLayer = 1 | 2 | 3;
export type MpegChannelMode = 'stereo' | 'joint-stereo' | 'dual-channel' | 'mono';

/** An MPEG-1/2/2.5 audio frame header (ISO/IEC 11172-3 §2.4.2.3, 13818-3). */
export interface MpegAudioFrameHeader {
  version: MpegAudioVersion;
  layer: MpegAudioLayer;
  protected: boolean;
  /** Bits per second; 0 = free format. */
  bitrate: number;
  sampleRate: number;
  padding: boolean;
  channelMode: MpegChannelMode;
  channels: number;
  samplesPerFrame: number;
  /** Whole frame length in bytes; undefined for free format. */
  frameBytes?: number;
}

const VERSIONS: readonly (MpegAudioVersion | undefined)[] = ['2.5', undefined, '2', '1'];
const LAYERS: readonly (MpegAudioLayer | undefined)[] = [undefined, 3, 2, 1];
const CHANNEL_MODES: readonly MpegChannelMode[] = ['stereo', 'joint-stereo', 'dual-channel', 'mono'];
const SAMPLE_RATES: Record<MpegAudioVersion, readonly number[]> = {
  '1': [44100, 48000, 32000],
  '2': [22050, 24000, 16000],
  '2.5': [11025, 12000, 8000],
};
/** kbit/s by bitrate_index 1..14 (index 0 = free format, 15 = forbidden). */
const BITRATES_V1: Record<MpegAudioLayer, readonly number[]> = {
  1: [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  2: [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  3: [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
};
const BITRATES_V2: Record<MpegAudioLayer, readonly number[]> = {
  1: [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  2: [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  3: [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const HEADER_BYTES = 4;

/** Parses the MPEG audio frame header at the start of `frame` (the E-RTMP `.mp3` / FLV SoundFormat 2 payload). */
export function parseMpegAudioFrameHeader(frame: Uint8Array): MpegAudioFrameHeader {
  if (frame.length < HEADER_BYTES) throw new ProtocolError('truncated', 'MPEG audio header needs 4 bytes');
  const h = ((frame[0]! << 24) | (frame[1]! << 16) | (frame[2]! << 8) | frame[3]!) >>> 0;
  if (h >>> 21 !== 0x7ff) throw new ProtocolError('bad-mp3-frame', 'no frame sync');
  const version = VERSIONS[(h >>> 19) & 3];
  const layer = LAYERS[(h >>> 17) & 3];
  if (!version) throw new ProtocolError('bad-mp3-frame', 'reserved version');
  if (!layer) throw new ProtocolError('bad-mp3-frame', 'reserved layer');
  const bitrateIndex = (h >>> 12) & 0xf;
  const rateIndex = (h >>> 10) & 3;
  if (bitrateIndex === 15) throw new ProtocolError('bad-mp3-frame', 'bitrate index 15 is forbidden');
  const sampleRate = SAMPLE_RATES[version][rateIndex];
  if (sampleRate === undefined) throw new ProtocolError('bad-mp3-frame', 'reserved sampling frequency');
  const kbps = bitrateIndex === 0 ? 0 : (version === '1' ? BITRATES_V1 : BITRATES_V2)[layer][bitrateIndex - 1]!;
  const padding = ((h >>> 9) & 1) === 1;
  const channelMode = CHANNEL_MODES[(h >>> 6) & 3]!;
  const samplesPerFrame = layer === 1 ? 384 : layer === 3 && version !== '1' ? 576 : 1152;
  const header: MpegAudioFrameHeader = {
    version,
    layer,
    protected: ((h >>> 16) & 1) === 0,
    bitrate: kbps * 1000,
    sampleRate,
    padding,
    channelMode,
    channels: channelMode === 'mono' ? 1 : 2,
    samplesPerFrame,
  };
  if (kbps > 0) {
    // Slots are 4 bytes in layer I, 1 byte otherwise (11172-3 §2.4.3.1).
    const slotBytes = layer === 1 ? 4 : 1;
    const slots = Math.floor((samplesPerFrame * kbps * 125) / (slotBytes * sampleRate)) + (padding ? 1 : 0);
    header.frameBytes = slots * slotBytes;
  }
  return header;
}

/** MPEG-4 audio object type of an MPEG-1/2 layer (ISO/IEC 14496-3 Table 1.1: 32 Layer-1, 33 Layer-2, 34 Layer-3). */
export function mpegAudioObjectType(layer: MpegAudioLayer): number {
  return 31 + layer;
}
