import { randomBytes } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { ArchiveTranscodeError, parseArchiveObjectKey, transcodeArchive } from '@headwater/ingest';
import { getPackaging, isSafeId } from '@headwater/jobs';
import { sessionPhase } from '@headwater/packager';
import type { ApiContext } from '../api-context.js';
import { playbackUrls } from '../api-context.js';
import { ApiError } from '../api-error.js';
import { commonErrors, errorSchema, playbackSchema, safeIdSchema, vodStatusSchema } from '../schemas.js';

/**
 * How long `POST /recordings/vod` waits for the transcode to get going (its packaging state
 * appears with the first segment) before answering 202 anyway: long enough to report an archive
 * that cannot be transcoded as a 422, short enough for an HTTP request.
 */
const START_WAIT_MS = 5000;
const START_POLL_MS = 100;
const MAX_ARCHIVE_KEY_CHARS = 1024;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/** Waits until the run fails (thrown as an ApiError), finishes, or its packaging state exists; at most {@link START_WAIT_MS}. */
async function waitForStart(ctx: ApiContext, sessionId: string, run: Promise<unknown>): Promise<void> {
  let failure: { err: unknown } | undefined;
  let settled = false;
  run.then(
    () => (settled = true),
    (err: unknown) => {
      settled = true;
      failure = { err };
    },
  );
  const deadline = Date.now() + START_WAIT_MS;
  while (!settled && Date.now() < deadline) {
    if ((await getPackaging(ctx.redis, sessionId)) !== null) return;
    await sleep(START_POLL_MS);
  }
  if (failure === undefined) return;
  const err = failure.err;
  if (err instanceof ArchiveTranscodeError) throw new ApiError(422, 'archive-not-transcodable', err.message);
  // The FLV parser's ProtocolError (@headwater/bytes): the object is not a readable FLV file.
  if (err instanceof Error && err.name === 'ProtocolError') throw new ApiError(422, 'archive-not-transcodable', `the archive is not a readable FLV file (${err.message})`);
  throw err;
}

/** VOD transcodes of archived sessions (through the segment queue, like live) and their progress. */
export function vodRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: { key: string } }>(
    '/recordings/vod',
    {
      schema: {
        tags: ['recordings'],
        security: [{ adminToken: [] }],
        operationId: 'transcodeRecording',
        summary: 'Transcodes an archived session into an HLS + DASH ladder (a new playback session)',
        description:
          'Answers 202 once the archive is being read; the segment jobs go through the segment queue at a lower priority than live ones. Poll GET /api/v1/vod/{sessionId}.',
        body: {
          type: 'object',
          required: ['key'],
          additionalProperties: false,
          properties: { key: { type: 'string', minLength: 1, maxLength: MAX_ARCHIVE_KEY_CHARS, description: 'Archive object key, as listed by the recordings route.' } },
        },
        response: {
          202: { type: 'object', required: ['sessionId', 'channelId', 'playback'], properties: { sessionId: { type: 'string' }, channelId: { type: 'string' }, playback: playbackSchema } },
          ...commonErrors,
          404: errorSchema,
          422: errorSchema,
          429: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (req, reply) => {
      const key = req.body.key;
      const source = parseArchiveObjectKey(key);
      if (source === null || !isSafeId(source.channelId) || !isSafeId(source.sessionId)) {
        throw new ApiError(400, 'invalid-request', 'key is not an archive object key (archives/<channel>/<day>/<start>_<session>.flv)');
      }
      try {
        await ctx.s3.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: key }));
      } catch (err) {
        if (isNotFound(err)) throw new ApiError(404, 'recording-not-found', 'no such recording');
        ctx.logger.warn({ reason: (err as Error).name }, 'object store request failed');
        throw new ApiError(503, 'object-store-unavailable', 'the object store did not answer');
      }
      if (ctx.vodRuns.full) throw new ApiError(429, 'too-many-requests', 'too many recordings being read at once; retry later');
      const sessionId = `vod-${source.sessionId}-${randomBytes(3).toString('hex')}`;
      if (!isSafeId(sessionId)) throw new ApiError(400, 'invalid-request', 'archive session id too long');
      const run = ctx.vodRuns.start(sessionId, source.channelId, (signal) =>
        transcodeArchive({
          s3: ctx.s3,
          bucket: ctx.bucket,
          redis: ctx.redis,
          queue: ctx.segmentQueue,
          logger: ctx.logger,
          archiveKey: key,
          sessionId,
          ladder: { segmentDurationMs: ctx.config.transcode.segmentDurationMs },
          signal,
        }),
      );
      await waitForStart(ctx, sessionId, run);
      ctx.logger.info({ channelId: source.channelId, sessionId }, 'VOD transcode started');
      return reply.code(202).send({ sessionId, channelId: source.channelId, playback: playbackUrls(source.channelId, sessionId) });
    },
  );

  app.get<{ Params: { sessionId: string } }>(
    '/vod/:sessionId',
    {
      schema: {
        tags: ['recordings'],
        security: [{ adminToken: [] }],
        operationId: 'getVod',
        summary: 'Progress of a transcode (any playback session, VOD or live)',
        params: { type: 'object', required: ['sessionId'], properties: { sessionId: safeIdSchema } },
        response: { 200: vodStatusSchema, ...commonErrors, 404: errorSchema },
      },
    },
    async (req) => {
      const { sessionId } = req.params;
      const state = await getPackaging(ctx.redis, sessionId);
      const run = ctx.vodRuns.get(sessionId);
      if (run?.status === 'failed') return { sessionId, channelId: run.channelId, phase: 'failed', segments: state?.segments.length ?? 0, published: state?.publishedCount ?? 0, playback: null, error: run.reason };
      if (state !== null) {
        return {
          sessionId,
          channelId: state.channelId,
          phase: sessionPhase(state),
          segments: state.endSegmentCount ?? state.segments.length,
          published: state.publishedCount,
          playback: state.publishedCount > 0 ? playbackUrls(state.channelId, sessionId) : null,
        };
      }
      if (run !== undefined) return { sessionId, channelId: run.channelId, phase: 'preparing', segments: 0, published: 0, playback: null };
      throw new ApiError(404, 'vod-not-found', 'no such session (or its state expired)');
    },
  );
}
