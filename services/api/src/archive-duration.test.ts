import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FlvReader } from '@headwater/flv';
import { fixturePath, listFlvFixtures } from '@headwater/testkit';
import { ARCHIVE_HEAD_PROBE_BYTES, archiveDurationMs } from './archive-duration.js';
import type { RangeReader } from './archive-duration.js';

/** A reader over bytes in memory that counts what it was asked for, like ranged GETs would. */
function reader(bytes: Uint8Array): { read: RangeReader; bytesRead: () => number; reads: () => number } {
  let total = 0;
  let count = 0;
  return {
    read: (start, length) => {
      count++;
      const out = bytes.subarray(start, start + length);
      total += out.length;
      return Promise.resolve(out);
    },
    bytesRead: () => total,
    reads: () => count,
  };
}

/** The reference: every tag parsed, last tag's timestamp minus the first audio/video tag's. */
function expectedDurationMs(bytes: Uint8Array): number {
  const r = new FlvReader();
  const tags = r.push(bytes);
  r.end();
  const first = tags.find((t) => t.type === 8 || t.type === 9);
  const last = tags.at(-1);
  if (first === undefined || last === undefined) throw new Error('fixture without media');
  return last.timestampMs - first.timestampMs;
}

describe('archiveDurationMs', () => {
  test.each(listFlvFixtures())('%s: the full parse agrees, from at most a probe and two small reads', async (name) => {
    const bytes = new Uint8Array(readFileSync(fixturePath(name)));
    const r = reader(bytes);
    const duration = await archiveDurationMs(r.read, bytes.length);
    expect(duration).toBe(expectedDurationMs(bytes));
    expect(duration).toBeGreaterThan(1000);
    expect(r.bytesRead()).toBeLessThanOrEqual(ARCHIVE_HEAD_PROBE_BYTES + 15);
    expect(r.reads()).toBe(3);
  });

  test('an archive cut inside a tag is null (the tail is not a tag boundary)', async () => {
    const bytes = new Uint8Array(readFileSync(fixturePath('h264_aac.flv')));
    for (const cut of [1, 2, 3, 5, 100, 1001]) {
      const short = bytes.subarray(0, bytes.length - cut);
      expect(await archiveDurationMs(reader(short).read, short.length), `cut ${cut}`).toBeNull();
    }
  });

  test.each([
    ['empty', new Uint8Array(0)],
    ['not FLV', new TextEncoder().encode('this is not an flv file at all, just some text'.repeat(3))],
    ['header only', new Uint8Array([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
  ])('%s is null', async (_name, bytes) => {
    expect(await archiveDurationMs(reader(bytes).read, bytes.length)).toBeNull();
  });

  test('a size that lies about the object is null, not an exception', async () => {
    const bytes = new Uint8Array(readFileSync(fixturePath('vp9_opus.flv')));
    expect(await archiveDurationMs(reader(bytes).read, bytes.length + 7)).toBeNull();
    expect(await archiveDurationMs(reader(bytes).read, Number.NaN)).toBeNull();
  });

  test('hostile bytes give a number or null, never an exception, within a few reads', async () => {
    const real = new Uint8Array(readFileSync(fixturePath('hevc_aac.flv'))).subarray(0, 4096);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 0, maxLength: 300 }),
          // Mutations of a real archive head keep the parser on its deeper paths.
          fc.tuple(fc.integer({ min: 0, max: real.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: real.length })).map(([at, v, len]) => {
            const b = real.slice(0, len);
            if (at < b.length) b[at] = v;
            return b;
          }),
        ),
        async (bytes) => {
          const r = reader(bytes);
          const d = await archiveDurationMs(r.read, bytes.length);
          expect(d === null || (Number.isSafeInteger(d) && d >= 0)).toBe(true);
          expect(r.reads()).toBeLessThanOrEqual(11);
        },
      ),
      { numRuns: 300 },
    );
  });
});
