import { describe, expect } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { ProtocolError } from '@headwater/bytes';
import { ebmlBinary, ebmlByteLength, ebmlFloat, ebmlMaster, ebmlUint, encodeEbml, encodeVint, vintLength } from './ebml-writer.js';
import type { EbmlElement } from './ebml-writer.js';
import { MATROSKA_CODEC_IDS, synthesizeOpusHead } from './matroska-codecs.js';
import { writeMatroskaSegment } from './matroska-writer.js';
import type { MkvFrame, MkvTrack } from './matroska-writer.js';
import { floatOf, readMatroska, readVint, uintOf, walkEbml } from './testing/ebml-reader.js';
import type { EbmlNode } from './testing/ebml-reader.js';
import { AAC_LC_48K_STEREO, flacStreamInfo } from './testing/media-builders.js';

/** Tracks whose CodecPrivate and parameters are given, so any frame bytes are acceptable. */
const trackTemplates: Omit<MkvTrack, 'number'>[] = [
  { kind: 'video', codec: 'avc1', codecPrivate: Uint8Array.of(1, 0x64, 0, 0x1f), width: 1280, height: 720 },
  { kind: 'video', codec: 'hvc1', codecPrivate: Uint8Array.of(1, 2, 3), width: 640, height: 360 },
  { kind: 'video', codec: 'vp09', width: 320, height: 240, defaultDurationNs: 33_333_333 },
  { kind: 'audio', codec: 'mp4a', codecPrivate: AAC_LC_48K_STEREO },
  { kind: 'audio', codec: 'Opus', codecPrivate: synthesizeOpusHead(2, 312) },
  { kind: 'audio', codec: 'fLaC', codecPrivate: flacStreamInfo({ sampleRate: 96000, channels: 6, bitsPerSample: 24 }) },
  { kind: 'audio', codec: 'ac-3', sampleRate: 48000, channels: 6 },
];

const fileArb = fc
  .record({
    templates: fc.uniqueArray(fc.nat(trackTemplates.length - 1), { minLength: 1, maxLength: trackTemplates.length }),
    steps: fc.array(
      fc.record({
        track: fc.nat(10),
        dtsStepMs: fc.double({ min: 0, max: 20_000, noNaN: true }),
        ctsMs: fc.nat(500),
        keyframe: fc.boolean(),
        data: fc.uint8Array({ minLength: 1, maxLength: 300 }),
      }),
      { maxLength: 60 },
    ),
    startMs: fc.double({ min: 0, max: 1e9, noNaN: true }),
    scaleNs: fc.constantFrom(1_000_000, 100_000, 1000),
  })
  .map(({ templates, steps, startMs, scaleNs }) => {
    const tracks = templates.map((i, n) => ({ ...trackTemplates[i]!, number: n + 1 }));
    const clock = tracks.map(() => startMs);
    const frames: MkvFrame[] = steps.map((s) => {
      const ti = s.track % tracks.length;
      const t = tracks[ti]!;
      clock[ti] = clock[ti]! + s.dtsStepMs;
      const dtsMs = clock[ti]!;
      return { track: t.number, dtsMs, ptsMs: t.kind === 'video' ? dtsMs + s.ctsMs : dtsMs, keyframe: t.kind === 'audio' || s.keyframe, data: s.data };
    });
    return { tracks, frames, scaleNs };
  });

describe('writeMatroskaSegment (properties)', () => {
  fcTest.prop([fileArb], { numRuns: 150 })('any tracks and frames give a file a strict EBML walk accepts, holding them all', ({ tracks, frames, scaleNs }) => {
    const file = writeMatroskaSegment({ tracks, frames, timecodeScaleNs: scaleNs });
    walkEbml(file);
    const mkv = readMatroska(file);
    expect(mkv.timestampScale).toBe(scaleNs);
    expect(mkv.tracks.map((t) => [t.number, t.codecId])).toEqual(tracks.map((t) => [t.number, MATROSKA_CODEC_IDS[t.codec]]));
    expect(mkv.blocks).toHaveLength(frames.length);
    mkv.blocks.forEach((b, i) => {
      const f = frames[i]!;
      const delay = tracks[f.track - 1]!.codec === 'Opus' ? Math.round(6_500_000 / scaleNs) : 0;
      expect(b.track).toBe(f.track);
      expect(b.keyframe).toBe(f.keyframe);
      expect(b.ticks).toBe(Math.round((f.ptsMs * 1e6) / scaleNs) + delay);
      expect(b.ticks - b.clusterTicks).toBeGreaterThanOrEqual(-32768);
      expect(b.ticks - b.clusterTicks).toBeLessThanOrEqual(32767);
      expect(b.data).toEqual(f.data);
    });
  });

  fcTest.prop([fileArb, fc.nat(), fc.double({ min: 1, max: 1e6, noNaN: true })], { numRuns: 100 })(
    'a decode time going back on one track is always rejected',
    ({ tracks, frames, scaleNs }, pick, backMs) => {
      const audioOrDts = frames.filter((f) => f.dtsMs !== undefined);
      fc.pre(audioOrDts.length >= 1);
      const i = frames.indexOf(audioOrDts[pick % audioOrDts.length]!);
      const f = frames[i]!;
      const earlier = frames.slice(0, i).filter((g) => g.track === f.track);
      fc.pre(earlier.length > 0);
      const dtsMs = Math.max(0, earlier.at(-1)!.dtsMs! - backMs);
      fc.pre(dtsMs < earlier.at(-1)!.dtsMs!);
      const bad = frames.map((g, j) => (j === i ? { ...g, dtsMs, ptsMs: dtsMs } : g));
      expect(() => writeMatroskaSegment({ tracks, frames: bad, timecodeScaleNs: scaleNs })).toThrow(ProtocolError);
    },
  );
});

/** Leaves and masters get IDs of different widths, so the walker can tell them apart. */
const leafIdArb = fc.oneof(fc.integer({ min: 0x81, max: 0xfe }), fc.integer({ min: 0x407f, max: 0x7ffe }), fc.integer({ min: 0x101fffff, max: 0x1ffffffe }));
const masterIdArb = fc.integer({ min: 0x203fff, max: 0x3ffffe });
const isMasterId = (id: number): boolean => id >= 0x200000 && id < 0x400000;
const { element: elementArb } = fc.letrec<{ element: EbmlElement }>((tie) => ({
  element: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(leafIdArb, fc.maxSafeNat()).map(([id, v]) => ebmlUint(id, v)),
    fc.tuple(leafIdArb, fc.double({ noNaN: true, noDefaultInfinity: true })).map(([id, v]) => ebmlFloat(id, v)),
    fc.tuple(leafIdArb, fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 3 })).map(([id, parts]) => ebmlBinary(id, ...parts)),
    fc.tuple(masterIdArb, fc.array(tie('element'), { maxLength: 5 })).map(([id, children]) => ebmlMaster(id, children)),
  ),
}));

/** Decodes a walked node back into the element it must have come from. */
function decoded(n: EbmlNode, like: EbmlElement): unknown {
  switch (like.kind) {
    case 'uint':
      return { id: n.id, value: uintOf(n) };
    case 'float':
      return { id: n.id, value: floatOf(n) };
    case 'binary':
      return { id: n.id, bytes: [...n.data!] };
    case 'master':
      return { id: n.id, children: n.children!.map((c, i) => decoded(c, like.children[i]!)) };
  }
}

function expected(el: EbmlElement): unknown {
  switch (el.kind) {
    case 'uint':
    case 'float':
      return { id: el.id, value: el.value };
    case 'binary':
      return { id: el.id, bytes: el.parts.flatMap((p) => [...p]) };
    case 'master':
      return { id: el.id, children: el.children.map(expected) };
  }
}

describe('EBML (properties)', () => {
  fcTest.prop([fc.oneof(fc.nat(), fc.maxSafeNat())])('VINTs round-trip at their shortest width', (value) => {
    const encoded = encodeVint(value);
    expect(encoded.length).toBe(vintLength(value));
    expect(readVint(encoded, 0)).toEqual({ value, length: encoded.length, unknown: false });
    if (encoded.length > 1) expect(value).toBeGreaterThan(2 ** (7 * (encoded.length - 1)) - 2);
  });

  fcTest.prop([fc.array(elementArb, { maxLength: 4 })], { numRuns: 200 })('element trees decode back to themselves, sizes exact', (elements) => {
    const encoded = encodeEbml(elements);
    expect(encoded.length).toBe(ebmlByteLength(elements));
    const top = walkEbml(encoded, 0, encoded.length, isMasterId);
    expect(top.map((n, i) => decoded(n, elements[i]!))).toEqual(elements.map(expected));
  });
});
