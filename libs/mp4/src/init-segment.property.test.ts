/**
 * Hostile bytes: real init segments (made by FFmpeg at test time) truncated, bit-flipped, with
 * box sizes overwritten, and plain random bytes give a description or our ProtocolError, never
 * anything else (RangeError, TypeError, a hang).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '@headwater/bytes';
import { readInitSegment } from './init-segment.js';

const exec = promisify(execFile);

const SOURCES: Record<string, string[]> = {
  'avc1+aac': ['-f', 'lavfi', '-i', 'testsrc2=s=64x64:r=25', '-f', 'lavfi', '-i', 'sine', '-c:v', 'libx264', '-c:a', 'aac'],
  hvc1: ['-f', 'lavfi', '-i', 'testsrc2=s=64x64:r=25', '-c:v', 'libx265', '-tag:v', 'hvc1', '-x265-params', 'log-level=error'],
  'av01+opus': ['-f', 'lavfi', '-i', 'testsrc2=s=64x64:r=25', '-f', 'lavfi', '-i', 'sine=r=48000', '-c:v', 'libsvtav1', '-c:a', 'libopus'],
  'vp09+ec-3': ['-f', 'lavfi', '-i', 'testsrc2=s=64x64:r=25', '-f', 'lavfi', '-i', 'sine=r=48000', '-c:v', 'libvpx-vp9', '-c:a', 'eac3'],
  'flac+ac-3': ['-f', 'lavfi', '-i', 'sine=r=48000', '-f', 'lavfi', '-i', 'sine=r=48000', '-map', '0', '-map', '1', '-c:a:0', 'flac', '-c:a:1', 'ac3', '-strict', '-2'],
};

let dir: string;
const inits: Uint8Array[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'headwater-mp4-prop-'));
  for (const [name, args] of Object.entries(SOURCES)) {
    const out = path.join(dir, name.replace('+', '-'));
    await exec(
      'ffmpeg',
      ['-v', 'error', '-y', ...args, '-t', '0.1', '-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', `${out}-%d.m4s`, `${out}.m3u8`],
      { env: { ...process.env, SVT_LOG: '1' } },
    );
    inits.push(new Uint8Array(await readFile(path.join(dir, 'init.mp4'))));
  }
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Reads and lets only ProtocolError through; anything else fails the property. */
function readOrProtocolError(bytes: Uint8Array): void {
  try {
    readInitSegment(bytes);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
}

const anInit = () => fc.integer({ min: 0, max: inits.length - 1 }).map((i) => inits[i]!);

describe('readInitSegment on hostile bytes', () => {
  it('reads every unmodified source', () => {
    expect(inits).toHaveLength(Object.keys(SOURCES).length);
    expect(inits.map((b) => readInitSegment(b).tracks.map((t) => t.fourcc))).toEqual([
      ['avc1', 'mp4a'],
      ['hvc1'],
      ['av01', 'Opus'],
      ['vp09', 'ec-3'],
      ['fLaC', 'ac-3'],
    ]);
  });

  it('truncated anywhere: a ProtocolError', () => {
    fc.assert(
      fc.property(anInit(), fc.double({ min: 0, max: 1, noNaN: true }), (bytes, at) => {
        const cut = Math.floor(at * (bytes.length - 1));
        expect(() => readInitSegment(bytes.subarray(0, cut))).toThrow(ProtocolError);
      }),
      { numRuns: 300 },
    );
  });

  it('mutated bytes: a description or a ProtocolError', () => {
    fc.assert(
      fc.property(
        anInit(),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (source, edits) => {
          const bytes = source.slice();
          for (const [at, value] of edits) bytes[Math.floor(at * (bytes.length - 1))] = value;
          readOrProtocolError(bytes);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('box sizes overwritten (0, 1, tiny, huge, random): a description or a ProtocolError', () => {
    // Offsets of every size field: 4 bytes before each printable FourCC.
    const sizeFields = (bytes: Uint8Array) =>
      [...bytes.keys()].filter((i) => i >= 4 && i + 4 <= bytes.length && [0, 1, 2, 3].every((k) => /[A-Za-z0-9 -]/.test(String.fromCharCode(bytes[i + k]!)))).map((i) => i - 4);
    fc.assert(
      fc.property(
        anInit(),
        fc.nat(),
        fc.oneof(fc.constantFrom(0, 1, 7, 8, 9, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff })),
        (source, pick, size) => {
          const fields = sizeFields(source);
          const bytes = source.slice();
          new DataView(bytes.buffer).setUint32(fields[pick % fields.length]!, size);
          readOrProtocolError(bytes);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('random bytes: a ProtocolError (or a description of nothing)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => readOrProtocolError(bytes)),
      { numRuns: 500 },
    );
  });
});
