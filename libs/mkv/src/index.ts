export { MAX_EBML_DATA_SIZE, ebmlUint, ebmlFloat, ebmlString, ebmlBinary, ebmlMaster, elementIdLength, vintLength, encodeVint, ebmlByteLength, encodeEbml } from './ebml-writer.js';
export type { EbmlElement } from './ebml-writer.js';
export { MKV_ID, MKV_TRACK_TYPE, SIMPLE_BLOCK_FLAG } from './matroska-ids.js';
export {
  MATROSKA_CODEC_IDS,
  OPUS_DEFAULT_PRE_SKIP,
  OPUS_SEEK_PRE_ROLL_NS,
  isMkvCodec,
  isMkvVideoCodec,
  isMkvAudioCodec,
  codecNeedsConfig,
  synthesizeOpusHead,
  opusHeadWithPreSkip,
  opusPacketChannels,
  flacCodecPrivate,
  av1BlockParts,
} from './matroska-codecs.js';
export type { MkvCodec, MkvVideoCodec, MkvAudioCodec } from './matroska-codecs.js';
export { MAX_TRACK_NUMBER, MUXING_APP, writeMatroskaSegment } from './matroska-writer.js';
export type { MkvTrack, MkvFrame, MatroskaSegmentInput } from './matroska-writer.js';
export { SourceSegmenter, DEFAULT_TARGET_DURATION_MS, DEFAULT_MAX_SEGMENT_BYTES, DEFAULT_MAX_INTERLEAVE_MS } from './source-segmenter.js';
export type { SegmenterTag } from './source-segmenter.js';
export type {
  SourceSegment,
  SourceTrackSummary,
  SourceVideoTrack,
  SourceAudioTrack,
  SegmentEndReason,
  SourceSegmenterOptions,
  SourceSegmenterStats,
} from './source-segment.js';
