import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { _Object } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { FastifyInstance } from 'fastify';
import { parseArchiveObjectKey } from '@headwater/ingest';
import type { ApiContext } from '../api-context.js';
import { ApiError } from '../api-error.js';
import { archiveDurationMs } from '../archive-duration.js';
import type { RangeReader } from '../archive-duration.js';
import { channelParamsSchema, commonErrors, errorSchema, recordingSchema } from '../schemas.js';

/** Lifetime of a presigned download URL. */
export const DOWNLOAD_URL_TTL_S = 3600;
/** Archive objects examined per listing (ten ListObjectsV2 pages); the newest are returned. */
export const MAX_LISTED_ARCHIVES = 10_000;
/** Recordings returned when the query names no limit. */
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Parallel duration probes (two or three small ranged GETs each). */
const PROBE_CONCURRENCY = 8;
/** Durations remembered; an archive never changes once its upload completed (keyed with its ETag). */
const MAX_CACHED_DURATIONS = 10_000;

/** Maps `items` through `fn`, at most `limit` at a time, keeping the order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(lanes);
  return out;
}

function unavailable(ctx: ApiContext, err: unknown): ApiError {
  ctx.logger.warn({ reason: (err as Error).name }, 'object store request failed');
  return new ApiError(503, 'object-store-unavailable', 'the object store did not answer');
}

async function listArchives(ctx: ApiContext, channelId: string): Promise<_Object[]> {
  const objects: _Object[] = [];
  let token: string | undefined;
  do {
    const page = await ctx.s3.send(
      new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: `archives/${channelId}/`, ...(token === undefined ? {} : { ContinuationToken: token }) }),
    );
    objects.push(...(page.Contents ?? []));
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined && objects.length < MAX_LISTED_ARCHIVES);
  return objects;
}

/** Archived sessions of a channel: sizes, durations and presigned download URLs. */
export function recordingRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const durations = new Map<string, number | null>();

  const rangeReader =
    (key: string): RangeReader =>
    async (start, length) => {
      // Absolute ranges only: some S3-compatible stores (s3rver) misread suffix ranges.
      const got = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: key, Range: `bytes=${start}-${start + length - 1}` }));
      return got.Body === undefined ? new Uint8Array(0) : got.Body.transformToByteArray();
    };

  async function durationOf(key: string, sizeBytes: number, etag: string | undefined): Promise<number | null> {
    const cacheKey = `${key}\n${etag ?? ''}\n${sizeBytes}`;
    const cached = durations.get(cacheKey);
    if (cached !== undefined) return cached;
    let duration: number | null;
    try {
      duration = await archiveDurationMs(rangeReader(key), sizeBytes);
    } catch (err) {
      // Not cached: the store may answer next time.
      ctx.logger.debug({ reason: (err as Error).name }, 'archive duration probe failed');
      return null;
    }
    if (durations.size >= MAX_CACHED_DURATIONS) durations.clear();
    durations.set(cacheKey, duration);
    return duration;
  }

  app.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/channels/:id/recordings',
    {
      schema: {
        tags: ['recordings'],
        security: [{ adminToken: [] }],
        operationId: 'listRecordings',
        summary: "A channel's archived sessions, newest first, with presigned download URLs (valid one hour)",
        params: channelParamsSchema,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT } },
        },
        response: { 200: { type: 'object', required: ['recordings'], properties: { recordings: { type: 'array', items: recordingSchema } } }, ...commonErrors, 503: errorSchema },
      },
    },
    async (req) => {
      const channelId = req.params.id;
      let objects: _Object[];
      try {
        objects = await listArchives(ctx, channelId);
      } catch (err) {
        throw unavailable(ctx, err);
      }
      const archives = objects
        .flatMap((o) => {
          const parsed = o.Key === undefined ? null : parseArchiveObjectKey(o.Key);
          return parsed === null || parsed.channelId !== channelId ? [] : [{ key: o.Key as string, bytes: o.Size ?? 0, etag: o.ETag, ...parsed }];
        })
        .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.key < b.key ? 1 : -1))
        .slice(0, req.query.limit ?? DEFAULT_LIMIT);
      const expiresAt = new Date(Date.now() + DOWNLOAD_URL_TTL_S * 1000).toISOString();
      const recordings = await mapLimit(archives, PROBE_CONCURRENCY, async (a) => ({
        key: a.key,
        sessionId: a.sessionId,
        startedAt: a.startedAt.toISOString(),
        bytes: a.bytes,
        durationMs: await durationOf(a.key, a.bytes, a.etag),
        downloadUrl: await getSignedUrl(
          ctx.presignS3,
          new GetObjectCommand({ Bucket: ctx.bucket, Key: a.key, ResponseContentDisposition: `attachment; filename="${`${channelId}_${a.sessionId}`.replace(/[^A-Za-z0-9_.-]/g, '_')}.flv"` }),
          { expiresIn: DOWNLOAD_URL_TTL_S },
        ),
        downloadExpiresAt: expiresAt,
      }));
      return { recordings };
    },
  );
}
