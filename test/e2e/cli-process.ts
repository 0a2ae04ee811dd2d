import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from './harness.js';

const run = promisify(execFile);

/** The repository root (this file is test/e2e/cli-process.ts). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** The built `headwater` CLI, as `npm start` runs it. */
export const cliMain = fileURLToPath(new URL('../../services/cli/dist/main.js', import.meta.url));

/** Builds the CLI and its dependencies (`tsc -b`, incremental: about a second when up to date). */
export async function buildCli(): Promise<void> {
  await run('npx', ['tsc', '-b', 'services/cli'], { cwd: repoRoot, timeout: 110_000 });
}

/** This process's environment without any HEADWATER_* setting, plus `env`: children see only what a test sets. */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HEADWATER_')));
  return { ...base, ...env };
}

export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout so far (the banner and pino's JSON lines). */
  stdout(): string;
  stderr(): string;
  /** stdout's JSON log lines, parsed. */
  logs(): Record<string, unknown>[];
  /** Resolves with the first match of `pattern` in stdout (waiting for it, bounded). */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the first log line whose msg is `msg` and that `filter` accepts. */
  waitForLog(msg: string, filter?: (entry: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Exit code and signal, once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. No-op if it already has. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<CliProcess>();

/** Runs `node services/cli/dist/main.js <args>` with `cliEnv(env)`. Stop it, or {@link stopAllCli} does. */
export function spawnCli(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [cliMain, ...args], { cwd: repoRoot, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  // 'close', not 'exit': by then stdout and stderr are fully read.
  const exited = once(child, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const logs = (): Record<string, unknown>[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return []; // a line still being written
        }
      });
  const proc: CliProcess = {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    logs,
    waitForStdout: (pattern, timeoutMs = 20_000) =>
      waitFor(`${pattern} on stdout of headwater ${args.join(' ')}`, () => {
        if (done && !pattern.test(out)) throw new Error(`exited; stdout: ${out.slice(-2000)} stderr: ${err.slice(-2000)}`);
        return pattern.exec(out) ?? undefined;
      }, { timeoutMs }),
    waitForLog: (msg, filter = () => true, timeoutMs = 20_000) =>
      waitFor(`log "${msg}" from headwater ${args.join(' ')}`, () => {
        const hit = logs().find((e) => e.msg === msg && filter(e));
        if (!hit && done) throw new Error(`exited; stderr: ${err.slice(-2000)}`);
        return hit;
      }, { timeoutMs }),
    exited,
    async stop(graceMs = 10_000) {
      if (!done) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(proc);
      return exited;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** Stops every CLI process a test left running (afterAll: a failed test must not leak processes). */
export async function stopAllCli(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(5_000)));
}

/** Runs a one-shot CLI command (`keys list`) to completion. */
export async function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliMain, ...args], { cwd: repoRoot, env: cliEnv(env), timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
