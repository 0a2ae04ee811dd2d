import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toArgv, type FfmpegCommand } from './ffmpeg-command.js';
import { FfmpegError, FluentFfmpegRunner, SpawnFfmpegRunner, type FfmpegRunner } from './ffmpeg-runner.js';

const dir = mkdtempSync(path.join(tmpdir(), 'headwater-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One decode, two encodes: the shape of a ladder job. */
function twoRungs(tag: string, seconds = 1): FfmpegCommand {
  return {
    globalOptions: ['-hide_banner', '-v', 'error', '-y'],
    inputs: [{ options: ['-f', 'lavfi'], path: `testsrc2=size=320x180:rate=30:duration=${seconds}` }],
    outputs: [
      { options: ['-c:v', 'libx264', '-preset', 'ultrafast', '-vf', 'scale=160:90'], path: path.join(dir, `${tag}-90p.mp4`) },
      { options: ['-c:v', 'libx264', '-preset', 'ultrafast'], path: path.join(dir, `${tag}-180p.mp4`) },
    ],
  };
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

function height(file: string): number {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=height', '-of', 'csv=p=0', file]).toString().trim());
}

describe('toArgv', () => {
  it('orders global options, inputs and outputs as ffmpeg expects', () => {
    expect(toArgv({ globalOptions: ['-y'], inputs: [{ options: ['-f', 'lavfi'], path: 'x' }], outputs: [{ options: ['-c', 'copy'], path: 'o.mp4' }] })).toEqual([
      '-y', '-f', 'lavfi', '-i', 'x', '-c', 'copy', 'o.mp4',
    ]);
  });
});

describe.each<[string, FfmpegRunner]>([
  ['spawn', new SpawnFfmpegRunner()],
  ['fluent-ffmpeg', new FluentFfmpegRunner()],
])('%s runner', (name, runner) => {
  it('runs one command with several outputs', async () => {
    await runner.run(twoRungs(name));
    expect(height(path.join(dir, `${name}-90p.mp4`))).toBe(90);
    expect(height(path.join(dir, `${name}-180p.mp4`))).toBe(180);
  });

  it('reports a failing ffmpeg as FfmpegError with its stderr', async () => {
    const bad: FfmpegCommand = { globalOptions: ['-v', 'error'], inputs: [{ options: [], path: path.join(dir, 'missing.mkv') }], outputs: [{ options: [], path: path.join(dir, 'never.mp4') }] };
    const err = await runner.run(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegError);
    expect((err as FfmpegError).stderrTail + (err as FfmpegError).message).toMatch(/No such file|missing\.mkv/);
  });

  it('kills ffmpeg when aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = runner.run(twoRungs(`${name}-long`, 600), { signal: controller.signal });
    // Abort once ffmpeg is demonstrably encoding (its output file exists), not on a guess.
    const output = path.join(dir, `${name}-long-90p.mp4`);
    for (let i = 0; i < 200 && !exists(output); i++) await new Promise((r) => setTimeout(r, 25));
    expect(exists(output)).toBe(true);
    controller.abort();
    await expect(running).rejects.toBeInstanceOf(FfmpegError);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
