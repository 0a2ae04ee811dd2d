/**
 * Per-session track state of the segmenter: the latest decoder configuration of each (kind,
 * FLV track id), what it describes, and the timing needed to estimate frame durations.
 */
import { describeAudioConfig, describeAudioFrame, describeVideoConfig, describeVideoFrame } from '@headwater/codecs';
import type { AudioDescription, VideoDescription } from '@headwater/codecs';
import { codecNeedsConfig, opusPacketChannels } from './matroska-codecs.js';
import type { MkvAudioCodec, MkvVideoCodec } from './matroska-codecs.js';

interface TrackCommon {
  /** `video:<id>` or `audio:<id>`. */
  readonly key: string;
  readonly flvTrackId: number;
  /** Owned copy of the latest non-empty SequenceStart payload. */
  config: Uint8Array | undefined;
  /** Decode time of the latest frame, ms. */
  lastDtsMs: number;
  /** Latest positive decode-time step, ms: the frame duration estimate. */
  lastDeltaMs: number;
  framesSeen: number;
}

export interface VideoSessionTrack extends TrackCommon {
  readonly kind: 'video';
  codec: MkvVideoCodec;
  description: VideoDescription | undefined;
}

export interface AudioSessionTrack extends TrackCommon {
  readonly kind: 'audio';
  codec: MkvAudioCodec;
  description: AudioDescription | undefined;
  /** Channel count of the latest MultichannelConfig packet (E-RTMP v2 §8.1). */
  multichannelChannels: number | undefined;
}

export type SessionTrack = VideoSessionTrack | AudioSessionTrack;

/** The configuration state a segment keeps for a track: what its Matroska TrackEntry is made from. */
export interface TrackSnapshot {
  codec: MkvVideoCodec | MkvAudioCodec;
  config: Uint8Array | undefined;
  description: VideoDescription | AudioDescription;
}

export function trackKey(kind: 'video' | 'audio', flvTrackId: number): string {
  return `${kind}:${flvTrackId}`;
}

/**
 * The tracks of a session by (kind, FLV track id). Every method that changes what a track's
 * Matroska TrackEntry would say returns that track; parsing happens before any change, so a
 * malformed configuration (ProtocolError) leaves the state as it was.
 */
export class SessionTracks {
  private readonly byKey = new Map<string, SessionTrack>();

  get(kind: 'video' | 'audio', flvTrackId: number): SessionTrack | undefined {
    return this.byKey.get(trackKey(kind, flvTrackId));
  }

  byTrackKey(key: string): SessionTrack | undefined {
    return this.byKey.get(key);
  }

  values(): IterableIterator<SessionTrack> {
    return this.byKey.values();
  }

  /** Applies a video SequenceStart; an empty or identical one changes nothing (returns undefined). */
  setVideoConfig(flvTrackId: number, codec: MkvVideoCodec, data: Uint8Array): VideoSessionTrack | undefined {
    const existing = this.get('video', flvTrackId) as VideoSessionTrack | undefined;
    if (data.length === 0 || (existing?.codec === codec && existing.config !== undefined && sameBytes(existing.config, data))) return undefined;
    const description = describeVideoConfig(codec, data);
    const t = existing ?? newVideoTrack(flvTrackId, codec);
    // A VP8/VP9 config has no size: keep the one the last key frame gave.
    if (t.codec === codec && description.width === undefined && t.description?.width !== undefined) {
      description.width = t.description.width;
      description.height = t.description.height;
    }
    t.codec = codec;
    t.config = data.slice();
    t.description = description;
    this.byKey.set(t.key, t);
    return t;
  }

  /** Applies an audio SequenceStart; an empty or identical one changes nothing (returns undefined). */
  setAudioConfig(flvTrackId: number, codec: MkvAudioCodec, data: Uint8Array): AudioSessionTrack | undefined {
    const existing = this.get('audio', flvTrackId) as AudioSessionTrack | undefined;
    if (data.length === 0 || (existing?.codec === codec && existing.config !== undefined && sameBytes(existing.config, data))) return undefined;
    const description = describeAudioConfig(codec, data);
    const t = existing ?? newAudioTrack(flvTrackId, codec);
    t.codec = codec;
    t.config = data.slice();
    t.description = description;
    this.byKey.set(t.key, t);
    return t;
  }

  /**
   * Records a MultichannelConfig channel count; returns the track when that changes its
   * Matroska config (only a synthesised Opus head depends on it).
   */
  setChannels(flvTrackId: number, codec: MkvAudioCodec, channels: number): AudioSessionTrack | undefined {
    const found = this.audioTrackFor(flvTrackId, codec);
    if (found === undefined) return undefined;
    const t = found.track;
    let affects = false;
    if (channels > 0 && channels !== t.multichannelChannels) {
      t.multichannelChannels = channels;
      affects = t.config === undefined && t.codec === 'Opus';
    }
    return affects || found.changed ? t : undefined;
  }

  /**
   * The track a video frame belongs to, created on the fly for codecs that need no configuration
   * (also when the codec switched without a SequenceStart: `changed`); undefined = drop the frame.
   */
  videoTrackFor(flvTrackId: number, codec: MkvVideoCodec): { track: VideoSessionTrack; changed: boolean } | undefined {
    const t = this.get('video', flvTrackId) as VideoSessionTrack | undefined;
    if (t?.codec === codec) return { track: t, changed: false };
    if (codecNeedsConfig(codec)) return undefined;
    const fresh = newVideoTrack(flvTrackId, codec);
    return { track: this.replace(fresh), changed: t !== undefined };
  }

  /** As {@link videoTrackFor}, for audio frames. */
  audioTrackFor(flvTrackId: number, codec: MkvAudioCodec): { track: AudioSessionTrack; changed: boolean } | undefined {
    const t = this.get('audio', flvTrackId) as AudioSessionTrack | undefined;
    if (t?.codec === codec) return { track: t, changed: false };
    if (codecNeedsConfig(codec)) return undefined;
    const fresh = newAudioTrack(flvTrackId, codec);
    return { track: this.replace(fresh), changed: t !== undefined };
  }

  private replace<T extends SessionTrack>(fresh: T): T {
    this.byKey.set(fresh.key, fresh);
    return fresh;
  }
}

function newVideoTrack(flvTrackId: number, codec: MkvVideoCodec): VideoSessionTrack {
  return { key: trackKey('video', flvTrackId), kind: 'video', flvTrackId, codec, config: undefined, description: undefined, lastDtsMs: -Infinity, lastDeltaMs: 0, framesSeen: 0 };
}

function newAudioTrack(flvTrackId: number, codec: MkvAudioCodec): AudioSessionTrack {
  return {
    key: trackKey('audio', flvTrackId),
    kind: 'audio',
    flvTrackId,
    codec,
    config: undefined,
    description: undefined,
    multichannelChannels: undefined,
    lastDtsMs: -Infinity,
    lastDeltaMs: 0,
    framesSeen: 0,
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Fills what a VP8/VP9 key frame tells (its size) into a description that lacks it. Returns
 * 'changed' when the frame's size differs from a size already known (a resolution change).
 */
export function describeVideoKeyframe(track: VideoSessionTrack, frame: Uint8Array): 'same' | 'filled' | 'changed' {
  if (track.codec !== 'vp09' && track.codec !== 'vp08') return 'same';
  const d = describeVideoFrame(track.codec, frame);
  if (d === undefined) return 'same';
  const base = track.description ?? { codec: track.codec, codecString: track.codec };
  if (base.width === undefined || base.height === undefined) {
    track.description = { ...base, ...d };
    return 'filled';
  }
  if (base.width === d.width && base.height === d.height) return 'same';
  track.description = { ...base, ...d };
  return 'changed';
}

/**
 * The description a segment's TrackEntry is written from: the config's, completed from the
 * first frame where the parameters live in the frames (AC-3, E-AC-3, MP3; Opus without a head).
 */
export function audioDescriptionForFrame(track: AudioSessionTrack, frame: Uint8Array): AudioDescription {
  const base = track.description ?? describeAudioConfig(track.codec, track.config ?? new Uint8Array(0));
  if (base.sampleRate !== undefined && base.channels !== undefined) return base;
  if (track.codec === 'Opus') {
    return { ...base, sampleRate: 48000, channels: track.multichannelChannels ?? opusPacketChannels(frame) ?? 2 };
  }
  return describeAudioFrame(track.codec, frame) ?? base;
}

/** A frame duration estimate in ms: the last decode-time step, else what the codec implies. */
export function frameDurationMs(track: SessionTrack): number {
  if (track.lastDeltaMs > 0) return track.lastDeltaMs;
  const d = track.description;
  if (track.kind === 'video') return d !== undefined && 'frameRate' in d && d.frameRate ? 1000 / d.frameRate : 0;
  const rate = track.description?.sampleRate;
  if (rate === undefined || rate <= 0) return 0;
  return (1000 * audioFrameSamples(track)) / rate;
}

/** Samples per frame of each audio codec (AAC 1024, HE-AAC 2048 at the output rate, Opus 20 ms typical). */
function audioFrameSamples(track: AudioSessionTrack): number {
  switch (track.codec) {
    case 'mp4a':
      return track.description?.objectType === 5 || track.description?.objectType === 29 ? 2048 : 1024;
    case 'Opus':
      return 960;
    case 'fLaC':
      return 4096;
    case 'ac-3':
    case 'ec-3':
      return 1536;
    case '.mp3':
      return 1152;
    default: {
      const never: never = track.codec;
      return never;
    }
  }
}
