import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SpoolWriter } from './spool-writer.js';

let dir: string;
let files = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'headwater-spool-writer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function openSpool(): { file: string; fd: number } {
  const file = path.join(dir, `${++files}.spool`);
  return { file, fd: openSync(file, 'wx') };
}

test('any chunking and any pacing give the same file; memory never exceeds two buffers', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ size: fc.integer({ min: 0, max: 20_000 }), yieldAfter: fc.boolean() }), { maxLength: 60 }),
      fc.integer({ min: 1, max: 4 }).map((k) => k * 4096),
      async (steps, bufferBytes) => {
        const { file, fd } = openSpool();
        let progress = 0;
        const writer = new SpoolWriter(fd, bufferBytes, () => progress++, (err) => {
          throw err;
        });
        const expected: number[] = [];
        let maxBuffered = 0;
        let value = 0;
        for (const step of steps) {
          const chunk = new Uint8Array(step.size);
          for (let i = 0; i < chunk.length; i++) chunk[i] = value++ & 0xff;
          writer.append(chunk);
          expected.push(...chunk);
          chunk.fill(0); // the writer must have copied
          maxBuffered = Math.max(maxBuffered, writer.bufferedBytes);
          expect(writer.durableBytes).toBeLessThanOrEqual(writer.acceptedBytes);
          if (step.yieldAfter) await nextTurn();
        }
        await writer.close();
        expect(maxBuffered).toBeLessThanOrEqual(2 * bufferBytes);
        expect(writer.durableBytes).toBe(expected.length);
        expect(writer.bufferedBytes).toBe(0);
        expect(Buffer.compare(readFileSync(file), Buffer.from(expected))).toBe(0);
        if (expected.length > 0) expect(progress).toBeGreaterThan(0);
      },
    ),
    { numRuns: 100 },
  );
});

test('a write error is reported once; later bytes are dropped and counted; close() rejects', async () => {
  const { file, fd: writable } = openSpool();
  closeSync(writable);
  const fd = openSync(file, 'r'); // every write now fails with EBADF
  const errors: Error[] = [];
  const writer = new SpoolWriter(fd, 4096, () => {}, (err) => errors.push(err));
  writer.append(new Uint8Array(10_000)); // fills the buffer twice: the first flush fails
  writer.append(new Uint8Array(5));
  await nextTurn();
  expect(errors).toHaveLength(1);
  expect(writer.failed).toBe(errors[0]);
  expect(writer.durableBytes).toBe(0);
  expect(writer.droppedBytes).toBeGreaterThanOrEqual(5);
  await expect(writer.close()).rejects.toBe(errors[0]);
});
