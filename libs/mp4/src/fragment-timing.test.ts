/**
 * readFragmentTiming against real CMAF segments written by FFmpeg 5.1's HLS muxer with the
 * ladder's fragment options: the frame count and frame rate must be what the encoder produced.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '@headwater/bytes';
import { fragmentFrameRate, readFragmentTiming } from './fragment-timing.js';
import { readInitSegment } from './init-segment.js';

const exec = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'headwater-mp4-fragments-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Two seconds of video at `rate` as one CMAF segment (the worker's muxer options), with its init. */
async function segmentAt(rate: string, name: string): Promise<{ init: Uint8Array; segment: Uint8Array }> {
  const out = path.join(dir, name);
  await exec('mkdir', ['-p', out]);
  await exec('ffmpeg', [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=s=160x90:r=${rate}`, '-t', '2', '-c:v', 'libx264', '-g', '1000',
    '-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_time', '86400', '-hls_fmp4_init_filename', 'init.mp4',
    '-hls_segment_options', 'movflags=+frag_discont+delay_moov+frag_custom+dash+skip_sidx:video_track_timescale=90000',
    '-hls_segment_filename', path.join(out, 'seg-%d.m4s'), path.join(out, 'index.m3u8'),
  ]);
  return { init: await readFile(path.join(out, 'init.mp4')), segment: await readFile(path.join(out, 'seg-0.m4s')) };
}

describe('readFragmentTiming', () => {
  it.each([
    ['30', 60, 30],
    ['25', 50, 25],
    ['30000/1001', 60, 29.97],
    ['60', 120, 60],
  ])('counts the frames of a 2 s segment at %s fps and gives the nominal rate', async (rate, frames, fps) => {
    const { init, segment } = await segmentAt(rate, `r${rate.replace('/', '_')}`);
    const timing = readFragmentTiming(segment);
    expect(timing.samples).toBe(frames);
    const track = readInitSegment(init).tracks[0];
    expect(fragmentFrameRate(timing, track?.timescale ?? 0)).toBe(fps);
  });

  it('says nothing about a rate it cannot know', () => {
    expect(fragmentFrameRate({ samples: 60, durationTicks: null }, 90_000)).toBeNull();
    expect(fragmentFrameRate({ samples: 1, durationTicks: 3000 }, 90_000)).toBeNull();
    expect(fragmentFrameRate({ samples: 60, durationTicks: 0 }, 90_000)).toBeNull();
    // Off every nominal rate: reported as measured.
    expect(fragmentFrameRate({ samples: 60, durationTicks: 90_000 * 2.4 }, 90_000)).toBe(25);
    expect(fragmentFrameRate({ samples: 60, durationTicks: 90_000 * 3 }, 90_000)).toBe(20);
  });

  it('turns hostile bytes into ProtocolError only', async () => {
    const { segment } = await segmentAt('30', 'hostile');
    const head = segment.subarray(0, Math.min(segment.length, 4096));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(head.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(head.length), (edits, cut) => {
        const bytes = Uint8Array.from(head.subarray(0, cut));
        for (const [at, v] of edits) if (at < bytes.length) bytes[at] = v;
        try {
          readFragmentTiming(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
