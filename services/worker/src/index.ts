export { toArgv } from './ffmpeg-command.js';
export type { FfmpegCommand } from './ffmpeg-command.js';
export { SpawnFfmpegRunner, FluentFfmpegRunner, FfmpegError } from './ffmpeg-runner.js';
export type { ArgvFfmpegRunner, FfmpegRunner, RunOptions } from './ffmpeg-runner.js';
export { markSegmentGap, processSegmentJob } from './process-segment-job.js';
export type { SegmentJobDeps, SegmentJobResult } from './process-segment-job.js';
export { DEFAULT_LOCK_DURATION_MS, DEFAULT_STALLED_INTERVAL_MS, startWorker } from './start-worker.js';
export type { SegmentWorker, StartWorkerOptions } from './start-worker.js';
