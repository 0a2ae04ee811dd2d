export { SEGMENT_QUEUE_NAME, SEGMENT_JOB_VERSION, MAX_ID_LENGTH, SegmentJobError, isSafeId, parseSegmentJob, segmentJobId } from './segment-job.js';
export type { SegmentJob } from './segment-job.js';
export { outputPrefix, sourceSegmentKey } from './s3-keys.js';
export { DEFAULT_MAX_UPDATE_ATTEMPTS, PackagingStoreError, createPackaging, getPackaging, packagingKey, readPackaging, updatePackaging } from './packaging-store.js';
export type { PackagingStoreErrorCode } from './packaging-store.js';
export { renditionSpecs } from './rendition-specs.js';
export { CONTENT_TYPES, publishPlaylists, putObject } from './playlist-publisher.js';
export type { PlaylistDeps } from './playlist-publisher.js';
