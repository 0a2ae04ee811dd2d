import { spawn } from 'node:child_process';
import ffmpeg from 'fluent-ffmpeg';
import { toArgv, type FfmpegCommand } from './ffmpeg-command.js';

/** Bytes of ffmpeg's stderr kept for error reports (its last lines say what went wrong). */
const STDERR_TAIL_BYTES = 4096;

export interface RunOptions {
  /** Aborting kills ffmpeg (SIGKILL: a worker shutting down must not wait for an encode). */
  signal?: AbortSignal;
  /** Extra environment variables for ffmpeg (e.g. `SVT_LOG=1` for AV1), on top of this process's. */
  env?: Readonly<Record<string, string>>;
}

/** Runs one ffmpeg command to completion. The only place the worker touches ffmpeg. */
export interface FfmpegRunner {
  readonly name: string;
  run(cmd: FfmpegCommand, opts?: RunOptions): Promise<void>;
}

/** ffmpeg exited non-zero (or could not start); `stderrTail` holds its last words. */
export class FfmpegError extends Error {
  override readonly name = 'FfmpegError';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(message);
  }
}

function tail(s: string): string {
  return s.length > STDERR_TAIL_BYTES ? s.slice(-STDERR_TAIL_BYTES) : s;
}

/**
 * Runs a flat ffmpeg argv (without the program name), as `@headwater/ladder`'s
 * `ffmpegArgsForSegment` produces it. Segment jobs need this form: their argv (filter graphs,
 * a concat data: URL, per-output muxer options) has no faithful structured equivalent.
 */
export interface ArgvFfmpegRunner {
  readonly name: string;
  runArgv(argv: readonly string[], opts?: RunOptions): Promise<void>;
}

/** Plain `child_process.spawn`: the default, and what replaces fluent-ffmpeg (archived upstream in 2025) when it goes. */
export class SpawnFfmpegRunner implements FfmpegRunner, ArgvFfmpegRunner {
  readonly name = 'spawn';

  constructor(private readonly ffmpegPath = 'ffmpeg') {}

  run(cmd: FfmpegCommand, opts: RunOptions = {}): Promise<void> {
    return this.runArgv(toArgv(cmd), opts);
  }

  runArgv(argv: readonly string[], opts: RunOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new FfmpegError('aborted before start', null, ''));
      const env = opts.env === undefined ? process.env : { ...process.env, ...opts.env };
      const child = spawn(this.ffmpegPath, ['-nostdin', ...argv], { stdio: ['ignore', 'ignore', 'pipe'], env });
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => (stderr = tail(stderr + d)));
      const onAbort = () => child.kill('SIGKILL');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.once('error', (err) => {
        opts.signal?.removeEventListener('abort', onAbort);
        reject(new FfmpegError(`ffmpeg could not start: ${err.message}`, null, ''));
      });
      child.once('close', (code, signal) => {
        opts.signal?.removeEventListener('abort', onAbort);
        if (code === 0) resolve();
        else reject(new FfmpegError(`ffmpeg exited with ${code ?? signal}`, code, stderr));
      });
    });
  }
}

/** The same through fluent-ffmpeg (the project's chosen wrapper), for parity and as the issue asks. */
export class FluentFfmpegRunner implements FfmpegRunner {
  readonly name = 'fluent-ffmpeg';

  constructor(private readonly ffmpegPath?: string) {}

  run(cmd: FfmpegCommand, opts: RunOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new FfmpegError('aborted before start', null, ''));
      const command = ffmpeg();
      if (this.ffmpegPath) command.setFfmpegPath(this.ffmpegPath);
      // fluent-ffmpeg has no slot for options before the inputs; ffmpeg accepts global options there.
      const [first, ...rest] = cmd.inputs;
      if (!first) return reject(new FfmpegError('no input', null, ''));
      command.input(first.path).inputOptions(['-nostdin', ...cmd.globalOptions, ...first.options]);
      for (const input of rest) command.input(input.path).inputOptions(input.options);
      for (const output of cmd.outputs) command.output(output.path).outputOptions(output.options);
      const onAbort = () => command.kill('SIGKILL');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      command.on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
        opts.signal?.removeEventListener('abort', onAbort);
        reject(new FfmpegError(err.message, null, tail(stderr ?? '')));
      });
      command.on('end', () => {
        opts.signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      command.run();
    });
  }
}
