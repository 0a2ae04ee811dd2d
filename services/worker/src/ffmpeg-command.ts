/**
 * One ffmpeg invocation as data: what the ladder plans and a runner executes. Kept structured
 * (rather than a flat argv) so that both a plain spawn and fluent-ffmpeg, which wants inputs and
 * outputs declared separately, can run it.
 */
export interface FfmpegCommand {
  /** Options before the first input (`-hide_banner`, `-y`, `-threads` …). */
  globalOptions: string[];
  inputs: Array<{ options: string[]; path: string }>;
  /** Each output: its options (codecs, maps, muxer) then its path. */
  outputs: Array<{ options: string[]; path: string }>;
}

/** The argv (without the program name) of a command, in ffmpeg's order. */
export function toArgv(cmd: FfmpegCommand): string[] {
  return [
    ...cmd.globalOptions,
    ...cmd.inputs.flatMap((i) => [...i.options, '-i', i.path]),
    ...cmd.outputs.flatMap((o) => [...o.options, o.path]),
  ];
}
