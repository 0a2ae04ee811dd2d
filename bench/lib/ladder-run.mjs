// Helpers of the ladder bench (bench/ladder.mjs): the synthetic source, the ladder planned
// exactly as the ingest plans it, the equivalent single ffmpeg command, an ffmpeg run with its
// CPU time, and JSON-line conversations with the bench's child processes.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ladderSourceOf } from '@headwater/ingest';
import { encoderArgs, planLadder, resolveLadderConfig } from '@headwater/ladder';
import { SourceSegmenter } from '@headwater/mkv';
import { CLK_TCK } from './proc-stats.mjs';

/**
 * A 720p30 H.264 High + stereo AAC-LC FLV, `seconds` long, a keyframe every 2 s (60 frames,
 * no scene cuts): what OBS sends with a 2 s keyframe interval, at 4 Mb/s.
 */
export function sourceFlvArgs(file, seconds) {
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds),
    '-map', '0:v', '-map', '1:a',
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-b:v', '4M', '-maxrate', '4.4M', '-bufsize', '8M',
    '-g', '60', '-keyint_min', '60', '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', '128k', '-ac', '2',
    '-f', 'flv', file,
  ];
}

/**
 * Cuts the file's tags into source segments with the ingest's segmenter and plans the ladder
 * from the first one, as the transcoder feed does (`ladderSourceOf` + `planLadder`). Returns the
 * plan and each segment's media interval (ms from the first tag).
 */
export function planFile(tags, ladder) {
  const segmenter = new SourceSegmenter({ targetDurationMs: resolveLadderConfig(ladder).segmentDurationMs });
  const segments = [];
  for (const tag of tags) if (tag.type === 8 || tag.type === 9 || tag.type === 18) segments.push(...segmenter.push(tag));
  segments.push(...segmenter.flush());
  if (segments.length === 0) throw new Error('the source cut into no segment');
  const plan = planLadder(ladderSourceOf(segments[0]), ladder);
  const t0 = tags[0]?.timestampMs ?? 0;
  return { plan, segments: segments.map((s) => ({ index: s.index, startMs: s.startMs - t0, endMs: s.endMs - t0, durationMs: s.durationMs })) };
}

/**
 * One plain ffmpeg command producing the same ladder from the whole file: one decode split into
 * every transcoded rendition (fps → scale → setsar → format, as the segment jobs filter), the
 * same encoder arguments (`encoderArgs`: codec, preset, profile, level, bitrate, VBV, GOP,
 * threads), audio copied or encoded as planned, each rendition an fMP4 HLS output cut at the
 * planned segment duration.
 */
export function peerLadderArgs(plan, input, outDir, threads) {
  const t = threads === undefined ? [] : ['-threads', String(threads)];
  const args = ['-hide_banner', '-nostdin', '-nostats', '-y', '-loglevel', 'error'];
  if (threads !== undefined) args.push('-filter_complex_threads', String(threads));
  args.push(...t, '-i', input);
  const transcodes = plan.video.filter((r) => r.kind === 'transcode');
  if (transcodes.length !== plan.video.length) throw new Error('peerLadderArgs: passthrough renditions are not modelled');
  const chains = [];
  const split = transcodes.length > 1 ? `split=${transcodes.length}${transcodes.map((_, i) => `[s${i}]`).join('')}` : '';
  if (split) chains.push(`[0:v:0]${split}`);
  transcodes.forEach((r, i) => {
    const steps = [...(r.frameRateFraction === undefined ? [] : [`fps=${r.frameRateFraction}`]), `scale=${r.width}:${r.height}:flags=bicubic`, 'setsar=1', `format=${r.bitDepth > 8 ? 'yuv420p10le' : 'yuv420p'}`];
    chains.push(`${split ? `[s${i}]` : '[0:v:0]'}${steps.join(',')}[v${i}]`);
  });
  args.push('-filter_complex', chains.join(';'));
  const hls = (id) => {
    const dir = path.join(outDir, id);
    mkdirSync(dir, { recursive: true });
    return [
      '-f', 'hls',
      '-hls_time', String(plan.segmentDurationMs / 1000),
      '-hls_playlist_type', 'vod',
      '-hls_segment_type', 'fmp4',
      '-hls_fmp4_init_filename', 'init.mp4',
      '-hls_segment_filename', path.join(dir, 'seg-%d.m4s'),
      path.join(dir, 'index.m3u8'),
    ];
  };
  transcodes.forEach((r, i) => args.push('-map', `[v${i}]`, ...encoderArgs(r, plan.presets, threads), ...hls(r.id)));
  if (plan.audio?.kind === 'transcode') {
    args.push('-map', '0:a:0', '-c:a', 'aac', '-b:a', String(plan.audio.bitrateBps), ...t, ...hls(plan.audio.id));
  } else if (plan.audio) {
    args.push('-map', '0:a:0', '-c:a', 'copy', ...hls(plan.audio.id));
  }
  return args;
}

/** `.m4s` files per rendition directory under `outDir`. */
export function countSegments(outDir) {
  return Object.fromEntries(readdirSync(outDir).map((id) => [id, readdirSync(path.join(outDir, id)).filter((f) => f.endsWith('.m4s')).length]));
}

/**
 * Runs ffmpeg under a shell that, once ffmpeg has exited and been reaped, prints its own
 * cutime/cstime (proc(5) fields 16/17): ffmpeg's CPU, all threads, exactly.
 * Resolves to `{ code, wallMs, user, sys, cpu }` (seconds); rejects if it fails.
 */
export function runFfmpegMeasured(args, { cwd } = {}) {
  const script = 'ffmpeg "$@"; rc=$?; echo "HWSTAT $(cat /proc/$$/stat)" >&2; exit $rc';
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('sh', ['-c', script, 'sh', ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d.toString('utf8')).slice(-8000)));
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = performance.now() - started;
      const m = /HWSTAT (.*)$/m.exec(stderr);
      if (code !== 0 || !m) return reject(new Error(`ffmpeg exited with ${code}: ${stderr.replace(/HWSTAT.*$/m, '').trim().slice(-2000)}`));
      const f = m[1].slice(m[1].lastIndexOf(')') + 2).split(' ');
      const user = Number(f[13]) / CLK_TCK;
      const sys = Number(f[14]) / CLK_TCK;
      resolve({ code, wallMs, user, sys, cpu: user + sys });
    });
  });
}

/** Runs a command to completion (the source generation); rejects with its stderr on failure. */
export function runQuiet(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}: ${stderr.slice(-2000)}`))));
  });
}

/**
 * JSON lines from a child (a spawnGroup state): every `{…}` line of its stdout is kept, and
 * `wait(pred)` hands out the first one not yet handed out that matches, waiting if need be.
 */
export class JsonLines {
  constructor(state) {
    this.state = state;
    this.lines = [];
    this.waiters = new Set();
    createInterface({ input: state.child.stdout }).on('line', (l) => {
      if (!l.startsWith('{')) return;
      try {
        this.lines.push({ value: JSON.parse(l), taken: false });
      } catch {
        return;
      }
      for (const w of this.waiters) w();
    });
    void state.exited.then(() => {
      for (const w of this.waiters) w();
    });
  }

  take(pred) {
    const hit = this.lines.find((l) => !l.taken && pred(l.value));
    if (!hit) return undefined;
    hit.taken = true;
    return hit.value;
  }

  wait(pred, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = this.take(pred);
        if (v !== undefined) return done(() => resolve(v));
        if (this.state.exit !== undefined) done(() => reject(new Error(`${what}: the process exited (${this.state.exit}) before it:\n${this.state.tail()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${what}: nothing within ${timeoutMs} ms:\n${this.state.tail()}`))), timeoutMs);
      const done = (fn) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        fn();
      };
      this.waiters.add(check);
      check();
    });
  }
}
