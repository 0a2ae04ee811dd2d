import { isoDateTime } from './iso-time.js';
import { PackagingError } from './packaging-error.js';
import type { PackagingState } from './packaging-state.js';
import { sessionPhase } from './packaging-state.js';
import { initFileName, MEDIA_PLAYLIST_NAME, renditionPath, segmentFileName } from './paths.js';
import type { AudioRendition, VideoRendition } from './rendition.js';
import { measuredRenditions } from './rendition-media.js';
import { buildTimeline, DEFAULT_LIVE_WINDOW_SEGMENTS, renditionBandwidths, targetDurationS, windowOf } from './timeline.js';

/** Every playlist declares version 7 (EXT-X-MAP without I-FRAMES-ONLY needs 6; RFC 8216 §7). */
export const HLS_VERSION = 7;

/** Options of {@link multivariantPlaylist}. */
export interface MultivariantPlaylistOptions {
  /** URI of a rendition's media playlist, relative to the multivariant playlist. @defaultValue `<id>/index.m3u8` */
  readonly mediaPlaylistUri?: (renditionId: string) => string;
}

/** Options of {@link mediaPlaylist}. */
export interface MediaPlaylistOptions {
  /**
   * Segments shown while live (sliding window); a VOD shows all. `Infinity` keeps every segment
   * and marks the playlist `EVENT`. @defaultValue 6
   */
  readonly windowSegments?: number;
  /** Lower bound of EXT-X-TARGETDURATION (s): the segmenter's target, so the tag stays put while live. @defaultValue 1 */
  readonly minTargetDurationS?: number;
}

/**
 * The multivariant playlist (RFC 8216 §4.4.6). Audio is a separate rendition (CMAF tracks are
 * single-media): each audio group becomes `EXT-X-MEDIA:TYPE=AUDIO` entries that the video
 * variants reference with `AUDIO`; a session without video lists its audio renditions as variants.
 * BANDWIDTH and AVERAGE-BANDWIDTH add the video rendition's measured rates to the highest of
 * its audio group (§4.3.4.2: the peak of any playable combination). CODECS, RESOLUTION,
 * FRAME-RATE and CHANNELS come from the real init segments once a worker has read them
 * (`applyRenditionMedia`), from the plan before.
 */
export function multivariantPlaylist(state: PackagingState, opts: MultivariantPlaylistOptions = {}): string {
  const uri = opts.mediaPlaylistUri ?? ((id: string) => renditionPath(id, MEDIA_PLAYLIST_NAME));
  const bandwidths = renditionBandwidths(state);
  const videos: { rendition: VideoRendition; r: number }[] = [];
  const audios: { rendition: AudioRendition; r: number }[] = [];
  measuredRenditions(state).forEach((rendition, r) => {
    if (rendition.kind === 'video') videos.push({ rendition, r });
    else audios.push({ rendition, r });
  });
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${HLS_VERSION}`, '#EXT-X-INDEPENDENT-SEGMENTS'];

  const defaulted = new Set<string>();
  // Audio-only sessions list their audio renditions as variants instead (below).
  for (const { rendition } of videos.length === 0 ? [] : audios) {
    const attrs = [
      'TYPE=AUDIO',
      `GROUP-ID=${quoted(rendition.groupId)}`,
      `NAME=${quoted(rendition.name)}`,
      ...(rendition.language === null ? [] : [`LANGUAGE=${quoted(rendition.language)}`]),
      // The first rendition of each group is its default (§4.4.6.1.1: at most one DEFAULT=YES per group).
      `DEFAULT=${defaulted.has(rendition.groupId) ? 'NO' : 'YES'}`,
      'AUTOSELECT=YES',
      `CHANNELS=${quoted(String(rendition.channels))}`,
      `URI=${quoted(uri(rendition.id))}`,
    ];
    defaulted.add(rendition.groupId);
    lines.push(`#EXT-X-MEDIA:${attrs.join(',')}`);
  }

  const audioOf = (groupId: string | null) => audios.filter(({ rendition }) => rendition.groupId === groupId);
  const max = (values: number[]) => values.reduce((a, b) => Math.max(a, b), 0);
  for (const { rendition, r } of videos) {
    const group = audioOf(rendition.audioGroupId);
    const own = bandwidths[r];
    if (own === undefined) throw new PackagingError('corrupt-state', 'missing bandwidth');
    const peak = own.peakBps + max(group.map((a) => bandwidths[a.r]?.peakBps ?? 0));
    const average = own.averageBps + max(group.map((a) => bandwidths[a.r]?.averageBps ?? 0));
    const codecs = [rendition.codecs, ...new Set(group.map((a) => a.rendition.codecs))];
    const attrs = [
      `BANDWIDTH=${peak}`,
      `AVERAGE-BANDWIDTH=${average}`,
      `CODECS=${quoted(codecs.join(','))}`,
      `RESOLUTION=${rendition.width}x${rendition.height}`,
      `FRAME-RATE=${rendition.frameRate.toFixed(3)}`,
      ...(rendition.audioGroupId === null ? [] : [`AUDIO=${quoted(rendition.audioGroupId)}`]),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, uri(rendition.id));
  }
  if (videos.length === 0) {
    for (const { rendition, r } of audios) {
      const own = bandwidths[r];
      if (own === undefined) throw new PackagingError('corrupt-state', 'missing bandwidth');
      lines.push(
        `#EXT-X-STREAM-INF:BANDWIDTH=${own.peakBps},AVERAGE-BANDWIDTH=${own.averageBps},CODECS=${quoted(rendition.codecs)}`,
        uri(rendition.id),
      );
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * The media playlist of one rendition (RFC 8216 §4.4.4, §4.4.5). Shows the published prefix
 * only; while live, the last `windowSegments` of it. Failed segments stay in as `EXT-X-GAP`
 * (with their EXTINF and URI) so timing and numbering never shift. Once the session ended and
 * every segment is in, it is the full-session VOD (`PLAYLIST-TYPE:VOD`, `ENDLIST`).
 */
export function mediaPlaylist(state: PackagingState, renditionId: string, opts: MediaPlaylistOptions = {}): string {
  const r = state.renditions.findIndex((rendition) => rendition.id === renditionId);
  if (r < 0) throw new PackagingError('unknown-rendition', 'no rendition has this id');
  const vod = sessionPhase(state) === 'vod';
  const windowSegments = opts.windowSegments ?? DEFAULT_LIVE_WINDOW_SEGMENTS;
  const timeline = buildTimeline(state);
  const shown = windowOf(timeline, vod, windowSegments);
  const first = shown[0];

  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${HLS_VERSION}`,
    `#EXT-X-TARGETDURATION:${targetDurationS(timeline, opts.minTargetDurationS)}`,
    `#EXT-X-MEDIA-SEQUENCE:${first?.index ?? timeline.length}`,
    // Discontinuities before the first shown segment, including one attached to it: its tag is
    // not repeated at the top of the playlist (§6.2.2: the sequence counts removed tags).
    `#EXT-X-DISCONTINUITY-SEQUENCE:${first?.discontinuitySequence ?? timeline.at(-1)?.discontinuitySequence ?? 0}`,
  ];
  if (vod) lines.push('#EXT-X-PLAYLIST-TYPE:VOD');
  else if (windowSegments === Infinity) lines.push('#EXT-X-PLAYLIST-TYPE:EVENT');

  let initVersion = -1;
  for (const segment of shown) {
    const isFirst = segment === first;
    if (segment.discontinuity && !isFirst) lines.push('#EXT-X-DISCONTINUITY');
    if (segment.initVersion !== initVersion) {
      lines.push(`#EXT-X-MAP:URI=${quoted(initFileName(segment.initVersion))}`);
      initVersion = segment.initVersion;
    }
    if (isFirst || segment.discontinuity) {
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${isoDateTime(state.startedAtMs + segment.presentationStartMs)}`);
    }
    lines.push(`#EXTINF:${(segment.durationMs / 1000).toFixed(3)},`);
    if (segment.outputs[r]?.status === 'failed') lines.push('#EXT-X-GAP');
    lines.push(segmentFileName(segment.index));
  }
  if (vod) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

/** An HLS quoted-string. Values were validated at session creation to hold no '"', CR or LF. */
function quoted(value: string): string {
  return `"${value}"`;
}
