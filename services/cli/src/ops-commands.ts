import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { archiveDurationMs } from '@headwater/api';
import type { HeadwaterConfig } from '@headwater/config';
import { LiveSessionStore, requestKick } from '@headwater/live';
import { connectRedisForCommand, connectS3ForCommand } from './infrastructure.js';

type Out = (line: string) => void;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** `headwater sessions [kick <channel>]`: the live publishes of every ingest node, or kick one channel's. */
export async function sessionsCommand(cfg: HeadwaterConfig, args: readonly string[], out: Out): Promise<number> {
  const { redis, close } = await connectRedisForCommand(cfg);
  try {
    if (args[0] === 'kick') {
      const channelId = args[1];
      if (!channelId) throw new Error('usage: headwater sessions kick <channel-id>');
      const reached = await requestKick(redis, channelId);
      out(`kick of ${channelId} sent to ${reached} ingest node(s)`);
      return reached > 0 ? 0 : 1;
    }
    const sessions = await new LiveSessionStore(redis).list();
    if (sessions.length === 0) out('no live sessions');
    const now = Date.now();
    for (const s of sessions) {
      const codecs = s.tracks.map((t) => (t.kind === 'video' && t.width ? `${t.codec} ${t.width}x${t.height ?? '?'}` : t.codec)).join(', ');
      out(
        `${s.channelId}  ${s.sessionId}  node ${s.nodeId}  up ${seconds(now - Date.parse(s.startedAt))}  ` +
          `${(s.bitrateBps / 1e6).toFixed(2)} Mb/s  ${s.fps ?? '-'} fps  ${codecs || '(no media yet)'}`,
      );
    }
    return 0;
  } finally {
    await close();
  }
}

/** `headwater recordings <channel>`: the channel's archived sessions with size and duration. */
export async function recordingsCommand(cfg: HeadwaterConfig, args: readonly string[], out: Out): Promise<number> {
  const channelId = args[0];
  if (!channelId) throw new Error('usage: headwater recordings <channel-id>');
  const { s3, close } = await connectS3ForCommand(cfg);
  try {
    const bucket = cfg.s3.bucket;
    let token: string | undefined;
    let count = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `archives/${channelId}/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const key = o.Key ?? '';
        const size = o.Size ?? 0;
        const read = async (start: number, length: number): Promise<Uint8Array> => {
          const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${start + length - 1}` }));
          return res.Body ? res.Body.transformToByteArray() : new Uint8Array(0);
        };
        const durationMs = await archiveDurationMs(read, size).catch(() => null);
        out(`${key}  ${(size / 1e6).toFixed(1)} MB  ${durationMs === null ? '?' : seconds(durationMs)}`);
        count++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (count === 0) out(`no recordings for channel ${channelId}`);
    return 0;
  } finally {
    await close();
  }
}
