import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { AAC_FRAME_SAMPLES, AUDIO_PREROLL_FRAMES, AudioWindowError, audioSegmentWindow } from './audio-window.js';
import type { AudioRendition } from './ladder-plan.js';

const audio: AudioRendition = {
  id: 'audio',
  kind: 'transcode',
  codec: 'mp4a',
  codecString: 'mp4a.40.2',
  sampleRate: 48000,
  channels: 2,
  bitrateBps: 128000,
  bitrateOrigin: 'target',
  sourceTrackId: 0,
  boundaryAdvanceMs: 100,
};

describe('audioSegmentWindow', () => {
  it('cuts on the AAC frame grid, advance before the video boundary', () => {
    // 2067 ms − 100 ms = 1967 ms = 94416 samples → frame 92 (94208).
    expect(audioSegmentWindow(audio, { startMs: 67, durationMs: 2000 })).toEqual({ sampleRate: 48000, startSample: 0, endSample: 94208, encodeFromSample: 0 });
    expect(audioSegmentWindow(audio, { startMs: 2067, isLast: true })).toEqual({
      sampleRate: 48000,
      startSample: 94208,
      endSample: undefined,
      encodeFromSample: 94208 - AUDIO_PREROLL_FRAMES * AAC_FRAME_SAMPLES,
    });
  });

  it('rejects what it cannot cut', () => {
    expect(() => audioSegmentWindow(audio, { startMs: 0 })).toThrow(/durationMs is required/);
    expect(() => audioSegmentWindow(audio, { startMs: -1, durationMs: 1 })).toThrow(AudioWindowError);
    expect(() => audioSegmentWindow(audio, { startMs: 1000, durationMs: 10 })).toThrow(/no whole AAC frame/);
    expect(() => audioSegmentWindow({ ...audio, kind: 'passthrough' }, { startMs: 0, durationMs: 2000 })).toThrow(/only transcoded/);
  });

  // Segments cut anywhere tile the timeline: each window starts where the previous one ended.
  fcTest.prop([fc.array(fc.integer({ min: 600, max: 10_000 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 500 }), fc.constantFrom(44100, 48000)])(
    'consecutive windows tile the grid without gap or overlap',
    (durations, advance, sampleRate) => {
      const a = { ...audio, boundaryAdvanceMs: advance, sampleRate };
      let startMs = 0;
      let expectedStart = 0;
      durations.forEach((durationMs, i) => {
        const isLast = i === durations.length - 1;
        const w = audioSegmentWindow(a, { startMs, durationMs, isLast });
        expect(w.startSample).toBe(expectedStart);
        expect(w.startSample % AAC_FRAME_SAMPLES).toBe(0);
        expect(w.encodeFromSample).toBeLessThanOrEqual(w.startSample);
        if (w.endSample !== undefined) {
          expect(w.endSample).toBeGreaterThan(w.startSample);
          // Ends at most advance + one frame before the video boundary.
          const boundary = ((startMs + durationMs) * sampleRate) / 1000;
          expect(boundary - w.endSample).toBeGreaterThanOrEqual((advance * sampleRate) / 1000 - 1e-6);
          expect(boundary - w.endSample).toBeLessThan((advance * sampleRate) / 1000 + AAC_FRAME_SAMPLES);
          expectedStart = w.endSample;
        }
        startMs += durationMs;
      });
    },
  );
});
