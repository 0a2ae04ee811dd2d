import { ProtocolError } from '@headwater/bytes';
import { eac3Channels, parseAc3FrameHeader } from './ac3.js';
import { av1Level, av1ProfileName } from './av1-sequence-header.js';
import { av1cBitDepth, parseAv1c } from './av1c.js';
import { parseAudioSpecificConfig } from './audio-specific-config.js';
import { parseAvcc } from './avcc.js';
import { aacCodecString, av1CodecString, avcCodecString, CODEC_STRING, hevcCodecString, vpCodecString } from './codec-string.js';
import { chromaFormatFromIdc, chromaFormatFromSubsampling, hdrFromTransfer } from './description.js';
import type { AudioCodec, AudioDescription, ChromaFormat, ColourDescription, VideoCodec, VideoDescription } from './description.js';
import { parseFlacStreamInfo } from './flac-streaminfo.js';
import { h264ProfileName, parseH264Sps } from './h264-sps.js';
import { hevcProfileName, parseHevcSps } from './hevc-sps.js';
import { HEVC_NAL_TYPE, hvccNalUnits, parseHvcc } from './hvcc.js';
import { mpegAudioObjectType, parseMpegAudioFrameHeader } from './mp3.js';
import { OPUS_SAMPLE_RATE_HZ, parseOpusHead } from './opus-head.js';
import { parseVp8FrameHeader } from './vp8-frame-header.js';
import { parseVp9FrameHeader } from './vp9-frame-header.js';
import { parseVpcc } from './vpcc.js';

/** What a coded video frame tells about the picture (VP8/VP9 key frames: their size). */
export type VideoFrameDescription = Pick<VideoDescription, 'width' | 'height' | 'bitDepth' | 'chromaFormat'>;

/**
 * Describes a video stream from its SequenceStart payload (avcC, hvcC, av1C, vpcC; vvcC is not
 * parsed). Throws ProtocolError `empty-config` for an empty avc1/hvc1/av01/vp09 payload (the
 * veovera files open with one: wait for the next SequenceStart), and other ProtocolErrors for
 * malformed records.
 */
export function describeVideoConfig(codec: VideoCodec, config: Uint8Array): VideoDescription {
  switch (codec) {
    case 'avc1':
      return describeAvc(nonEmpty(codec, config));
    case 'hvc1':
      return describeHevc(nonEmpty(codec, config));
    case 'av01':
      return describeAv1(nonEmpty(codec, config));
    case 'vp09':
    case 'vp08':
      if (codec === 'vp08' && config.length === 0) return { codec, codecString: 'vp08' };
      return describeVp(codec, nonEmpty(codec, config));
    case 'vvc1':
      // vvcC's profile_tier_level is not parsed yet: the FourCC alone is a valid codec string.
      return { codec, codecString: 'vvc1' };
    default:
      return unsupported(codec);
  }
}

/**
 * Describes what a coded frame reveals when the config does not (VP9/VP8: the size of a key
 * frame). Returns undefined for frames that carry nothing (inter frames) and for codecs whose
 * configuration already holds everything.
 */
export function describeVideoFrame(codec: VideoCodec, frame: Uint8Array): VideoFrameDescription | undefined {
  switch (codec) {
    case 'vp09': {
      const h = parseVp9FrameHeader(frame);
      if (h.width === undefined || h.height === undefined) return undefined;
      const out: VideoFrameDescription = { width: h.width, height: h.height };
      if (h.bitDepth !== undefined) out.bitDepth = h.bitDepth;
      if (h.subsamplingX !== undefined && h.subsamplingY !== undefined) {
        out.chromaFormat = chromaFormatFromSubsampling(false, h.subsamplingX, h.subsamplingY);
      }
      return out;
    }
    case 'vp08': {
      const h = parseVp8FrameHeader(frame);
      if (h.width === undefined || h.height === undefined) return undefined;
      return { width: h.width, height: h.height, bitDepth: 8, chromaFormat: '4:2:0' };
    }
    case 'avc1':
    case 'hvc1':
    case 'av01':
    case 'vvc1':
      return undefined;
    default:
      return unsupported(codec);
  }
}

/**
 * Describes an audio stream from its SequenceStart payload. An empty Opus payload (allowed by
 * E-RTMP) gives 48 kHz with channels unknown; ac-3, ec-3 and .mp3 have no configuration defined,
 * so they are described from their first frame with describeAudioFrame.
 */
export function describeAudioConfig(codec: AudioCodec, config: Uint8Array): AudioDescription {
  switch (codec) {
    case 'mp4a': {
      const asc = parseAudioSpecificConfig(nonEmpty(codec, config));
      const out: AudioDescription = {
        codec,
        codecString: aacCodecString(asc.objectType),
        objectType: asc.objectType,
        sampleRate: asc.sbrPresent && asc.extensionSampleRate !== undefined ? asc.extensionSampleRate : asc.sampleRate,
      };
      // Parametric stereo turns a mono core into stereo output (14496-3 §8.6.4).
      if (asc.channels !== undefined) out.channels = asc.psPresent && asc.channels === 1 ? 2 : asc.channels;
      return out;
    }
    case 'Opus': {
      const out: AudioDescription = { codec, codecString: CODEC_STRING.opus, sampleRate: OPUS_SAMPLE_RATE_HZ };
      if (config.length > 0) out.channels = parseOpusHead(config).channelCount;
      return out;
    }
    case 'fLaC': {
      const si = parseFlacStreamInfo(nonEmpty(codec, config));
      return { codec, codecString: CODEC_STRING.flac, sampleRate: si.sampleRate, channels: si.channels, bitsPerSample: si.bitsPerSample };
    }
    case 'ac-3':
      return { codec, codecString: CODEC_STRING.ac3 };
    case 'ec-3':
      return { codec, codecString: CODEC_STRING.eac3 };
    case '.mp3':
      return { codec, codecString: CODEC_STRING.mp3, objectType: mpegAudioObjectType(3) };
    default:
      return unsupported(codec);
  }
}

/**
 * Describes an audio stream from a coded frame, for codecs whose parameters live in the frames
 * (ac-3, ec-3: the syncframe header; .mp3: the MPEG audio header). Undefined for other codecs.
 */
export function describeAudioFrame(codec: AudioCodec, frame: Uint8Array): AudioDescription | undefined {
  switch (codec) {
    case 'ac-3': {
      const h = parseAc3FrameHeader(frame);
      return { codec, codecString: CODEC_STRING.ac3, sampleRate: h.sampleRate, channels: h.channels, bitrate: h.bitrate };
    }
    case 'ec-3': {
      const { header, channels } = eac3Channels(frame);
      return { codec, codecString: CODEC_STRING.eac3, sampleRate: header.sampleRate, channels, bitrate: header.bitrate };
    }
    case '.mp3': {
      const h = parseMpegAudioFrameHeader(frame);
      const objectType = mpegAudioObjectType(h.layer);
      const out: AudioDescription = {
        codec,
        codecString: aacCodecString(objectType),
        objectType,
        sampleRate: h.sampleRate,
        channels: h.channels,
      };
      if (h.bitrate > 0) out.bitrate = h.bitrate;
      return out;
    }
    case 'mp4a':
    case 'Opus':
    case 'fLaC':
      return undefined;
    default:
      return unsupported(codec);
  }
}

function describeAvc(config: Uint8Array): VideoDescription {
  const record = parseAvcc(config);
  const out: VideoDescription = {
    codec: 'avc1',
    codecString: avcCodecString(record.profileIndication, record.profileCompatibility, record.levelIndication),
    profile: h264ProfileName(record.profileIndication, record.profileCompatibility),
    level: record.levelIndication / 10,
    lengthSizeMinusOne: record.lengthSizeMinusOne,
  };
  if (record.highProfile) {
    out.bitDepth = record.highProfile.bitDepthLuma;
    out.chromaFormat = chromaFormatFromIdc(record.highProfile.chromaFormat);
  }
  const spsNal = record.sps[0];
  if (!spsNal) return out;
  const sps = parseH264Sps(spsNal);
  // RFC 6381 defines the string from the SPS; avcC copies those bytes, but the SPS is the authority.
  out.codecString = avcCodecString(sps.profileIdc, sps.constraintFlags, sps.levelIdc);
  out.profile = h264ProfileName(sps.profileIdc, sps.constraintFlags);
  out.level = sps.levelIdc / 10;
  out.width = sps.width;
  out.height = sps.height;
  out.bitDepth = sps.bitDepthLuma;
  out.chromaFormat = sps.separateColourPlane ? '4:4:4' : chromaFormatFromIdc(sps.chromaFormatIdc);
  if (sps.frameRate !== undefined) out.frameRate = sps.frameRate;
  setColour(out, sps.colour);
  return out;
}

function describeHevc(config: Uint8Array): VideoDescription {
  const record = parseHvcc(config);
  const out: VideoDescription = {
    codec: 'hvc1',
    codecString: hevcCodecString(record),
    profile: hevcProfileName(record.profileIdc, record.profileCompatibilityFlags),
    level: record.levelIdc / 30,
    bitDepth: record.bitDepthLuma,
    chromaFormat: chromaFormatFromIdc(record.chromaFormat),
    lengthSizeMinusOne: record.lengthSizeMinusOne,
  };
  // avgFrameRate is in frames per 256 s; the SPS timing, when present, is more precise.
  if (record.avgFrameRate > 0) out.frameRate = record.avgFrameRate / 256;
  // Multi-layer streams may list enhancement-layer SPSs too: describe the base layer.
  const spsNal = hvccNalUnits(record, HEVC_NAL_TYPE.SPS).find((n) => n.length >= 2 && (n[0]! & 1) === 0 && n[1]! >> 3 === 0);
  if (!spsNal) return out;
  const sps = parseHevcSps(spsNal);
  out.width = sps.width;
  out.height = sps.height;
  out.bitDepth = sps.bitDepthLuma;
  out.chromaFormat = sps.separateColourPlane ? '4:4:4' : chromaFormatFromIdc(sps.chromaFormatIdc);
  if (sps.frameRate !== undefined) out.frameRate = sps.frameRate;
  setColour(out, sps.colour);
  return out;
}

function describeAv1(config: Uint8Array): VideoDescription {
  const record = parseAv1c(config);
  const seq = record.sequenceHeader;
  const profile = seq?.seqProfile ?? record.seqProfile;
  const out: VideoDescription = {
    codec: 'av01',
    codecString: av1CodecString(record),
    profile: av1ProfileName(profile),
    bitDepth: seq?.bitDepth ?? av1cBitDepth(record),
    chromaFormat: chromaFormatFromSubsampling(
      seq?.monochrome ?? record.monochrome,
      seq?.subsamplingX ?? record.chromaSubsamplingX,
      seq?.subsamplingY ?? record.chromaSubsamplingY,
    ),
  };
  const level = av1Level(seq?.seqLevelIdx0 ?? record.seqLevelIdx0);
  if (level !== undefined) out.level = level;
  if (!seq) return out;
  out.width = seq.maxFrameWidth;
  out.height = seq.maxFrameHeight;
  if (seq.frameRate !== undefined) out.frameRate = seq.frameRate;
  if (seq.colourDescriptionPresent || seq.colour.fullRange) setColour(out, seq.colour);
  return out;
}

function describeVp(codec: 'vp09' | 'vp08', config: Uint8Array): VideoDescription {
  const vpcc = parseVpcc(config);
  const out: VideoDescription = {
    codec,
    codecString: vpCodecString(codec, vpcc),
    profile: vpcc.profile,
    bitDepth: vpcc.bitDepth,
    chromaFormat: vpChromaFormat(vpcc.chromaSubsampling),
  };
  if (vpcc.level > 0) out.level = vpcc.level / 10;
  const unspecified = vpcc.colourPrimaries === 2 && vpcc.transferCharacteristics === 2 && vpcc.matrixCoefficients === 2;
  if (!unspecified || vpcc.videoFullRangeFlag) {
    setColour(out, {
      primaries: vpcc.colourPrimaries,
      transfer: vpcc.transferCharacteristics,
      matrix: vpcc.matrixCoefficients,
      fullRange: vpcc.videoFullRangeFlag,
    });
  }
  return out;
}

/** vpcC chromaSubsampling: 0/1 4:2:0 (vertical / colocated), 2 4:2:2, 3 4:4:4. */
function vpChromaFormat(chromaSubsampling: number): ChromaFormat {
  if (chromaSubsampling <= 1) return '4:2:0';
  return chromaSubsampling === 2 ? '4:2:2' : '4:4:4';
}

function setColour(out: VideoDescription, colour: ColourDescription | undefined): void {
  if (!colour) return;
  out.colour = colour;
  const hdr = hdrFromTransfer(colour.transfer);
  if (hdr) out.hdr = hdr;
}

function nonEmpty(codec: string, config: Uint8Array): Uint8Array {
  if (config.length === 0) throw new ProtocolError('empty-config', `empty ${codec} configuration`);
  return config;
}

/** Callers pass strings from the wire cast to the unions: reject the rest as protocol errors. */
function unsupported(codec: never): never {
  throw new ProtocolError('unsupported-codec', `unsupported codec ${JSON.stringify(String(codec).slice(0, 8))}`);
}
