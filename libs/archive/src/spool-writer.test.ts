import { pbkdf2 } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SPOOL_FLUSH_BYTES, SpoolWriter } from './spool-writer.js';
import type { SpoolWriterOptions } from './spool-writer.js';

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

function newWriter(fd: number, bufferBytes: number, options: SpoolWriterOptions = {}): SpoolWriter {
  return new SpoolWriter(fd, bufferBytes, () => {}, (err) => {
    throw err;
  }, options);
}

test('any chunking, pacing and flush settings give the same file; memory never exceeds bufferBytes', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          sizes: fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 3 }), // one chunk or an array of them
          pause: fc.constantFrom('none', 'turn', 'timer'),
        }),
        { maxLength: 60 },
      ),
      fc.integer({ min: 1, max: 8 }).map((k) => k * 4096 + (k % 2)), // odd sizes too
      fc.option(fc.integer({ min: 1, max: 40_000 }), { nil: undefined }),
      fc.integer({ min: 0, max: 3 }),
      async (steps, bufferBytes, flushBytes, flushDelayMs) => {
        const { file, fd } = openSpool();
        let progress = 0;
        const writer = new SpoolWriter(fd, bufferBytes, () => progress++, (err) => {
          throw err;
        }, { flushBytes, flushDelayMs });
        const expected: number[] = [];
        let maxBuffered = 0;
        let value = 0;
        for (const step of steps) {
          const chunks = step.sizes.map((size) => {
            const chunk = new Uint8Array(size);
            for (let i = 0; i < chunk.length; i++) chunk[i] = value++ & 0xff;
            expected.push(...chunk);
            return chunk;
          });
          writer.append(chunks.length === 1 ? chunks[0]! : chunks);
          for (const chunk of chunks) chunk.fill(0); // the writer must have copied
          maxBuffered = Math.max(maxBuffered, writer.bufferedBytes);
          expect(writer.acceptedBytes).toBe(expected.length);
          expect(writer.durableBytes).toBeLessThanOrEqual(writer.acceptedBytes);
          if (step.pause === 'turn') await nextTurn();
          // Long enough for the flush timer: it may fire with or without a write in flight.
          else if (step.pause === 'timer') await sleep(flushDelayMs + 1);
        }
        await writer.close();
        expect(maxBuffered).toBeLessThanOrEqual(bufferBytes);
        expect(writer.durableBytes).toBe(expected.length);
        expect(writer.bufferedBytes).toBe(0);
        expect(Buffer.compare(readFileSync(file), Buffer.from(expected))).toBe(0);
        if (expected.length > 0) expect(progress).toBeGreaterThan(0);
      },
    ),
    { numRuns: 100 },
  );
});

/** FLV-tag-like pieces (11-byte header, body, 4-byte trailer) numbered so any reordering shows. */
function tagPieces(i: number, bodyBytes: number): Uint8Array[] {
  const header = new Uint8Array(11).fill(i & 0xff);
  const body = new Uint8Array(bodyBytes).fill((i * 7) & 0xff);
  const trailer = new Uint8Array(4).fill((i * 13) & 0xff);
  return [header, body, trailer];
}

test('10,000 small appends, one per event-loop turn, become a few dozen writes', async () => {
  const { file, fd } = openSpool();
  const writer = newWriter(fd, 2 * SPOOL_FLUSH_BYTES); // the archive's default
  const expected: Uint8Array[] = [];
  for (let i = 0; i < 10_000; i++) {
    const pieces = tagPieces(i, 85); // 100 bytes a tag
    writer.append(pieces);
    expected.push(...pieces);
    await nextTurn(); // as the ingest does: a tag per socket read
  }
  await writer.close();
  const bytes = Buffer.concat(expected);
  expect(bytes.length).toBe(1_000_000);
  expect(Buffer.compare(readFileSync(file), bytes)).toBe(0);
  // One write per SPOOL_FLUSH_BYTES (16 for 1 MB), plus timer flushes if the loop runs slowly.
  // Writing every turn, as before coalescing, made thousands.
  expect(writer.writes).toBeGreaterThanOrEqual(Math.floor(bytes.length / SPOOL_FLUSH_BYTES));
  expect(writer.writes).toBeLessThanOrEqual(40);
});

test('a write starts as soon as flushBytes are staged, not before', async () => {
  const { file, fd } = openSpool();
  const writer = newWriter(fd, 64 * 1024, { flushBytes: 1000, flushDelayMs: 60_000 });
  writer.append(new Uint8Array(999).fill(1));
  await nextTurn();
  expect(writer.writes).toBe(0);
  expect(writer.durableBytes).toBe(0);
  writer.append([new Uint8Array(0), new Uint8Array(1).fill(2)]);
  expect(writer.writes).toBe(1); // at once, within append()
  expect(writer.bufferedBytes).toBe(1000);
  while (writer.durableBytes < 1000) await nextTurn();
  expect(writer.bufferedBytes).toBe(0);
  await writer.close();
  expect(readFileSync(file).length).toBe(1000);
});

test('fewer than flushBytes reach the file flushDelayMs later, without more appends or close()', async () => {
  const { file, fd } = openSpool();
  let progress = 0;
  const writer = new SpoolWriter(fd, 64 * 1024, () => progress++, (err) => {
    throw err;
  }, { flushDelayMs: 30 });
  writer.append([new Uint8Array(11).fill(1), new Uint8Array(100).fill(2), new Uint8Array(4).fill(3)]);
  await nextTurn();
  expect(writer.writes).toBe(0); // coalescing: no write per turn
  while (progress === 0) await sleep(5);
  expect(writer.writes).toBe(1);
  expect(writer.durableBytes).toBe(115);
  expect(readFileSync(file).length).toBe(115); // on disk while the writer is still open
  await writer.close();
  expect(writer.writes).toBe(1); // nothing left for close()
});

test('a disk a whole buffer behind: append() writes synchronously, memory stays within bufferBytes, the file has no hole', async () => {
  const { file, fd } = openSpool();
  const bufferBytes = 8192;
  const writer = newWriter(fd, bufferBytes, { flushDelayMs: 60_000 });
  const data = new Uint8Array(100_000);
  for (let i = 0; i < data.length; i++) data[i] = 1 + ((i * 31) % 255); // no zeros: a hole would show
  // Keep every libuv thread busy, so the async write waits in the queue as behind a slow disk (and
  // as it may when a SIGKILL arrives): bytes written synchronously above it must not leave a hole.
  const threads = Math.min(64, Number(process.env.UV_THREADPOOL_SIZE ?? 4));
  const busy = Array.from({ length: 2 * threads }, () => promisify(pbkdf2)('spool', 'salt', 300_000, 32, 'sha256'));
  let maxBuffered = 0;
  // Never yielding: the first async write cannot complete, so every later full half goes synchronously.
  for (let offset = 0; offset < data.length; offset += 1500) {
    writer.append(data.subarray(offset, offset + 1500));
    maxBuffered = Math.max(maxBuffered, writer.bufferedBytes);
  }
  const onDisk = readFileSync(file); // what a SIGKILL now would leave
  expect(Buffer.compare(onDisk, data.subarray(0, onDisk.length))).toBe(0);
  const halves = Math.floor(data.length / (bufferBytes / 2));
  expect(writer.durableBytes).toBe(halves * (bufferBytes / 2));
  expect(onDisk.length).toBe(writer.durableBytes);
  expect(writer.writes).toBe(halves + 1); // one async, the rest sync, plus the in-flight bytes once more
  expect(maxBuffered).toBeGreaterThan(bufferBytes / 2); // both halves in use: one in flight, one filling
  expect(maxBuffered).toBeLessThanOrEqual(bufferBytes);
  await Promise.all(busy);
  await writer.close();
  expect(Buffer.compare(readFileSync(file), data)).toBe(0);
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
