export { toArgv } from './ffmpeg-command.js';
export type { FfmpegCommand } from './ffmpeg-command.js';
export { SpawnFfmpegRunner, FluentFfmpegRunner, FfmpegError } from './ffmpeg-runner.js';
export type { FfmpegRunner, RunOptions } from './ffmpeg-runner.js';
