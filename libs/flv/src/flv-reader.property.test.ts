import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import { ProtocolError } from '@headwater/bytes';
import { fixturePath } from '@headwater/testkit';
import { FlvReader } from './flv-reader.js';
import type { FlvTag, FlvTagType } from './flv-tag.js';
import { flvHeader, flvTag } from './flv-writer.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Cuts `bytes` at the given points (any order, duplicates allowed). */
function split(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const cuts = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  return out;
}

function readAll(chunks: Uint8Array[]): FlvTag[] {
  const reader = new FlvReader();
  const tags = chunks.flatMap((c) => reader.push(c));
  reader.end();
  return tags;
}

const tagArb = fc.record({
  type: fc.constantFrom<FlvTagType>(8, 9, 18),
  timestampMs: fc.oneof(fc.nat(0xffffff), fc.nat(0xffffffff)),
  body: fc.uint8Array({ maxLength: 40 }),
});
const fileArb = fc.record({ audio: fc.boolean(), video: fc.boolean(), tags: fc.array(tagArb, { maxLength: 12 }) }).map((f) => ({
  ...f,
  bytes: concat([flvHeader(f), ...f.tags.flatMap((t) => flvTag(t.type, t.timestampMs, t.body))]),
}));

const fixture = new Uint8Array(readFileSync(fixturePath('hevc_aac.flv')));
/** Tags as comparable strings: deep-equality over a megabyte of typed arrays is far too slow. */
const fingerprint = (tags: FlvTag[]): string[] =>
  tags.map((t) => `${t.type} ${t.timestampMs} ${t.offset} ${Buffer.from(t.body.buffer, t.body.byteOffset, t.body.length).toString('base64')}`);
const fixtureTags = fingerprint(readAll([fixture]));

describe('FlvReader properties', () => {
  fcTest.prop([fileArb, fc.array(fc.nat(), { maxLength: 30 })])('written tags read back the same, whatever the slicing', (file, points) => {
    const tags = readAll(split(file.bytes, points));
    expect(tags.map(({ type, timestampMs, body }) => ({ type, timestampMs, body }))).toEqual(file.tags);
  });

  fcTest.prop([fileArb])('one byte at a time', (file) => {
    const tags = readAll(Array.from(file.bytes, (b) => Uint8Array.of(b)));
    expect(tags).toEqual(readAll([file.bytes]));
  });

  fcTest.prop([fc.array(fc.nat(), { maxLength: 200 })], { numRuns: 20 })('a real fixture split at random points', (points) => {
    expect(fingerprint(readAll(split(fixture, points)))).toEqual(fixtureTags);
  });

  fcTest.prop([fileArb, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 5 })])(
    'mutated or truncated files give tags or a ProtocolError',
    (file, flips, points) => {
      const bytes = file.bytes.slice();
      for (const [at, v] of flips) bytes[at % bytes.length] = v;
      for (const input of [bytes, bytes.subarray(0, (points[0] ?? 0) % (bytes.length + 1))]) {
        try {
          readAll(split(input, points));
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }
    },
  );

  fcTest.prop([fc.uint8Array({ maxLength: 64 })])('random bytes after a valid header give tags or a ProtocolError', (rest) => {
    try {
      readAll([flvHeader({ audio: true, video: true }), rest]);
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
    }
  });
});
