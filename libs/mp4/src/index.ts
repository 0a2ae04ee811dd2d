export { readInitSegment, MAX_BRANDS, MAX_TRACKS } from './init-segment.js';
export type { AudioTrackInfo, InitSegmentInfo, TrackInfo, VideoTrackInfo } from './init-segment.js';
export { VIDEO_SAMPLE_ENTRIES } from './video-sample-entry.js';
export type { VideoSampleEntry } from './video-sample-entry.js';
export { AUDIO_SAMPLE_ENTRIES } from './audio-sample-entry.js';
export type { AudioSampleEntry } from './audio-sample-entry.js';
export { BoxBudget, MAX_BOX_DEPTH, MAX_BOXES, readBoxes } from './box-reader.js';
export type { Mp4Box } from './box-reader.js';
