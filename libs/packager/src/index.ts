export { PackagingError } from './packaging-error.js';
export type { PackagingErrorCode } from './packaging-error.js';
export { DEFAULT_AUDIO_GROUP_ID, MAX_RENDITIONS, normalizeRenditions } from './rendition.js';
export { applyRenditionMedia, measuredRenditions } from './rendition-media.js';
export type { RenditionMedia, RenditionMediaEvent } from './rendition-media.js';
export type { AudioRendition, AudioRenditionSpec, Rendition, RenditionSpec, VideoRendition, VideoRenditionSpec } from './rendition.js';
export {
  MAX_SEGMENT_DURATION_MS,
  MAX_SEGMENT_INDEX,
  MAX_SEGMENTS_AHEAD,
  applyDiscontinuity,
  applyEnd,
  applySegmentDone,
  applySegmentFailed,
  applySourceSegment,
  createPackagingState,
  initVersionAt,
  mediaStartMs,
  segmentStatus,
  sessionPhase,
} from './packaging-state.js';
export type {
  Discontinuity,
  DiscontinuityEvent,
  EndEvent,
  PackagingSessionInit,
  PackagingState,
  SegmentDoneEvent,
  SegmentFailedEvent,
  SegmentOutput,
  SegmentRecord,
  SegmentStatus,
  SessionPhase,
  SourceSegmentEvent,
} from './packaging-state.js';
export { DEFAULT_LIVE_WINDOW_SEGMENTS, buildTimeline, renditionBandwidths, targetDurationS } from './timeline.js';
export type { RenditionBandwidth, TimelineSegment } from './timeline.js';
export { HLS_VERSION, mediaPlaylist, multivariantPlaylist } from './hls.js';
export type { MediaPlaylistOptions, MultivariantPlaylistOptions } from './hls.js';
export { dashFrameRate, mpd } from './dash.js';
export type { MpdOptions } from './dash.js';
export { MEDIA_PLAYLIST_NAME, MPD_NAME, MULTIVARIANT_PLAYLIST_NAME, initFileName, renditionPath, segmentFileName } from './paths.js';
export { escapeXml } from './xml.js';
