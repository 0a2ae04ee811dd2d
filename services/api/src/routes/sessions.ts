import type { FastifyInstance } from 'fastify';
import { getPackaging, isSafeId } from '@headwater/jobs';
import type { LiveSession } from '@headwater/live';
import { measuredRenditions, renditionBandwidths } from '@headwater/packager';
import type { PackagingState } from '@headwater/packager';
import type { ApiContext } from '../api-context.js';
import { playbackUrls } from '../api-context.js';
import { commonErrors, sessionSchema } from '../schemas.js';

/** The renditions as the playlists advertise them, with their measured bit rates. */
export function renditionViews(state: PackagingState): Record<string, unknown>[] {
  const bandwidths = renditionBandwidths(state);
  return measuredRenditions(state).map((r, i) => {
    const bw = bandwidths[i];
    const common = { id: r.id, kind: r.kind, codecs: r.codecs, bandwidth: bw?.peakBps ?? r.nominalBitrate, averageBandwidth: bw?.averageBps ?? r.nominalBitrate };
    switch (r.kind) {
      case 'video':
        return { ...common, width: r.width, height: r.height, frameRate: r.frameRate };
      case 'audio':
        return { ...common, sampleRateHz: r.sampleRateHz, channels: r.channels };
      default:
        return r satisfies never;
    }
  });
}

/** A session's packaging state, or null (none yet, expired, or unreadable: a listing must not fail for one session). */
async function packagingOf(ctx: ApiContext, sessionId: string): Promise<PackagingState | null> {
  if (!isSafeId(sessionId)) return null;
  try {
    return await getPackaging(ctx.redis, sessionId);
  } catch (err) {
    ctx.logger.warn({ sessionId, reason: (err as Error).message }, 'packaging state unreadable');
    return null;
  }
}

async function sessionView(ctx: ApiContext, s: LiveSession, nowMs: number): Promise<Record<string, unknown>> {
  const playbackSessionId = s.playbackSessionId ?? s.sessionId;
  const state = await packagingOf(ctx, playbackSessionId);
  return {
    ...s,
    playbackSessionId,
    uptimeS: Math.max(0, Math.floor((nowMs - Date.parse(s.startedAt)) / 1000)),
    renditions: state === null ? [] : renditionViews(state),
    // The playlists exist once the first segment is published (the workers write them).
    playback: state !== null && state.publishedCount > 0 ? playbackUrls(s.channelId, playbackSessionId) : null,
  };
}

/** Live sessions of every ingest node, with their transcoding outputs. */
export function sessionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/sessions',
    {
      schema: {
        tags: ['sessions'],
        security: [{ adminToken: [] }],
        operationId: 'listSessions',
        summary: 'Live publishes on every ingest node, with codecs, bit rates, renditions and playback URLs',
        response: { 200: { type: 'object', required: ['sessions'], properties: { sessions: { type: 'array', items: sessionSchema } } }, ...commonErrors },
      },
    },
    async () => {
      const now = Date.now();
      const sessions = await ctx.liveSessions.list();
      return { sessions: await Promise.all(sessions.map((s) => sessionView(ctx, s, now))) };
    },
  );
}
