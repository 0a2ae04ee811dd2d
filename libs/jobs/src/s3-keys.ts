import { SegmentJobError, isSafeId } from './segment-job.js';

function ids(channelId: string, sessionId: string): string {
  // Ids only, never a stream key: keys end up in playlists, logs and bucket listings.
  if (!isSafeId(channelId)) throw new SegmentJobError('channelId must be a safe id');
  if (!isSafeId(sessionId)) throw new SegmentJobError('sessionId must be a safe id');
  return `${channelId}/${sessionId}`;
}

/** S3 prefix of a session's playback outputs (playlists, MPD, renditions): `streams/<channelId>/<sessionId>/`. */
export function outputPrefix(channelId: string, sessionId: string): string {
  return `streams/${ids(channelId, sessionId)}/`;
}

/** S3 key of a source segment: `sources/<channelId>/<sessionId>/src-<index>.mkv`. */
export function sourceSegmentKey(channelId: string, sessionId: string, index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new SegmentJobError('index must be an integer ≥ 0');
  return `sources/${ids(channelId, sessionId)}/src-${index}.mkv`;
}
