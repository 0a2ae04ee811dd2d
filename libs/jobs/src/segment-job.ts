import type { LadderPlan } from '@headwater/ladder';

/** BullMQ queue every segment job goes to (no ':' — BullMQ refuses it in queue names). */
export const SEGMENT_QUEUE_NAME = 'headwater-segments';

/** Payload version; a worker refuses any other (bump it on an incompatible change). */
export const SEGMENT_JOB_VERSION = 1;

/** Longest session or channel id accepted in a job (ids become S3 key parts and Redis keys). */
export const MAX_ID_LENGTH = 128;

/** Ids we mint (UUIDs, slugs): safe as one S3 key segment and one Redis key part. */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * One source segment to transcode into every rendition of `plan`. Written by the ingest, read
 * by any worker; plain JSON. Retrying a job overwrites the same outputs.
 */
export interface SegmentJob {
  readonly version: typeof SEGMENT_JOB_VERSION;
  readonly sessionId: string;
  readonly channelId: string;
  /** Segment index in the session, from 0. */
  readonly index: number;
  /** Session time of the segment's first video frame. */
  readonly startMs: number;
  /** Time to the next segment's start. */
  readonly durationMs: number;
  /**
   * Playback media time minus the source file's own timestamps. 0 for a session's first
   * publish; after a publisher reconnect the new publish's clock restarts, and this moves it
   * onto the playback timeline it continues (`startMs` is already on that timeline).
   * @defaultValue 0
   */
  readonly inputOffsetMs?: number;
  /** Last segment of the session. */
  readonly isLast: boolean;
  /** S3 key of this segment's Matroska file. */
  readonly sourceKey: string;
  /** S3 key of the previous segment's Matroska file (audio preroll), absent for segment 0. */
  readonly previousSourceKey?: string;
  /** The session's ladder (the same for every segment of the session). */
  readonly plan: LadderPlan;
  /** Where outputs go, ending with '/': `streams/<channelId>/<sessionId>/`. */
  readonly outputPrefix: string;
}

/** A job payload that is not a {@link SegmentJob} of this version. */
export class SegmentJobError extends Error {
  override readonly name = 'SegmentJobError';
}

function fail(message: string): never {
  throw new SegmentJobError(message);
}

/** Whether `value` is an id we accept in keys: 1..{@link MAX_ID_LENGTH} of `[A-Za-z0-9_.-]`, not starting with a symbol. */
export function isSafeId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_ID_LENGTH && ID_RE.test(value);
}

function checkKey(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024 || value.startsWith('/') || value.split('/').some((p) => p === '..' || p === '.')) {
    fail(`${what} must be a relative S3 key without '.' or '..' parts`);
  }
  // Control characters have no business in our keys (and would corrupt logs).
  if (/[\u0000-\u001f\u007f]/.test(value)) fail(`${what} contains control characters`);
  return value;
}

function checkTime(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(`${what} must be a finite number ≥ 0`);
  return value;
}

function checkPlan(value: unknown): LadderPlan {
  if (typeof value !== 'object' || value === null) fail('plan must be an object');
  const plan = value as Partial<Record<keyof LadderPlan, unknown>>;
  if (!Array.isArray(plan.video)) fail('plan.video must be an array');
  if (plan.video.length === 0 && (typeof plan.audio !== 'object' || plan.audio === null)) fail('plan has no rendition');
  for (const r of plan.video as unknown[]) {
    if (typeof r !== 'object' || r === null) fail('plan.video entries must be objects');
    const { id, kind } = r as { id?: unknown; kind?: unknown };
    if (!isSafeId(id)) fail('plan.video[].id must be a safe id');
    if (kind !== 'transcode' && kind !== 'passthrough') fail('plan.video[].kind must be transcode or passthrough');
  }
  if (plan.audio !== undefined && (typeof plan.audio !== 'object' || plan.audio === null)) fail('plan.audio must be an object when present');
  checkTime('plan.segmentDurationMs', plan.segmentDurationMs);
  if (typeof plan.presets !== 'object' || plan.presets === null) fail('plan.presets must be an object');
  if (!Array.isArray(plan.skipped)) fail('plan.skipped must be an array');
  // The rest of the plan is trusted: only our ingest writes jobs, and planLadder made it.
  return value as LadderPlan;
}

/**
 * Validates a job payload read from the queue (shape and version, not the plan's every field).
 * Throws {@link SegmentJobError}; messages never quote the payload.
 */
export function parseSegmentJob(value: unknown): SegmentJob {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('job payload must be an object');
  const v = value as Record<string, unknown>;
  if (v.version !== SEGMENT_JOB_VERSION) fail(`unsupported job version (want ${SEGMENT_JOB_VERSION})`);
  if (!isSafeId(v.sessionId)) fail('sessionId must be a safe id');
  if (!isSafeId(v.channelId)) fail('channelId must be a safe id');
  if (typeof v.index !== 'number' || !Number.isSafeInteger(v.index) || v.index < 0) fail('index must be an integer ≥ 0');
  const startMs = checkTime('startMs', v.startMs);
  const durationMs = checkTime('durationMs', v.durationMs);
  if (v.inputOffsetMs !== undefined && (typeof v.inputOffsetMs !== 'number' || !Number.isFinite(v.inputOffsetMs))) fail('inputOffsetMs must be a finite number');
  if (typeof v.isLast !== 'boolean') fail('isLast must be a boolean');
  const sourceKey = checkKey('sourceKey', v.sourceKey);
  const previousSourceKey = v.previousSourceKey === undefined ? undefined : checkKey('previousSourceKey', v.previousSourceKey);
  const outputPrefix = checkKey('outputPrefix', v.outputPrefix);
  if (!outputPrefix.endsWith('/')) fail("outputPrefix must end with '/'");
  const plan = checkPlan(v.plan);
  return {
    version: SEGMENT_JOB_VERSION,
    sessionId: v.sessionId,
    channelId: v.channelId,
    index: v.index,
    startMs,
    durationMs,
    ...(v.inputOffsetMs === undefined || v.inputOffsetMs === 0 ? {} : { inputOffsetMs: v.inputOffsetMs }),
    isLast: v.isLast,
    sourceKey,
    ...(previousSourceKey === undefined ? {} : { previousSourceKey }),
    plan,
    outputPrefix,
  };
}

/** BullMQ job id of a segment: enqueuing the same segment twice adds one job (BullMQ dedupes by id). */
export function segmentJobId(sessionId: string, index: number): string {
  return `seg-${sessionId}-${index}`;
}
