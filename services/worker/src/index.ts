export { toArgv } from './ffmpeg-command.js';
export type { FfmpegCommand } from './ffmpeg-command.js';
export { SpawnFfmpegRunner, FluentFfmpegRunner, FfmpegError } from './ffmpeg-runner.js';
export type { ArgvFfmpegRunner, FfmpegRunner, RunOptions } from './ffmpeg-runner.js';
export { CONTENT_TYPES, processSegmentJob, publishPlaylists } from './process-segment-job.js';
export type { SegmentJobDeps, SegmentJobResult } from './process-segment-job.js';
export { startWorker } from './start-worker.js';
export type { SegmentWorker, StartWorkerOptions } from './start-worker.js';
