import { isSafeId } from '@headwater/jobs';

/** One track of a live publish, as the ingest's track catalog describes it. */
export interface LiveTrack {
  readonly kind: 'video' | 'audio';
  readonly trackId: number;
  /** FourCC (`avc1`, `hvc1`, `av01`, `Opus`…) or the legacy FLV codec name. */
  readonly codec: string;
  /** RFC 6381 codec string, once the sequence header was parsed. */
  readonly codecString?: string;
  readonly width?: number;
  readonly height?: number;
  /** Declared frames per second (metadata); the measured rate is {@link LiveSession.fps}. */
  readonly frameRate?: number;
  readonly sampleRate?: number;
  readonly channels?: number;
}

/**
 * A publish in progress on some ingest node, as that node last reported it. Never carries the
 * stream key nor the client's address (privacy: this is listed to operators and dashboards).
 */
export interface LiveSession {
  readonly sessionId: string;
  readonly channelId: string;
  /**
   * The playback session the publish feeds, when it continues an earlier one after a reconnect
   * (its outputs live under that id); absent = `sessionId`.
   */
  readonly playbackSessionId?: string;
  /** The ingest node (config `nodeId`). */
  readonly nodeId: string;
  /** RTMP application name. */
  readonly app: string;
  /** ISO 8601. */
  readonly startedAt: string;
  /** RTMPS. */
  readonly secure: boolean;
  readonly tracks: readonly LiveTrack[];
  /** Ingest bit rate over the last ~5 s. */
  readonly bitrateBps: number;
  /** Measured video frames per second; null without video or before enough frames. */
  readonly fps: number | null;
  readonly bytesIn: number;
  /** ISO 8601: when the node last refreshed this entry. */
  readonly updatedAt: string;
}

/** Longest serialized session accepted (a publish has at most a few dozen tracks). */
export const MAX_LIVE_SESSION_BYTES = 64 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isShortString = (v: unknown): v is string => typeof v === 'string' && v.length <= 1024;
const optional = (v: unknown, check: (v: unknown) => boolean): boolean => v === undefined || check(v);

function isLiveTrack(v: unknown): v is LiveTrack {
  if (!isObject(v)) return false;
  return (
    (v.kind === 'video' || v.kind === 'audio') &&
    isCount(v.trackId) &&
    isShortString(v.codec) &&
    optional(v.codecString, isShortString) &&
    optional(v.width, isCount) &&
    optional(v.height, isCount) &&
    optional(v.frameRate, isCount) &&
    optional(v.sampleRate, isCount) &&
    optional(v.channels, isCount)
  );
}

/**
 * Whether `v` is a well-formed {@link LiveSession}. Entries come from other processes through
 * Redis: one that is not ours is dropped rather than trusted.
 */
export function isLiveSession(v: unknown): v is LiveSession {
  if (!isObject(v)) return false;
  return (
    isSafeId(v.sessionId) &&
    isSafeId(v.channelId) &&
    optional(v.playbackSessionId, isSafeId) &&
    isShortString(v.nodeId) &&
    isShortString(v.app) &&
    isShortString(v.startedAt) &&
    !Number.isNaN(Date.parse(v.startedAt)) &&
    typeof v.secure === 'boolean' &&
    Array.isArray(v.tracks) &&
    v.tracks.every(isLiveTrack) &&
    isCount(v.bitrateBps) &&
    (v.fps === null || isCount(v.fps)) &&
    isCount(v.bytesIn) &&
    isShortString(v.updatedAt)
  );
}

/** The session from its stored JSON, or null for anything else. */
export function decodeLiveSession(raw: string): LiveSession | null {
  if (raw.length > MAX_LIVE_SESSION_BYTES) return null;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  return isLiveSession(v) ? v : null;
}
