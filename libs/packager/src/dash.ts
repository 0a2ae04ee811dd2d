import { isoDateTime, isoDuration } from './iso-time.js';
import { PackagingError } from './packaging-error.js';
import type { PackagingState } from './packaging-state.js';
import { sessionPhase } from './packaging-state.js';
import { initFileName } from './paths.js';
import type { AudioRendition, Rendition, VideoRendition } from './rendition.js';
import { measuredRenditions } from './rendition-media.js';
import type { RenditionBandwidth, TimelineSegment } from './timeline.js';
import { buildTimeline, DEFAULT_LIVE_WINDOW_SEGMENTS, renditionBandwidths, targetDurationS, windowOf } from './timeline.js';
import type { XmlElement } from './xml.js';
import { renderXml } from './xml.js';

/** Options of {@link mpd}. Durations in ms; defaults derive from the target duration T. */
export interface MpdOptions {
  /** Segments listed while live (the time-shift window); a VOD lists all. `Infinity` keeps every one. @defaultValue 6 */
  readonly windowSegments?: number;
  /** Lower bound of the target duration (s), as for HLS. @defaultValue 1 */
  readonly minTargetDurationS?: number;
  /** `MPD@minimumUpdatePeriod` while live. @defaultValue T */
  readonly minimumUpdatePeriodMs?: number;
  /** `MPD@suggestedPresentationDelay` while live: covers the transcoding latency. @defaultValue 3 T */
  readonly suggestedPresentationDelayMs?: number;
  /** `MPD@minBufferTime`. @defaultValue T */
  readonly minBufferTimeMs?: number;
  /** `MPD@publishTime` (Unix ms). @defaultValue the wall clock at the end of the last published segment */
  readonly publishTimeMs?: number;
}

/** One DASH Period: a run of published segments with no discontinuity and no whole-index gap inside. */
interface PeriodRun {
  readonly id: string;
  readonly presentationStartMs: number;
  /** Media time at the period start: `SegmentTemplate@presentationTimeOffset`. */
  readonly mediaStartMs: number;
  readonly initVersion: number;
  readonly segments: readonly TimelineSegment[];
}

/**
 * The DASH MPD (ISO/IEC 23009-1) of the session: `dynamic` while live or ending, `static` once
 * the session is a complete VOD. One SegmentTemplate (timescale 1000, `$Number$` = segment
 * index) with a SegmentTimeline of the real durations per AdaptationSet.
 *
 * Periods: a new Period starts at each publisher reconnect (new init, and the wall-clock hole
 * between Periods), and after a segment that failed in every rendition. DASH has no gap marker
 * like EXT-X-GAP, and leaving an `S` out of a `$Number$` timeline would renumber every later
 * segment, so a whole-index gap ends the Period and the next one starts after it: players see a
 * hole in presentation time and skip it. A segment that failed in only some renditions keeps
 * its `S` (the timeline is shared by the AdaptationSet); those requests fail and players switch
 * representation or skip, as for a missing segment.
 */
export function mpd(state: PackagingState, opts: MpdOptions = {}): string {
  const vod = sessionPhase(state) === 'vod';
  const timeline = buildTimeline(state);
  const shown = windowOf(timeline, vod, opts.windowSegments ?? DEFAULT_LIVE_WINDOW_SEGMENTS);
  const targetMs = targetDurationS(timeline, opts.minTargetDurationS) * 1000;
  const last = timeline.at(-1);
  const endMs = last === undefined ? 0 : last.presentationStartMs + last.durationMs;
  for (const [name, value] of Object.entries(opts)) {
    if (name.endsWith('Ms') && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) {
      throw new PackagingError('invalid-option', `${name} must be a non-negative integer`);
    }
  }

  const firstShown = shown[0]?.index ?? Infinity;
  const periods = periodRuns(timeline)
    .map((run) => ({ ...run, segments: run.segments.filter((s) => s.index >= firstShown) }))
    .filter((run) => run.segments.length > 0);
  const bandwidths = renditionBandwidths(state, timeline);
  const periodElements: XmlElement[] =
    periods.length === 0
      ? [{ name: 'Period', attrs: { id: 'p0', start: isoDuration(0) } }] // nothing published yet
      : periods.map((run) => periodElement(state, run, bandwidths));

  const windowMs = shown.reduce((sum, s) => sum + s.durationMs, 0);
  const attrs: Record<string, string | number | undefined> = vod
    ? {
        xmlns: 'urn:mpeg:dash:schema:mpd:2011',
        profiles: 'urn:mpeg:dash:profile:isoff-live:2011',
        type: 'static',
        mediaPresentationDuration: isoDuration(endMs),
        minBufferTime: isoDuration(opts.minBufferTimeMs ?? targetMs),
      }
    : {
        xmlns: 'urn:mpeg:dash:schema:mpd:2011',
        profiles: 'urn:mpeg:dash:profile:isoff-live:2011',
        type: 'dynamic',
        availabilityStartTime: isoDateTime(state.startedAtMs),
        publishTime: isoDateTime(opts.publishTimeMs ?? state.startedAtMs + endMs),
        minimumUpdatePeriod: isoDuration(opts.minimumUpdatePeriodMs ?? targetMs),
        timeShiftBufferDepth: opts.windowSegments === Infinity ? undefined : isoDuration(Math.max(windowMs, targetMs)),
        suggestedPresentationDelay: isoDuration(opts.suggestedPresentationDelayMs ?? 3 * targetMs),
        minBufferTime: isoDuration(opts.minBufferTimeMs ?? targetMs),
      };
  return renderXml({ name: 'MPD', attrs, children: periodElements });
}

/** Splits the published timeline into Periods (see {@link mpd}); whole-index gaps belong to none. */
function periodRuns(timeline: readonly TimelineSegment[]): PeriodRun[] {
  const runs: { first: TimelineSegment; segments: TimelineSegment[] }[] = [];
  let split = true;
  for (const segment of timeline) {
    if (segment.allFailed) {
      split = true;
      continue;
    }
    if (split || segment.discontinuity) runs.push({ first: segment, segments: [] });
    split = false;
    runs.at(-1)?.segments.push(segment);
  }
  return runs.map(({ first, segments }) => ({
    // Named after its first segment, so the id stays put as the live window slides (§5.3.2.1).
    id: `p${first.index}`,
    presentationStartMs: first.presentationStartMs,
    mediaStartMs: first.mediaStartMs,
    initVersion: first.initVersion,
    segments,
  }));
}

function periodElement(state: PackagingState, run: PeriodRun, bandwidths: readonly RenditionBandwidth[]): XmlElement {
  const template = segmentTemplate(run);
  // Measured codecs and sizes where a worker read the init segments, the plan elsewhere.
  const renditions = measuredRenditions(state);
  const bandwidthOf = (rendition: Rendition) => bandwidths[renditions.indexOf(rendition)]?.peakBps ?? rendition.nominalBitrate;
  const videos = renditions.filter((r): r is VideoRendition => r.kind === 'video');
  const audios = renditions.filter((r): r is AudioRendition => r.kind === 'audio');
  const sets: XmlElement[] = [];
  if (videos.length > 0) {
    const fastest = videos.reduce((a, b) => (b.frameRate > a.frameRate ? b : a));
    sets.push({
      name: 'AdaptationSet',
      attrs: {
        id: sets.length,
        contentType: 'video',
        mimeType: 'video/mp4',
        segmentAlignment: 'true',
        startWithSAP: 1,
        maxWidth: Math.max(...videos.map((v) => v.width)),
        maxHeight: Math.max(...videos.map((v) => v.height)),
        maxFrameRate: dashFrameRate(fastest.frameRate),
      },
      children: [
        template,
        ...videos.map(
          (v): XmlElement => ({
            name: 'Representation',
            attrs: {
              id: v.id,
              bandwidth: bandwidthOf(v),
              codecs: v.codecs,
              width: v.width,
              height: v.height,
              frameRate: dashFrameRate(v.frameRate),
              sar: '1:1',
            },
          }),
        ),
      ],
    });
  }
  for (const groupId of [...new Set(audios.map((a) => a.groupId))]) {
    const group = audios.filter((a) => a.groupId === groupId);
    const lead = group[0];
    if (lead === undefined) continue;
    sets.push({
      name: 'AdaptationSet',
      attrs: { id: sets.length, contentType: 'audio', mimeType: 'audio/mp4', lang: lead.language ?? undefined, segmentAlignment: 'true', startWithSAP: 1 },
      children: [
        { name: 'Label', children: [lead.name] },
        template,
        ...group.map(
          (a): XmlElement => ({
            name: 'Representation',
            attrs: { id: a.id, bandwidth: bandwidthOf(a), codecs: a.codecs, audioSamplingRate: a.sampleRateHz },
            children: [
              {
                name: 'AudioChannelConfiguration',
                attrs: { schemeIdUri: 'urn:mpeg:dash:23003:3:audio_channel_configuration:2011', value: a.channels },
              },
            ],
          }),
        ),
      ],
    });
  }
  return { name: 'Period', attrs: { id: run.id, start: isoDuration(run.presentationStartMs) }, children: sets };
}

/** SegmentTemplate with the run's SegmentTimeline: `S@r` repeats equal consecutive durations. */
function segmentTemplate(run: PeriodRun): XmlElement {
  const entries: { t?: number; d: number; r: number }[] = [];
  for (const segment of run.segments) {
    const previous = entries.at(-1);
    if (previous !== undefined && previous.d === segment.durationMs) previous.r++;
    else entries.push({ t: previous === undefined ? segment.mediaStartMs : undefined, d: segment.durationMs, r: 0 });
  }
  return {
    name: 'SegmentTemplate',
    attrs: {
      timescale: 1000,
      presentationTimeOffset: run.mediaStartMs,
      startNumber: run.segments[0]?.index,
      initialization: `$RepresentationID$/${initFileName(run.initVersion)}`,
      media: '$RepresentationID$/seg-$Number$.m4s',
    },
    children: [
      {
        name: 'SegmentTimeline',
        children: entries.map((e): XmlElement => ({ name: 'S', attrs: { t: e.t, d: e.d, r: e.r === 0 ? undefined : e.r } })),
      },
    ],
  };
}

/** DASH FrameRateType (`N` or `N/D`): NTSC rates as x000/1001, others to 1/1000 frame/s. */
export function dashFrameRate(fps: number): string {
  if (Number.isInteger(fps)) return String(fps);
  for (const base of [24, 30, 48, 60, 120]) {
    if (Math.abs(fps - (base * 1000) / 1001) < 0.005) return `${base * 1000}/1001`;
  }
  const num = Math.round(fps * 1000);
  let a = num;
  let b = 1000;
  while (b !== 0) [a, b] = [b, a % b];
  return a === 1000 ? String(num / 1000) : `${num / a}/${1000 / a}`;
}
