import { PackagingError } from './packaging-error.js';
import type { PackagingState } from './packaging-state.js';
import { checkIndex, checkObject, initVersionAt, renditionIndex } from './packaging-state.js';
import type { Rendition } from './rendition.js';
import { isCodecString, isFrameRate, MAX_CHANNELS, MAX_PICTURE_SIDE_PX, MAX_SAMPLE_RATE_HZ } from './rendition.js';

/**
 * What a worker read from one rendition's real output (its CMAF init segment), as stored in
 * {@link PackagingState.media}. Plain JSON: `null` for what was not measured, which the
 * playlists take from the plan.
 */
export interface RenditionMedia {
  /** Init segment version the values were read from: a later version replaces an earlier one. */
  readonly initVersion: number;
  /** RFC 6381 codec string of the real track. */
  readonly codecs: string;
  /** Video: picture width in pixels. */
  readonly width: number | null;
  /** Video: picture height in pixels. */
  readonly height: number | null;
  /** Video: frames per second. */
  readonly frameRate: number | null;
  /** Audio: sample rate in Hz. */
  readonly sampleRateHz: number | null;
  /** Audio: channel count. */
  readonly channels: number | null;
}

/** A worker read a rendition's init segment. Retries and every later segment repeat it: unchanged, it changes nothing. */
export interface RenditionMediaEvent {
  readonly rendition: string;
  /** The segment whose init segment was read: its init version orders measurements across reconnects. */
  readonly index: number;
  /** RFC 6381 codec string, e.g. `avc1.64001f`. */
  readonly codecs: string;
  /** Video only, with `height`. */
  readonly width?: number;
  /** Video only, with `width`. */
  readonly height?: number;
  /** Video only. */
  readonly frameRate?: number;
  /** Audio only. */
  readonly sampleRateHz?: number;
  /** Audio only. */
  readonly channels?: number;
}

function refuse(message: string): never {
  throw new PackagingError('invalid-media', message);
}

function optionalInt(what: string, value: unknown, max: number): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) refuse(`${what} must be an integer in 1..${max}`);
  return value;
}

/**
 * Records what a worker measured in a rendition's init segment; the playlists then advertise it
 * instead of the plan's prediction (CODECS, RESOLUTION, FRAME-RATE; DASH `@codecs`, `@width`,
 * ...). A measurement from an older init version than the stored one is ignored (jobs finish
 * out of order across a reconnect); an identical one returns the state unchanged.
 */
export function applyRenditionMedia(state: PackagingState, event: RenditionMediaEvent): PackagingState {
  checkObject(event, 'invalid-media');
  const r = renditionIndex(state, event.rendition);
  const index = checkIndex(state, event.index);
  const rendition = state.renditions[r];
  if (rendition === undefined) throw new PackagingError('corrupt-state', 'missing rendition');
  if (!isCodecString(event.codecs)) refuse('codecs is not a valid codec string');
  const width = optionalInt('width', event.width, MAX_PICTURE_SIDE_PX);
  const height = optionalInt('height', event.height, MAX_PICTURE_SIDE_PX);
  if ((width === null) !== (height === null)) refuse('width and height come together');
  if (event.frameRate !== undefined && !isFrameRate(event.frameRate)) refuse('frameRate must be in (0, 1000]');
  const sampleRateHz = optionalInt('sampleRateHz', event.sampleRateHz, MAX_SAMPLE_RATE_HZ);
  const channels = optionalInt('channels', event.channels, MAX_CHANNELS);
  const video = width !== null || event.frameRate !== undefined;
  const audio = sampleRateHz !== null || channels !== null;
  if ((rendition.kind === 'video' && audio) || (rendition.kind === 'audio' && video)) {
    refuse(`a ${rendition.kind} rendition takes no ${rendition.kind === 'video' ? 'audio' : 'video'} fields`);
  }
  const next: RenditionMedia = {
    initVersion: initVersionAt(state, index),
    codecs: event.codecs,
    width,
    height,
    frameRate: event.frameRate ?? null,
    sampleRateHz,
    channels,
  };
  const current = state.media?.[r] ?? null;
  if (current !== null && (current.initVersion > next.initVersion || sameMedia(current, next))) return state;
  const media = state.renditions.map((_, i) => (i === r ? next : (state.media?.[i] ?? null)));
  return { ...state, media };
}

function sameMedia(a: RenditionMedia, b: RenditionMedia): boolean {
  return (Object.keys(b) as (keyof RenditionMedia)[]).every((key) => a[key] === b[key]);
}

/**
 * The renditions as the playlists advertise them: the plan, with every measured value in
 * place of the predicted one. States without measurements give `state.renditions` itself.
 */
export function measuredRenditions(state: PackagingState): readonly Rendition[] {
  const media = state.media;
  if (media === undefined) return state.renditions;
  return state.renditions.map((rendition, r): Rendition => {
    const m = media[r] ?? null;
    if (m === null) return rendition;
    switch (rendition.kind) {
      case 'video':
        return {
          ...rendition,
          codecs: m.codecs,
          width: m.width ?? rendition.width,
          height: m.height ?? rendition.height,
          frameRate: m.frameRate ?? rendition.frameRate,
        };
      case 'audio':
        return { ...rendition, codecs: m.codecs, sampleRateHz: m.sampleRateHz ?? rendition.sampleRateHz, channels: m.channels ?? rendition.channels };
      default:
        return rendition satisfies never;
    }
  });
}
