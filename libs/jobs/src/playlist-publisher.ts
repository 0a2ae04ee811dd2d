import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Redis } from 'ioredis';
import { MEDIA_PLAYLIST_NAME, MPD_NAME, MULTIVARIANT_PLAYLIST_NAME, mediaPlaylist, mpd, multivariantPlaylist, renditionPath } from '@headwater/packager';
import type { PackagingState } from '@headwater/packager';
import { readPackaging } from './packaging-store.js';

/** Content types of everything a session's output prefix holds. */
export const CONTENT_TYPES = {
  init: 'video/mp4',
  segment: 'video/iso.segment',
  hls: 'application/vnd.apple.mpegurl',
  dash: 'application/dash+xml',
} as const;

/** Where playlists are written and the state they are written from. */
export interface PlaylistDeps {
  s3: S3Client;
  bucket: string;
  redis: Redis;
}

/** Writes one object (a retry overwrites the same key). */
export async function putObject(deps: Pick<PlaylistDeps, 's3' | 'bucket'>, key: string, body: Uint8Array | string, contentType: string): Promise<void> {
  await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: body, ContentType: contentType }));
}

/**
 * Writes the session's playlists and MPD from the newest state. Several writers (workers, the
 * ingest ending a session) run concurrently, so after writing we check that no newer state
 * appeared meanwhile and rewrite if one did: whoever writes last also checks last, so the files
 * converge to the newest state.
 */
export async function publishPlaylists(deps: PlaylistDeps, sessionId: string, outputPrefix: string): Promise<PackagingState | null> {
  for (;;) {
    const read = await readPackaging(deps.redis, sessionId);
    if (read === null) return null;
    const { state, revision } = read;
    await Promise.all([
      putObject(deps, `${outputPrefix}${MULTIVARIANT_PLAYLIST_NAME}`, multivariantPlaylist(state), CONTENT_TYPES.hls),
      putObject(deps, `${outputPrefix}${MPD_NAME}`, mpd(state), CONTENT_TYPES.dash),
      ...state.renditions.map((r) => putObject(deps, `${outputPrefix}${renditionPath(r.id, MEDIA_PLAYLIST_NAME)}`, mediaPlaylist(state, r.id), CONTENT_TYPES.hls)),
    ]);
    const after = await readPackaging(deps.redis, sessionId);
    if (after === null || after.revision === revision) return state;
  }
}
