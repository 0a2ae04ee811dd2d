import type { PackagingErrorCode } from './packaging-error.js';
import { PackagingError } from './packaging-error.js';
import type { Rendition, RenditionSpec } from './rendition.js';
import type { RenditionMedia } from './rendition-media.js';
import { normalizeRenditions } from './rendition.js';

/** Highest segment index a session may reach (~231 days of 2 s segments). */
export const MAX_SEGMENT_INDEX = 10_000_000;
/**
 * How far past the published prefix an event may land. Bounds the state (the segment array is
 * dense) against a bogus index; a pipeline this far behind is stuck anyway.
 */
export const MAX_SEGMENTS_AHEAD = 10_000;
/** Longest source segment accepted. Segments never split a GOP, so this also caps the GOP. */
export const MAX_SEGMENT_DURATION_MS = 60_000;

/** What one rendition produced for one segment index. A missing output (`null`) is pending. */
export type SegmentOutput =
  | { readonly status: 'done'; /** Size of the `.m4s` file. */ readonly bytes: number }
  | { readonly status: 'failed' };

/** Status of one rendition's segment, as {@link segmentStatus} reports it. */
export type SegmentStatus = 'pending' | SegmentOutput['status'];

/** One source segment: its duration and, per rendition, what the workers made of it. */
export interface SegmentRecord {
  /** Duration of the source segment; every rendition shares it (they are cut at the same keyframes). */
  readonly durationMs: number;
  /** One entry per rendition, in `state.renditions` order; `null` while pending. */
  readonly outputs: readonly (SegmentOutput | null)[];
}

/** A publisher reconnect within the grace period: playback continues with a discontinuity. */
export interface Discontinuity {
  /** First segment index after the reconnect. */
  readonly atIndex: number;
  /** Wall clock (Unix ms) at which that segment's media starts, when known. */
  readonly wallClockMs: number | null;
  /** Init segment version from `atIndex` on (0 = `init.mp4`, n = `init-n.mp4`). */
  readonly initVersion: number;
}

/**
 * Everything needed to write the playlists of one session. Plain JSON (no class, no Map, no
 * `undefined`), so it can live in Redis between workers; change it only through the `apply*`
 * reducers, which return a new state and never mutate their input.
 */
export interface PackagingState {
  readonly schemaVersion: 1;
  readonly sessionId: string;
  readonly channelId: string;
  /** Wall clock (Unix ms) at which segment 0's media starts: HLS PROGRAM-DATE-TIME, DASH availabilityStartTime. */
  readonly startedAtMs: number;
  readonly renditions: readonly Rendition[];
  /** By segment index; `null` for an index nothing is known about yet. */
  readonly segments: readonly (SegmentRecord | null)[];
  /**
   * Length of the published prefix: indices `0..publishedCount-1` are done or failed in every
   * rendition. Only grows.
   */
  readonly publishedCount: number;
  /** Sorted by `atIndex`, strictly increasing, every `atIndex` > 0. */
  readonly discontinuities: readonly Discontinuity[];
  /** Number of segments in the session once it has ended (unpublish), else `null`. */
  readonly endSegmentCount: number | null;
  /**
   * What the workers read from each rendition's real init segment, in `renditions` order
   * (`null`: nothing yet); the playlists prefer it to the plan. Absent until the first
   * measurement, and in states stored before it existed. Set by `applyRenditionMedia`.
   */
  readonly media?: readonly (RenditionMedia | null)[];
}

/** Arguments of {@link createPackagingState}. */
export interface PackagingSessionInit {
  readonly sessionId: string;
  readonly channelId: string;
  /** Wall clock (Unix ms) at which segment 0's media starts. */
  readonly startedAtMs: number;
  /** Ladder order: the first video rendition is the one HLS players start with. */
  readonly renditions: readonly RenditionSpec[];
}

/** The segmenter cut a source segment (and enqueued its jobs). Optional: done/failed events carry the duration too. */
export interface SourceSegmentEvent {
  readonly index: number;
  readonly durationMs: number;
}

/** A worker finished one rendition of one segment. Retries may repeat it (the last size wins). */
export interface SegmentDoneEvent {
  readonly rendition: string;
  readonly index: number;
  /** The source segment's duration, from the job payload (not a measured output duration). */
  readonly durationMs: number;
  /** Size of the written `.m4s`, for the measured bandwidth. */
  readonly bytes: number;
}

/** A segment failed for good (unrecoverable): it becomes a gap instead of blocking the stream. */
export interface SegmentFailedEvent {
  readonly index: number;
  /** Only this rendition; by default every rendition still pending at this index. */
  readonly rendition?: string;
  /** Required unless the index's duration is already known. */
  readonly durationMs?: number;
}

/** The publisher reconnected within the grace period. Apply it before the first job after the reconnect. */
export interface DiscontinuityEvent {
  readonly atIndex: number;
  /** Wall clock (Unix ms) at which segment `atIndex` starts; the gap since the previous media is kept in presentation time. */
  readonly wallClockMs?: number;
  /** Whether renditions get a new init segment from `atIndex` on (codec configuration may have changed). @defaultValue true */
  readonly newInit?: boolean;
}

/** The publisher left for good (grace period over): the session becomes a VOD once every segment is in. */
export interface EndEvent {
  /** Segments in the session. @defaultValue one past the highest index known */
  readonly segmentCount?: number;
}

/** Starts the state of a new session (nothing published). */
export function createPackagingState(init: PackagingSessionInit): PackagingState {
  checkObject(init, 'invalid-session');
  for (const key of ['sessionId', 'channelId'] as const) {
    const value: unknown = init[key];
    if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
      throw new PackagingError('invalid-session', `${key} must be a string of 1..256 characters`);
    }
  }
  if (!Number.isSafeInteger(init.startedAtMs) || init.startedAtMs < 0) {
    throw new PackagingError('invalid-session', 'startedAtMs must be a non-negative integer (Unix ms)');
  }
  return {
    schemaVersion: 1,
    sessionId: init.sessionId,
    channelId: init.channelId,
    startedAtMs: init.startedAtMs,
    renditions: normalizeRenditions(init.renditions),
    segments: [],
    publishedCount: 0,
    discontinuities: [],
    endSegmentCount: null,
  };
}

/** Registers a source segment's duration before any rendition is done. */
export function applySourceSegment(state: PackagingState, event: SourceSegmentEvent): PackagingState {
  checkObject(event, 'invalid-index');
  const index = checkIndex(state, event.index);
  const durationMs = checkDuration(event.durationMs);
  const record = recordFor(state, index, durationMs);
  return record === state.segments[index] ? state : withRecord(state, index, record);
}

/** Records one finished rendition segment and advances the published prefix. A failed output stays failed. */
export function applySegmentDone(state: PackagingState, event: SegmentDoneEvent): PackagingState {
  checkObject(event, 'invalid-index');
  const r = renditionIndex(state, event.rendition);
  const index = checkIndex(state, event.index);
  const durationMs = checkDuration(event.durationMs);
  if (!Number.isSafeInteger(event.bytes) || event.bytes < 0) {
    throw new PackagingError('invalid-bytes', 'bytes must be a non-negative integer');
  }
  const record = recordFor(state, index, durationMs);
  const current = record.outputs[r] ?? null;
  // Failed is terminal: the gap may already be published, and HLS forbids changing a published
  // segment (RFC 8216 §6.2.1). A repeat of the same result changes nothing.
  if (current?.status === 'failed' || (current?.status === 'done' && current.bytes === event.bytes)) {
    return record === state.segments[index] ? state : withRecord(state, index, record);
  }
  return withRecord(state, index, withOutput(record, r, { status: 'done', bytes: event.bytes }));
}

/** Marks a segment as failed for good (a gap) in one or every pending rendition; done outputs are kept. */
export function applySegmentFailed(state: PackagingState, event: SegmentFailedEvent): PackagingState {
  checkObject(event, 'invalid-index');
  const only = event.rendition === undefined ? null : renditionIndex(state, event.rendition);
  const index = checkIndex(state, event.index);
  const known = state.segments[index]?.durationMs;
  const durationMs = event.durationMs === undefined ? known : checkDuration(event.durationMs);
  if (durationMs === undefined) {
    throw new PackagingError('unknown-duration', `segment ${index} failed before its duration was known`);
  }
  let record = recordFor(state, index, durationMs);
  record.outputs.forEach((output, r) => {
    if (output === null && (only === null || only === r)) record = withOutput(record, r, { status: 'failed' });
  });
  return record === state.segments[index] ? state : withRecord(state, index, record);
}

/** Continues the session after a publisher reconnect, with a discontinuity before segment `atIndex`. */
export function applyDiscontinuity(state: PackagingState, event: DiscontinuityEvent): PackagingState {
  checkObject(event, 'invalid-discontinuity');
  if (state.endSegmentCount !== null) throw new PackagingError('after-end', 'the session has ended');
  const { atIndex } = event;
  if (!Number.isSafeInteger(atIndex) || atIndex < 1) {
    throw new PackagingError('invalid-discontinuity', 'atIndex must be a positive integer');
  }
  checkAhead(state, atIndex);
  const wallClockMs = event.wallClockMs ?? null;
  if (wallClockMs !== null && (!Number.isSafeInteger(wallClockMs) || wallClockMs < 0)) {
    throw new PackagingError('invalid-discontinuity', 'wallClockMs must be a non-negative integer (Unix ms)');
  }
  const newInit = event.newInit !== false;
  const last = state.discontinuities.at(-1);
  if (last !== undefined && atIndex <= last.atIndex) {
    // A redelivered event changes nothing; anything else would rewrite history.
    const lastNewInit = last.initVersion !== (state.discontinuities.at(-2)?.initVersion ?? 0);
    if (atIndex === last.atIndex && wallClockMs === last.wallClockMs && newInit === lastNewInit) return state;
    throw new PackagingError('invalid-discontinuity', `a discontinuity at ${atIndex} does not follow the one at ${last.atIndex}`);
  }
  if (atIndex < state.publishedCount) {
    throw new PackagingError('invalid-discontinuity', `segment ${atIndex} is already published`);
  }
  const initVersion = (last?.initVersion ?? 0) + (newInit ? 1 : 0);
  return { ...state, discontinuities: [...state.discontinuities, { atIndex, wallClockMs, initVersion }] };
}

/** Ends the session (unpublish): no more segments after `segmentCount`; the output turns VOD once all are in. */
export function applyEnd(state: PackagingState, event: EndEvent = {}): PackagingState {
  checkObject(event, 'invalid-end');
  const segmentCount = event.segmentCount ?? state.segments.length;
  if (!Number.isSafeInteger(segmentCount) || segmentCount < state.segments.length) {
    throw new PackagingError('invalid-end', `segmentCount must be an integer >= ${state.segments.length} (segments already known)`);
  }
  if (state.endSegmentCount !== null) {
    if (state.endSegmentCount === segmentCount) return state;
    throw new PackagingError('invalid-end', 'the session has already ended with another segment count');
  }
  checkAhead(state, segmentCount);
  return advance({ ...state, endSegmentCount: segmentCount });
}

/** Status of one rendition's segment. */
export function segmentStatus(state: PackagingState, index: number, renditionId: string): SegmentStatus {
  const output = state.segments[index]?.outputs[renditionIndex(state, renditionId)] ?? null;
  return output === null ? 'pending' : output.status;
}

/** Where the session stands: `live`; `ending` (ended, segments still in flight); `vod` (ended and complete). */
export type SessionPhase = 'live' | 'ending' | 'vod';

/** The phase of the session; playlists are VOD (ENDLIST, static MPD) only in `vod`. */
export function sessionPhase(state: PackagingState): SessionPhase {
  if (state.endSegmentCount === null) return 'live';
  return state.publishedCount >= state.endSegmentCount ? 'vod' : 'ending';
}

/** Init segment version used by segment `index` (the workers write `initFileName(version)`). */
export function initVersionAt(state: PackagingState, index: number): number {
  let version = 0;
  for (const d of state.discontinuities) if (d.atIndex <= index) version = d.initVersion;
  return version;
}

/**
 * Media time (ms) at which segment `index` starts: the sum of all earlier durations. Media time
 * is continuous over the whole session, across discontinuities; workers write it as the
 * fragments' `tfdt` so that the DASH SegmentTimeline and the media agree.
 */
export function mediaStartMs(state: PackagingState, index: number): number {
  let sum = 0;
  for (let i = 0; i < index; i++) {
    const record = state.segments[i];
    if (record === null || record === undefined) {
      throw new PackagingError('unknown-duration', `the duration of segment ${i} is not known yet`);
    }
    sum += record.durationMs;
  }
  return sum;
}

/** Events may come straight from a JSON job payload: refuse anything but an object up front. */
export function checkObject(value: unknown, code: PackagingErrorCode): void {
  if (typeof value !== 'object' || value === null) throw new PackagingError(code, 'expected an object');
}

/** Index of the rendition `id` in `state.renditions`; `unknown-rendition` if there is none. */
export function renditionIndex(state: PackagingState, id: unknown): number {
  const r = state.renditions.findIndex((rendition) => rendition.id === id);
  if (r < 0) throw new PackagingError('unknown-rendition', 'no rendition has this id');
  return r;
}

function checkAhead(state: PackagingState, index: number): void {
  if (index > MAX_SEGMENT_INDEX) {
    throw new PackagingError('limit-exceeded', `segment index ${index} exceeds the limit ${MAX_SEGMENT_INDEX}`);
  }
  if (index - state.publishedCount > MAX_SEGMENTS_AHEAD) {
    throw new PackagingError('limit-exceeded', `segment index ${index} is more than ${MAX_SEGMENTS_AHEAD} past the published prefix`);
  }
}

/** A segment index an event may name: an integer within the limits and before the end. */
export function checkIndex(state: PackagingState, index: unknown): number {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    throw new PackagingError('invalid-index', 'segment index must be a non-negative integer');
  }
  checkAhead(state, index);
  if (state.endSegmentCount !== null && index >= state.endSegmentCount) {
    throw new PackagingError('after-end', `segment ${index} is past the end of the session (${state.endSegmentCount} segments)`);
  }
  return index;
}

function checkDuration(durationMs: unknown): number {
  // Integer ms: FLV/RTMP timestamps are integer ms, and DASH timelines use timescale 1000.
  if (typeof durationMs !== 'number' || !Number.isSafeInteger(durationMs) || durationMs < 1) {
    throw new PackagingError('invalid-duration', 'durationMs must be a positive integer');
  }
  if (durationMs > MAX_SEGMENT_DURATION_MS) {
    throw new PackagingError('limit-exceeded', `segment duration ${durationMs} ms exceeds the limit ${MAX_SEGMENT_DURATION_MS}`);
  }
  return durationMs;
}

/** The record at `index`, created (all pending) if new; refuses a duration that disagrees. */
function recordFor(state: PackagingState, index: number, durationMs: number): SegmentRecord {
  const record = state.segments[index] ?? null;
  if (record === null) return { durationMs, outputs: state.renditions.map(() => null) };
  if (record.durationMs !== durationMs) {
    throw new PackagingError('duration-mismatch', `segment ${index} is ${record.durationMs} ms long, not ${durationMs} ms`);
  }
  return record;
}

function withOutput(record: SegmentRecord, r: number, output: SegmentOutput): SegmentRecord {
  return { durationMs: record.durationMs, outputs: record.outputs.map((o, i) => (i === r ? output : o)) };
}

function withRecord(state: PackagingState, index: number, record: SegmentRecord): PackagingState {
  const segments = state.segments.slice();
  while (segments.length < index) segments.push(null);
  segments[index] = record;
  return advance({ ...state, segments });
}

/** Moves the published prefix over every index that is complete (done or failed) in all renditions. */
function advance(state: PackagingState): PackagingState {
  const limit = state.endSegmentCount ?? state.segments.length;
  let p = state.publishedCount;
  while (p < limit) {
    const record = state.segments[p];
    if (record === null || record === undefined || record.outputs.some((o) => o === null)) break;
    p++;
  }
  return p === state.publishedCount ? state : { ...state, publishedCount: p };
}
