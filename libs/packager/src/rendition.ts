import { PackagingError } from './packaging-error.js';

/** Most renditions one session may carry (a ladder is typically 3-7 rungs plus audio). */
export const MAX_RENDITIONS = 32;

/** The audio group video renditions join when the description names none. */
export const DEFAULT_AUDIO_GROUP_ID = 'audio';

/**
 * A video rendition as the ladder planner describes it. Its CMAF segments carry video only:
 * audio is always a separate audio rendition (see {@link AudioRenditionSpec}).
 */
export interface VideoRenditionSpec {
  readonly kind: 'video';
  /** Path segment and DASH `Representation@id`: `[A-Za-z0-9][A-Za-z0-9_-]{0,63}`. */
  readonly id: string;
  /** RFC 6381 codec string of the video track, e.g. `avc1.64001f`. */
  readonly codecs: string;
  readonly width: number;
  readonly height: number;
  /** Frames per second, e.g. 29.97. */
  readonly frameRate: number;
  /** Expected bits/s (the ladder target), advertised until real segments have been measured. */
  readonly nominalBitrate: number;
  /** Audio group played with this rendition. @defaultValue the first audio group, if any */
  readonly audioGroupId?: string;
}

/** An audio-only rendition (CMAF track, usually AAC-LC `mp4a.40.2`). */
export interface AudioRenditionSpec {
  readonly kind: 'audio';
  /** Path segment and DASH `Representation@id`: `[A-Za-z0-9][A-Za-z0-9_-]{0,63}`. */
  readonly id: string;
  /** RFC 6381 codec string, e.g. `mp4a.40.2`. */
  readonly codecs: string;
  readonly sampleRateHz: number;
  readonly channels: number;
  /** Expected bits/s, advertised until real segments have been measured. */
  readonly nominalBitrate: number;
  /** HLS `GROUP-ID` / one DASH audio AdaptationSet per group. @defaultValue {@link DEFAULT_AUDIO_GROUP_ID} */
  readonly groupId?: string;
  /** BCP 47 language tag, e.g. `en`. */
  readonly language?: string;
  /** Human label (HLS `NAME`, DASH `Label`). @defaultValue the id */
  readonly name?: string;
}

/** What {@link createPackagingState} accepts for each rendition. */
export type RenditionSpec = VideoRenditionSpec | AudioRenditionSpec;

/** A video rendition as stored in the state: defaults resolved. */
export interface VideoRendition extends Omit<VideoRenditionSpec, 'audioGroupId'> {
  /** `null` when the session has no audio rendition. */
  readonly audioGroupId: string | null;
}

/** An audio rendition as stored in the state: defaults resolved. */
export interface AudioRendition extends Omit<AudioRenditionSpec, 'groupId' | 'name' | 'language'> {
  readonly groupId: string;
  readonly name: string;
  readonly language: string | null;
}

/** A rendition as stored in the state. */
export type Rendition = VideoRendition | AudioRendition;

/** Largest picture side (px) a rendition may declare. */
export const MAX_PICTURE_SIDE_PX = 16384;
/** Highest frame rate (frames/s) a rendition may declare. */
export const MAX_FRAME_RATE = 1000;
/** Highest audio sample rate (Hz) a rendition may declare. */
export const MAX_SAMPLE_RATE_HZ = 768_000;
/** Most audio channels a rendition may declare. */
export const MAX_CHANNELS = 64;

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
// RFC 6381 codec strings: letters, digits and dots (plus the '-' of ac-3/ec-3). Nothing that
// needs quoting in an HLS quoted-string or an XML attribute.
const CODECS_RE = /^[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}$/;

/** Whether `value` is a codec string the playlists can carry unquoted-safe (see CODECS_RE). */
export function isCodecString(value: unknown): value is string {
  return typeof value === 'string' && CODECS_RE.test(value);
}

/** Whether `value` is a frame rate in (0, {@link MAX_FRAME_RATE}]. */
export function isFrameRate(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value <= MAX_FRAME_RATE;
}
const LANGUAGE_RE = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}$/;
// HLS quoted-strings cannot hold '"', CR or LF (RFC 8216 §4.2); we refuse every control character.
const NAME_RE = /^[^"\u0000-\u001f\u007f]{1,64}$/;

function refuse(message: string): never {
  throw new PackagingError('invalid-rendition', message);
}

function checkInt(what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    refuse(`${what} must be an integer in ${min}..${max}`);
  }
  return value;
}

function checkMatch(what: string, value: unknown, re: RegExp): string {
  if (typeof value !== 'string' || !re.test(value)) refuse(`${what} is not valid`);
  return value;
}

/**
 * Validates the descriptions and resolves their defaults. Refuses duplicate ids, unknown audio
 * groups and anything that would need escaping in a playlist (ids become paths and DASH
 * `$RepresentationID$` values).
 */
export function normalizeRenditions(specs: readonly RenditionSpec[]): Rendition[] {
  if (!Array.isArray(specs as unknown) || specs.length === 0) refuse('a session needs at least one rendition');
  if (specs.length > MAX_RENDITIONS) {
    throw new PackagingError('limit-exceeded', `${specs.length} renditions exceed the limit ${MAX_RENDITIONS}`);
  }
  const ids = new Set<string>();
  const audioGroups: string[] = [];
  for (const spec of specs) {
    const id = checkMatch('rendition id', spec?.id, ID_RE);
    if (ids.has(id)) refuse(`rendition id ${id} is used twice`);
    ids.add(id);
    if (spec.kind === 'audio') {
      const group = checkMatch('audio group id', spec.groupId ?? DEFAULT_AUDIO_GROUP_ID, ID_RE);
      if (!audioGroups.includes(group)) audioGroups.push(group);
    }
  }
  return specs.map((spec): Rendition => {
    if (!isCodecString(spec.codecs)) refuse(`codecs of ${spec.id} is not valid`);
    checkInt(`nominalBitrate of ${spec.id}`, spec.nominalBitrate, 1, 1e11);
    switch (spec.kind) {
      case 'video': {
        checkInt(`width of ${spec.id}`, spec.width, 1, MAX_PICTURE_SIDE_PX);
        checkInt(`height of ${spec.id}`, spec.height, 1, MAX_PICTURE_SIDE_PX);
        if (!isFrameRate(spec.frameRate)) refuse(`frameRate of ${spec.id} must be in (0, ${MAX_FRAME_RATE}]`);
        const audioGroupId = spec.audioGroupId ?? audioGroups[0] ?? null;
        if (audioGroupId !== null && !audioGroups.includes(audioGroupId)) {
          refuse(`${spec.id} names an audio group no audio rendition belongs to`);
        }
        return {
          kind: 'video',
          id: spec.id,
          codecs: spec.codecs,
          width: spec.width,
          height: spec.height,
          frameRate: spec.frameRate,
          nominalBitrate: spec.nominalBitrate,
          audioGroupId,
        };
      }
      case 'audio': {
        checkInt(`sampleRateHz of ${spec.id}`, spec.sampleRateHz, 1, MAX_SAMPLE_RATE_HZ);
        checkInt(`channels of ${spec.id}`, spec.channels, 1, MAX_CHANNELS);
        const language = spec.language === undefined ? null : checkMatch(`language of ${spec.id}`, spec.language, LANGUAGE_RE);
        const name = spec.name === undefined ? spec.id : checkMatch(`name of ${spec.id}`, spec.name, NAME_RE);
        return {
          kind: 'audio',
          id: spec.id,
          codecs: spec.codecs,
          sampleRateHz: spec.sampleRateHz,
          channels: spec.channels,
          nominalBitrate: spec.nominalBitrate,
          groupId: spec.groupId ?? DEFAULT_AUDIO_GROUP_ID,
          language,
          name,
        };
      }
      default:
        // Exhaustive for typed callers; descriptions that crossed JSON may carry anything.
        spec satisfies never;
        return refuse('rendition kind must be video or audio');
    }
  });
}
