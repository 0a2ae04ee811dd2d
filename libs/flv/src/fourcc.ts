/**
 * FourCC codec identifiers of Enhanced RTMP (reference §7, §8.1, §8.6) and their mapping to the
 * legacy FLV CodecID / SoundFormat numbers (reference §6).
 */
import { ProtocolError } from '@headwater/bytes';

/** Video FourCCs defined by E-RTMP v1 (`av01`, `vp09`, `hvc1`) and v2 (`avc1`, `vp08`, `vvc1`). */
export const VIDEO_FOURCCS = ['avc1', 'hvc1', 'av01', 'vp09', 'vp08', 'vvc1'] as const;
export type VideoFourCc = (typeof VIDEO_FOURCCS)[number];

/** Audio FourCCs defined by E-RTMP v2 (reference §8.1). */
export const AUDIO_FOURCCS = ['mp4a', 'Opus', 'fLaC', 'ac-3', 'ec-3', '.mp3'] as const;
export type AudioFourCc = (typeof AUDIO_FOURCCS)[number];

/** A FourCC read as a big-endian UI32, as written in onMetaData `videocodecid`/`audiocodecid` (§8.6). */
export function fourCcToNumber(fourcc: string): number {
  if (fourcc.length !== 4) throw new ProtocolError('bad-argument', `a FourCC has 4 characters, got ${fourcc.length}`);
  return (
    ((fourcc.charCodeAt(0) & 0xff) * 0x1000000) +
    ((fourcc.charCodeAt(1) & 0xff) << 16) +
    ((fourcc.charCodeAt(2) & 0xff) << 8) +
    (fourcc.charCodeAt(3) & 0xff)
  );
}

/** The 4-character string of a FourCC number (inverse of {@link fourCcToNumber}). */
export function numberToFourCc(value: number): string {
  return String.fromCharCode((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

/** FourCC numbers as they appear in onMetaData codec ids (reference §8.6). */
export const FOURCC_NUMBERS = {
  avc1: 1635148593,
  hvc1: 1752589105,
  av01: 1635135537,
  vp09: 1987063865,
  vp08: 1987063864,
  vvc1: 1987470129,
  mp4a: 1836069985,
  Opus: 1332770163,
  fLaC: 1716281667,
  'ac-3': 1633889587,
  'ec-3': 1700998451,
  '.mp3': 778924083,
} as const satisfies Record<VideoFourCc | AudioFourCc, number>;

export function isVideoFourCc(s: string): s is VideoFourCc {
  return (VIDEO_FOURCCS as readonly string[]).includes(s);
}

export function isAudioFourCc(s: string): s is AudioFourCc {
  return (AUDIO_FOURCCS as readonly string[]).includes(s);
}

/**
 * Video codecs for legacy FLV CodecIDs that carry no FourCC equivalent (reference §6):
 * 2 Sorenson H.263, 3 screen video, 4 On2 VP6, 5 VP6 with alpha, 6 screen video v2.
 * AVC (7) and the non-standard HEVC (12) map to `avc1`/`hvc1` instead.
 */
export const LEGACY_VIDEO_CODEC_IDS = [2, 3, 4, 5, 6] as const;
export type LegacyVideoCodecId = (typeof LEGACY_VIDEO_CODEC_IDS)[number];
export type LegacyVideoCodec = `legacy:${LegacyVideoCodecId}`;
/** A video track's codec: a FourCC, or a legacy CodecID without one. */
export type VideoCodec = VideoFourCc | LegacyVideoCodec;

/** Human names of the legacy video codecs, for logs. */
export const LEGACY_VIDEO_CODEC_NAMES: Record<LegacyVideoCodec, string> = {
  'legacy:2': 'Sorenson H.263',
  'legacy:3': 'Screen video',
  'legacy:4': 'On2 VP6',
  'legacy:5': 'On2 VP6 with alpha',
  'legacy:6': 'Screen video v2',
};

/** Legacy CodecID 7 = AVC (FLV 10.1 Annex E). */
export const LEGACY_CODEC_ID_AVC = 7;
/** Non-standard CodecID 12 = HEVC in the AVC layout (older FFmpeg flv.h, CDN forks; reference §6). */
export const LEGACY_CODEC_ID_HEVC = 12;

/** The codec of a legacy video CodecID, or undefined when the id is unknown (0, 1, 8–11, 13–15). */
export function videoCodecFromLegacyId(codecId: number): VideoCodec | undefined {
  if (codecId === LEGACY_CODEC_ID_AVC) return 'avc1';
  if (codecId === LEGACY_CODEC_ID_HEVC) return 'hvc1';
  if ((LEGACY_VIDEO_CODEC_IDS as readonly number[]).includes(codecId)) return `legacy:${codecId as LegacyVideoCodecId}`;
  return undefined;
}

/** The legacy CodecID able to carry a video codec, or undefined for FourCC-only codecs (AV1, VP8/9, VVC). */
export function legacyIdFromVideoCodec(codec: VideoCodec): number | undefined {
  switch (codec) {
    case 'avc1':
      return LEGACY_CODEC_ID_AVC;
    case 'hvc1':
      return LEGACY_CODEC_ID_HEVC;
    case 'av01':
    case 'vp09':
    case 'vp08':
    case 'vvc1':
      return undefined;
    default:
      return Number(codec.slice('legacy:'.length));
  }
}

/**
 * Legacy SoundFormat values without a FourCC (reference §6): 0 PCM platform-endian, 1 ADPCM,
 * 3 PCM LE, 4/5/6 Nellymoser, 7 G.711 A-law, 8 G.711 µ-law, 11 Speex, 15 device specific;
 * 12 and 13 are undefined but passed through. AAC (10) and MP3 (2, 14) map to FourCCs; 9 is the
 * E-RTMP ExHeader marker.
 */
export const LEGACY_SOUND_FORMATS = [0, 1, 3, 4, 5, 6, 7, 8, 11, 12, 13, 15] as const;
export type LegacySoundFormat = (typeof LEGACY_SOUND_FORMATS)[number];
export type LegacyAudioCodec = `legacy:${LegacySoundFormat}`;
/** An audio track's codec: a FourCC, or a legacy SoundFormat without one. */
export type AudioCodec = AudioFourCc | LegacyAudioCodec;

/** SoundFormat 9: the byte-0 marker of an E-RTMP extended audio header (reference §8.1). */
export const SOUND_FORMAT_EX_HEADER = 9;
export const SOUND_FORMAT_AAC = 10;
export const SOUND_FORMAT_MP3 = 2;
export const SOUND_FORMAT_MP3_8KHZ = 14;

/** The codec of a legacy SoundFormat (0..15 except 9). */
export function audioCodecFromSoundFormat(soundFormat: number): AudioCodec | undefined {
  if (soundFormat === SOUND_FORMAT_AAC) return 'mp4a';
  if (soundFormat === SOUND_FORMAT_MP3 || soundFormat === SOUND_FORMAT_MP3_8KHZ) return '.mp3';
  if ((LEGACY_SOUND_FORMATS as readonly number[]).includes(soundFormat)) return `legacy:${soundFormat as LegacySoundFormat}`;
  return undefined;
}

/** Resolves an onMetaData `videocodecid`: a FourCC number (§8.6) or a legacy CodecID (§6). */
export function videoCodecFromMetadataId(id: number): VideoCodec | undefined {
  if (Number.isInteger(id) && id >= 0 && id <= 15) return videoCodecFromLegacyId(id);
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) return undefined;
  const s = numberToFourCc(id);
  return isVideoFourCc(s) ? s : undefined;
}

/** Resolves an onMetaData `audiocodecid`: a FourCC number (§8.6) or a legacy SoundFormat (§6). */
export function audioCodecFromMetadataId(id: number): AudioCodec | undefined {
  if (Number.isInteger(id) && id >= 0 && id <= 15) return audioCodecFromSoundFormat(id);
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) return undefined;
  const s = numberToFourCc(id);
  return isAudioFourCc(s) ? s : undefined;
}
