import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../api-context.js';

/** How long readiness waits for Redis and S3 to answer. */
export const READINESS_TIMEOUT_MS = 2000;

/** Structural view of a prom-client `Registry`: all `/metrics` needs. */
export interface MetricsRegistry {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** Resolves true if `check` succeeds within the timeout (the connections may retry forever). */
async function answers(check: (signal: AbortSignal) => Promise<unknown>): Promise<boolean> {
  const signal = AbortSignal.timeout(READINESS_TIMEOUT_MS);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), READINESS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check(signal).then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const statusSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    checks: { type: 'object', properties: { redis: { type: 'boolean' }, s3: { type: 'boolean' } } },
  },
} as const;

/** `/healthz` (the process runs), `/readyz` (Redis and S3 answer) and `/metrics`. */
export function healthRoutes(app: FastifyInstance, ctx: ApiContext, registry: MetricsRegistry | undefined): void {
  app.get('/healthz', { schema: { tags: ['operations'], operationId: 'health', summary: 'Liveness: the process answers', response: { 200: statusSchema } } }, () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { tags: ['operations'], operationId: 'ready', summary: 'Readiness: Redis and the object store answer (503 otherwise)', response: { 200: statusSchema, 503: statusSchema } } },
    async (_req, reply) => {
      const [redis, s3] = await Promise.all([
        answers(() => ctx.redis.ping()),
        answers((abortSignal) => ctx.s3.send(new HeadBucketCommand({ Bucket: ctx.bucket }), { abortSignal })),
      ]);
      const ok = redis && s3;
      return reply.code(ok ? 200 : 503).header('cache-control', 'no-store').send({ status: ok ? 'ok' : 'unavailable', checks: { redis, s3 } });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition format); 404 when the process has no registry',
      },
    },
    async (_req, reply) => {
      if (registry === undefined) return reply.code(404).send('metrics are not enabled in this process\n');
      return reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(await registry.metrics());
    },
  );
}
