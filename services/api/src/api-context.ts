import type { S3Client } from '@aws-sdk/client-s3';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { KeyStore } from '@headwater/auth';
import type { HeadwaterConfig } from '@headwater/config';
import type { LiveSessionStore } from '@headwater/live';
import type { Logger } from '@headwater/log';
import { MPD_NAME, MULTIVARIANT_PLAYLIST_NAME } from '@headwater/packager';
import type { VodRuns } from './vod-runs.js';

/** What the route modules work with. */
export interface ApiContext {
  readonly config: HeadwaterConfig;
  readonly redis: Redis;
  readonly s3: S3Client;
  /** Signs the download URLs handed to browsers (the public endpoint). */
  readonly presignS3: S3Client;
  readonly bucket: string;
  readonly keyStore: KeyStore;
  readonly liveSessions: LiveSessionStore;
  readonly segmentQueue: Queue;
  readonly logger: Logger;
  readonly vodRuns: VodRuns;
}

/** The relative playback URLs of a session's outputs (served under `/streams/`). */
export function playbackUrls(channelId: string, sessionId: string): { hls: string; dash: string } {
  const base = `/streams/${encodeURIComponent(channelId)}/${encodeURIComponent(sessionId)}/`;
  return { hls: `${base}${MULTIVARIANT_PLAYLIST_NAME}`, dash: `${base}${MPD_NAME}` };
}
