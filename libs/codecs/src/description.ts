/** Video codecs the ingest can carry, by their E-RTMP / ISOBMFF FourCC (E-RTMP v2 §7). */
export const VIDEO_CODECS = ['avc1', 'hvc1', 'av01', 'vp09', 'vp08', 'vvc1'] as const;
export type VideoCodec = (typeof VIDEO_CODECS)[number];

/** Audio codecs the ingest can carry, by their E-RTMP FourCC (E-RTMP v2 §8.1). */
export const AUDIO_CODECS = ['mp4a', 'Opus', 'fLaC', 'ac-3', 'ec-3', '.mp3'] as const;
export type AudioCodec = (typeof AUDIO_CODECS)[number];

/** Chroma sampling as commonly written. */
export type ChromaFormat = '4:0:0' | '4:2:0' | '4:2:2' | '4:4:4';

/** Colour description as ITU-T H.273 code points (shared by H.264/H.265 VUI, AV1, vpcC). */
export interface ColourDescription {
  primaries: number;
  transfer: number;
  matrix: number;
  fullRange: boolean;
}

/** HDR transfer function, when the transfer characteristics say so. */
export type HdrTransfer = 'pq' | 'hlg';

/** What the ingest knows about a video stream: shown in APIs and fed to the ladder planner. */
export interface VideoDescription {
  codec: VideoCodec;
  /** RFC 6381 codec string as written in HLS CODECS (e.g. `avc1.64001f`, `hvc1.1.6.L93.B0`). */
  codecString: string;
  /** Profile name (e.g. `High`, `Main 10`), or its number when it has no name (VP9: 0..3). */
  profile?: string | number;
  /** Level as a decimal number (3.1, 4, 5.1); VP9/AV1 levels alike. */
  level?: number;
  /** Display width in pixels (after cropping / conformance window). */
  width?: number;
  /** Display height in pixels (after cropping / conformance window). */
  height?: number;
  /** Frames per second from the bitstream timing info, when signalled. */
  frameRate?: number;
  /** Luma bit depth. */
  bitDepth?: number;
  chromaFormat?: ChromaFormat;
  colour?: ColourDescription;
  hdr?: HdrTransfer;
  /** NALU length-prefix size minus one (AVC/HEVC), needed to walk the coded frames. */
  lengthSizeMinusOne?: number;
}

/** What the ingest knows about an audio stream. */
export interface AudioDescription {
  codec: AudioCodec;
  /** RFC 6381 codec string as written in HLS CODECS (`mp4a.40.2`, `opus`, `flac`, `ac-3`, `ec-3`, `mp4a.40.34`). */
  codecString: string;
  /** Output sample rate in Hz (HE-AAC: the SBR rate; Opus: always 48000). */
  sampleRate?: number;
  /** Output channel count. */
  channels?: number;
  bitsPerSample?: number;
  /** MPEG-4 audio object type (AAC: the signalled AOT; MP3: 34). */
  objectType?: number;
  /** Nominal bitrate in bits per second, where the bitstream states one (AC-3, E-AC-3, MP3). */
  bitrate?: number;
}

/** H.273 TransferCharacteristics code points that mean HDR. */
export const TRANSFER_PQ = 16;
export const TRANSFER_HLG = 18;

/** The HDR transfer named by an H.273 transfer code point, if any. */
export function hdrFromTransfer(transfer: number | undefined): HdrTransfer | undefined {
  if (transfer === TRANSFER_PQ) return 'pq';
  if (transfer === TRANSFER_HLG) return 'hlg';
  return undefined;
}

/** Maps an H.264/H.265 chroma_format_idc (0..3) to its name. */
export function chromaFormatFromIdc(idc: number): ChromaFormat {
  switch (idc) {
    case 0:
      return '4:0:0';
    case 1:
      return '4:2:0';
    case 2:
      return '4:2:2';
    default:
      return '4:4:4';
  }
}

/**
 * SubWidthC/SubHeightC (H.264 Table 6-1, H.265 Table 6-1): the units of frame cropping and
 * conformance window offsets. Separate colour planes count as monochrome (ChromaArrayType 0).
 */
export function chromaSubsampling(chromaFormatIdc: number, separateColourPlane: boolean): { subWidthC: number; subHeightC: number } {
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  return { subWidthC: chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1, subHeightC: chromaArrayType === 1 ? 2 : 1 };
}

/** Maps chroma subsampling flags (AV1, VP9) to a name. */
export function chromaFormatFromSubsampling(monochrome: boolean, subX: boolean, subY: boolean): ChromaFormat {
  if (monochrome) return '4:0:0';
  if (subX && subY) return '4:2:0';
  if (subX) return '4:2:2';
  return '4:4:4';
}
