/** Multivariant playlist, at the session root. */
export const MULTIVARIANT_PLAYLIST_NAME = 'master.m3u8';
/** DASH manifest, at the session root. */
export const MPD_NAME = 'manifest.mpd';
/** Media playlist, inside each rendition's directory. */
export const MEDIA_PLAYLIST_NAME = 'index.m3u8';

/** Media segment file of segment `index` (in the rendition's directory): `seg-<index>.m4s`, index from 0. */
export function segmentFileName(index: number): string {
  return `seg-${index}.m4s`;
}

/**
 * Init segment file for an init version: `init.mp4` for the first, `init-<n>.mp4` after a
 * reconnect that changed the codec configuration.
 */
export function initFileName(version: number): string {
  return version === 0 ? 'init.mp4' : `init-${version}.mp4`;
}

/** Path of a rendition's file relative to the session root: `<renditionId>/<file>`. */
export function renditionPath(renditionId: string, file: string): string {
  return `${renditionId}/${file}`;
}
