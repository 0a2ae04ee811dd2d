import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FlvReader, flvHeader, flvTag } from '@headwater/flv';
import { fixturePath } from '@headwater/testkit';
import { validFlvPrefixBytes } from './flv-spool-repair.js';

const FIXTURE = 'h264_aac.flv';
const HEADER_BYTES = 13;

describe('validFlvPrefixBytes', () => {
  let dir: string;
  let file: Buffer;
  /** End offset (after its PreviousTagSize) of every tag of the fixture, ascending. */
  let tagEnds: number[];
  let fileCount = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'headwater-repair-'));
    file = readFileSync(fixturePath(FIXTURE));
    const reader = new FlvReader();
    tagEnds = reader.push(file).map((t) => t.offset + 11 + t.body.length + 4);
    reader.end();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function spool(bytes: Uint8Array): Promise<string> {
    const p = path.join(dir, `spool-${++fileCount}.spool`);
    await writeFile(p, bytes);
    return p;
  }

  /** What the repair must return for the first `cut` bytes of the fixture. */
  function expectedPrefix(cut: number): number {
    let valid = cut >= HEADER_BYTES ? HEADER_BYTES : 0;
    for (const end of tagEnds) {
      if (end > cut) break;
      valid = end;
    }
    return valid;
  }

  test('the fixture spans more than one read buffer, so chunk boundaries are exercised', () => {
    expect(file.length).toBeGreaterThan(1 << 20);
    expect(tagEnds.at(-1)).toBe(file.length);
  });

  test('the full file is valid to its last byte', async () => {
    expect(await validFlvPrefixBytes(await spool(file))).toBe(file.length);
  });

  test('truncated at random points: the end of the last whole tag', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: file.length }), async (cut) => {
        const p = await spool(file.subarray(0, cut));
        expect(await validFlvPrefixBytes(p)).toBe(expectedPrefix(cut));
        await rm(p);
      }),
      { numRuns: 40 },
    );
  });

  test('truncated around tag and buffer boundaries', async () => {
    const cuts = new Set<number>([0, 1, 8, 9, 10, 12, 13, 14, 1 << 20, (1 << 20) + 1, (1 << 20) - 1, file.length - 1, file.length - 4, file.length - 5]);
    // Around the first tags, around the tag that straddles the 1 MiB read size, and the last ones.
    const straddle = tagEnds.findIndex((e) => e > 1 << 20);
    for (const i of [0, 1, 2, straddle - 1, straddle, straddle + 1, tagEnds.length - 2]) {
      const end = tagEnds[i]!;
      for (const d of [-5, -4, -1, 0, 1, 11, 12]) cuts.add(end + d);
    }
    for (const cut of [...cuts].filter((c) => c >= 0 && c <= file.length).sort((a, b) => a - b)) {
      const p = await spool(file.subarray(0, cut));
      expect({ cut, valid: await validFlvPrefixBytes(p) }).toEqual({ cut, valid: expectedPrefix(cut) });
      await rm(p);
    }
  });

  test('garbage appended after the last tag: the original length', async () => {
    const garbage = Buffer.alloc(5000, 0xff);
    expect(await validFlvPrefixBytes(await spool(Buffer.concat([file, garbage])))).toBe(file.length);
    // Random bytes too, and garbage after a cut that lands in the first read buffer.
    const random = Buffer.from(Array.from({ length: 777 }, (_, i) => (i * 131 + 7) & 0xff));
    expect(await validFlvPrefixBytes(await spool(Buffer.concat([file, random])))).toBe(file.length);
    const early = tagEnds[20]!;
    expect(await validFlvPrefixBytes(await spool(Buffer.concat([file.subarray(0, early), garbage])))).toBe(early);
  });

  test('a corrupted PreviousTagSize in the middle: everything before that tag', async () => {
    const copy = Buffer.from(file);
    const i = Math.floor(tagEnds.length / 2);
    copy.writeUInt32BE(0xdeadbeef, tagEnds[i]! - 4);
    expect(await validFlvPrefixBytes(await spool(copy))).toBe(tagEnds[i - 1]);
  });

  test('shorter than the 13-byte header: 0', async () => {
    for (const n of [0, 1, 5, 8, 9, 10, 12]) {
      expect({ n, valid: await validFlvPrefixBytes(await spool(file.subarray(0, n))) }).toEqual({ n, valid: 0 });
    }
  });

  test('header only: 13; not an FLV at all: 0', async () => {
    expect(await validFlvPrefixBytes(await spool(flvHeader({ audio: true, video: true })))).toBe(HEADER_BYTES);
    expect(await validFlvPrefixBytes(await spool(Buffer.from('this is not an flv file at all, no')))).toBe(0);
    const badSize0 = Buffer.from(flvHeader({ audio: true, video: true }));
    badSize0.writeUInt32BE(7, 9);
    expect(await validFlvPrefixBytes(await spool(badSize0))).toBe(0);
  });

  test('a spool written by our own writer, cut inside each part of its last tag', async () => {
    const parts = [flvHeader({ audio: true, video: true }), ...flvTag(9, 0, new Uint8Array(100).fill(1)), ...flvTag(8, 40, new Uint8Array(30).fill(2))];
    const whole = Buffer.concat(parts);
    const firstEnd = HEADER_BYTES + 11 + 100 + 4;
    expect(await validFlvPrefixBytes(await spool(whole))).toBe(whole.length);
    for (const cut of [firstEnd, firstEnd + 5, firstEnd + 11, firstEnd + 40, whole.length - 1]) {
      expect(await validFlvPrefixBytes(await spool(whole.subarray(0, cut)))).toBe(firstEnd);
    }
  });

  test('a tag larger than the read size is whole only with its PreviousTagSize', async () => {
    const big = new Uint8Array(2.5 * (1 << 20)).fill(7);
    const whole = Buffer.concat([flvHeader({ audio: false, video: true }), ...flvTag(9, 0, big), ...flvTag(9, 33, new Uint8Array(10))]);
    const bigEnd = HEADER_BYTES + 11 + big.length + 4;
    expect(await validFlvPrefixBytes(await spool(whole))).toBe(whole.length);
    for (const cut of [HEADER_BYTES + 11, (1 << 20) + 3, 2 << 20, bigEnd - 1]) {
      expect(await validFlvPrefixBytes(await spool(whole.subarray(0, cut)))).toBe(HEADER_BYTES);
    }
    expect(await validFlvPrefixBytes(await spool(whole.subarray(0, bigEnd)))).toBe(bigEnd);
  });

  test('a tag claiming more than the reader accepts ends the prefix without reading it', async () => {
    const good = Buffer.concat([flvHeader({ audio: true, video: true }), ...flvTag(8, 0, new Uint8Array(20))]);
    // TagType 9, DataSize 0xFFFFFF (16 MiB, above MAX_TAG_BYTES), then not nearly that much.
    const huge = Buffer.from([9, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, ...new Array<number>(64).fill(0)]);
    expect(await validFlvPrefixBytes(await spool(Buffer.concat([good, huge])))).toBe(good.length);
  });

  test('a missing file rejects', async () => {
    await expect(validFlvPrefixBytes(path.join(dir, 'does-not-exist.spool'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
