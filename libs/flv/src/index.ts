export {
  VIDEO_FOURCCS,
  AUDIO_FOURCCS,
  FOURCC_NUMBERS,
  LEGACY_VIDEO_CODEC_IDS,
  LEGACY_VIDEO_CODEC_NAMES,
  LEGACY_SOUND_FORMATS,
  LEGACY_CODEC_ID_AVC,
  LEGACY_CODEC_ID_HEVC,
  SOUND_FORMAT_EX_HEADER,
  SOUND_FORMAT_AAC,
  SOUND_FORMAT_MP3,
  SOUND_FORMAT_MP3_8KHZ,
  fourCcToNumber,
  numberToFourCc,
  isVideoFourCc,
  isAudioFourCc,
  videoCodecFromLegacyId,
  legacyIdFromVideoCodec,
  audioCodecFromSoundFormat,
  videoCodecFromMetadataId,
  audioCodecFromMetadataId,
} from './fourcc.js';
export type {
  VideoFourCc,
  AudioFourCc,
  LegacyVideoCodecId,
  LegacyVideoCodec,
  VideoCodec,
  LegacySoundFormat,
  LegacyAudioCodec,
  AudioCodec,
} from './fourcc.js';
export { MAX_TRACKS_PER_TAG, PACKET_TYPE_MOD_EX, MOD_EX_TYPE_TIMESTAMP_OFFSET_NANO } from './ex-header.js';
export type { FlvTagLimits, MultitrackType } from './ex-header.js';
export { COLOR_INFO_NAME, colorInfoFromAmf, parseColorInfoPacket, encodeColorInfo } from './color-info.js';
export type { ColorInfo, ColorConfig, HdrCll, HdrMdcv } from './color-info.js';
export { VIDEO_PACKET_TYPE, VIDEO_FRAME_TYPE, isNaluCodec, parseVideoTag } from './video-tag.js';
export type { VideoTag, VideoTrackPacket, VideoFrameType, VideoPacketType } from './video-tag.js';
export { encodeVideoTag } from './video-tag-encoder.js';
export { AUDIO_PACKET_TYPE, LEGACY_SOUND_RATES_HZ, parseAudioTag } from './audio-tag.js';
export type { AudioTag, AudioTrackPacket, AudioPacketType, LegacyAudioFormat, LegacySoundRateHz } from './audio-tag.js';
export { encodeAudioTag } from './audio-tag-encoder.js';
export { AUDIO_CHANNEL_MASK, parseMultichannelConfig, encodeMultichannelConfig } from './multichannel-config.js';
export type { MultichannelConfig, ChannelOrder } from './multichannel-config.js';
export { SET_DATA_FRAME, parseScriptTag, stripSetDataFrame, metadataInfo } from './script-tag.js';
export type { ScriptTag, MetadataInfo, MetadataTrackInfo } from './script-tag.js';
export { FLV_HEADER_BYTES, FLV_FLAG_AUDIO, FLV_FLAG_VIDEO, parseFlvHeader, buildFlvHeader } from './flv-header.js';
export type { FlvHeader, FlvHeaderFlags } from './flv-header.js';
export { FLV_TAG_TYPE, FLV_TAG_HEADER_BYTES, PREVIOUS_TAG_SIZE_BYTES, isFlvTagType } from './flv-tag.js';
export type { FlvTag, FlvTagType } from './flv-tag.js';
export { FlvReader, MAX_TAG_BYTES } from './flv-reader.js';
export type { FlvReaderOptions } from './flv-reader.js';
export { MAX_FLV_DATA_SIZE, flvHeader, flvTag, onMetaDataTag } from './flv-writer.js';
