import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import swagger from '@fastify/swagger';
import type { Queue } from 'bullmq';
import { LogController, fastify } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { KeyStore } from '@headwater/auth';
import { KeyStoreError } from '@headwater/auth';
import type { HeadwaterConfig } from '@headwater/config';
import type { LiveSessionStore } from '@headwater/live';
import type { Logger } from '@headwater/log';
import { bearerToken, tokenMatches } from './admin-auth.js';
import type { ApiContext } from './api-context.js';
import { ApiError, errorBody } from './api-error.js';
import type { PlaybackHandler } from './playback.js';
import { channelRoutes } from './routes/channels.js';
import { healthRoutes } from './routes/health.js';
import type { MetricsRegistry } from './routes/health.js';
import { recordingRoutes } from './routes/recordings.js';
import { sessionRoutes } from './routes/sessions.js';
import { vodRoutes } from './routes/vod.js';
import { DEFAULT_STATIC_DIR, staticRoutes } from './static-files.js';
import { VodRuns } from './vod-runs.js';

/** Version of the control API: the `/api/v1` prefix and the OpenAPI `info.version`. */
export const API_VERSION = '1.0.0';
/** Prefix of the authenticated routes. */
export const API_PREFIX = '/api/v1';
/** Where the OpenAPI 3 document is served (open, like the dashboard that reads it). */
export const OPENAPI_PATH = '/api/openapi.json';
/** Largest request body (the API takes small JSON objects only). */
const BODY_LIMIT_BYTES = 64 * 1024;
/** An API request taking longer (Redis or S3 hanging) is answered 503. */
const API_HANDLER_TIMEOUT_MS = 30_000;

export interface ApiServerOptions {
  config: HeadwaterConfig;
  redis: Redis;
  s3: S3Client;
  bucket: string;
  keyStore: KeyStore;
  liveSessions: LiveSessionStore;
  /** The segment queue (`SEGMENT_QUEUE_NAME`): VOD transcodes enqueue their jobs there. */
  segmentQueue: Queue;
  /** prom-client `Registry` served at `/metrics`; without it `/metrics` is 404. */
  registry?: MetricsRegistry;
  /** Raw handler of `/streams/*` (see `createPlaybackHandler`); without it those paths are 404. */
  playback?: PlaybackHandler;
  logger: Logger;
  /** Bearer token of `/api/v1/*`. Secret: never logged. */
  adminToken: string;
  /**
   * Signs download URLs for browsers when the S3 endpoint the roles use is internal (say
   * `http://minio:9000`): a client for the public endpoint. @defaultValue `s3`
   */
  presignS3?: S3Client;
  /** The dashboard's files. @defaultValue `services/api/static/` */
  staticDir?: string;
}

/** The API role's HTTP server. */
export interface ApiServer {
  /** Starts listening; resolves to the bound port (the real one for `0`). */
  listen(host: string, port: number): Promise<number>;
  /** Stops accepting, cuts open connections, cancels the archive reads of VOD runs started here. */
  close(): Promise<void>;
}

const STREAM_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Fastify's own client errors (body parsing): status and our code, with a fixed message (theirs may quote the body). */
const FASTIFY_CLIENT_ERRORS: Readonly<Record<string, { status: number; code: 'invalid-request' | 'unsupported-media-type' | 'payload-too-large'; message: string }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported-media-type', message: 'send application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid-request', message: 'bad content length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid-request', message: 'the JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid-request', message: 'the body is not valid JSON' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload-too-large', message: `bodies are limited to ${BODY_LIMIT_BYTES} bytes` },
};

function handleError(logger: Logger, err: FastifyError, reply: { code(n: number): { send(b: unknown): unknown }; sent: boolean }): unknown {
  if (err instanceof ApiError) return reply.code(err.statusCode).send(errorBody(err.code, err.message));
  if (err instanceof KeyStoreError) {
    return err.code === 'unknown-channel' ? reply.code(404).send(errorBody('channel-not-found', 'no such channel')) : reply.code(400).send(errorBody('invalid-request', err.message));
  }
  if (err.validation !== undefined) return reply.code(400).send(errorBody('invalid-request', err.message));
  const known = err.code === undefined ? undefined : FASTIFY_CLIENT_ERRORS[err.code];
  if (known !== undefined) return reply.code(known.status).send(errorBody(known.code, known.message));
  if (err.code === 'FST_ERR_HANDLER_TIMEOUT') return reply.code(503).send(errorBody('timeout', 'the request took too long (Redis or the object store not answering)'));
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return reply.code(err.statusCode).send(errorBody('invalid-request', 'bad request'));
  }
  // Only the name and message: errors from clients (S3, Redis) carry requests in their fields.
  logger.error({ errName: err.name, reason: err.message }, 'API request failed');
  return reply.code(500).send(errorBody('internal', 'internal error'));
}

/**
 * The API role's HTTP server: the versioned control API under `/api/v1` (admin bearer token),
 * its OpenAPI 3 document, `/healthz`, `/readyz`, `/metrics`, the dashboard (`/`, `/static/*`,
 * `/vendor/*`) and playback (`/streams/*`) on one port.
 */
export function createApiServer(opts: ApiServerOptions): ApiServer {
  if (opts.adminToken.length === 0) throw new Error('the admin token must not be empty');
  const logger = opts.logger;
  const vodRuns = new VodRuns();
  const ctx: ApiContext = {
    config: opts.config,
    redis: opts.redis,
    s3: opts.s3,
    presignS3: opts.presignS3 ?? opts.s3,
    bucket: opts.bucket,
    keyStore: opts.keyStore,
    liveSessions: opts.liveSessions,
    segmentQueue: opts.segmentQueue,
    logger,
    vodRuns,
  };

  const app: FastifyInstance = fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Our own onResponse line instead (route pattern, not URL).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Slow or idle clients must not hold sockets forever (playback shares the server).
    requestTimeout: 60_000,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 200 },
    ajv: { customOptions: { removeAdditional: false } },
  });

  app.setErrorHandler((err: FastifyError, _req, reply) => handleError(logger, err, reply));
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(errorBody('not-found', 'no such route')));
  app.addHook('onResponse', (req, reply, done) => {
    // The route pattern, never the URL: nothing a client typed ends up in the log.
    logger.debug({ method: req.method, route: req.routeOptions.url ?? '(none)', statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'http request');
    done();
  });

  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Headwater control API',
        version: API_VERSION,
        description: 'Channels and stream keys, live sessions, kicks, recordings and VOD transcodes. Every /api/v1 route takes `Authorization: Bearer <admin token>`. A stream key appears only in the responses of channel creation and key rotation.',
      },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'The admin token (config api.adminToken).' } } },
      tags: [
        { name: 'channels', description: 'Channels, stream keys, kicks' },
        { name: 'sessions', description: 'Live publishes' },
        { name: 'recordings', description: 'Archives and VOD transcodes' },
        { name: 'operations', description: 'Health, readiness, metrics' },
      ],
    },
  });

  void app.register(async (api) => {
    api.addHook('onRoute', (route) => {
      route.handlerTimeout ??= API_HANDLER_TIMEOUT_MS;
    });
    api.addHook('onRequest', async (req, reply) => {
      // Constant-time check; the header itself is never logged.
      if (!tokenMatches(bearerToken(req.headers.authorization), opts.adminToken)) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="headwater"').send(errorBody('unauthorized', 'missing or wrong admin token'));
      }
    });
    api.addHook('onSend', async (_req, reply, payload) => {
      // Responses may carry a stream key: no cache keeps them.
      reply.header('cache-control', 'no-store');
      return payload;
    });
    channelRoutes(api, ctx);
    sessionRoutes(api, ctx);
    recordingRoutes(api, ctx);
    vodRoutes(api, ctx);
  }, { prefix: API_PREFIX });

  void app.register(async (open) => {
    open.get(OPENAPI_PATH, { schema: { hide: true } }, () => open.swagger());
    healthRoutes(open, ctx, opts.registry);
    staticRoutes(open, { staticDir: opts.staticDir ?? DEFAULT_STATIC_DIR, logger });
    const playback = opts.playback;
    if (playback !== undefined) {
      open.route({
        method: [...STREAM_METHODS],
        url: '/streams/*',
        schema: { hide: true },
        handler: (req, reply) => {
          // The playback handler answers on the raw response, byte ranges and streaming included.
          reply.hijack();
          playback(req.raw, reply.raw);
        },
      });
    }
  });

  return {
    async listen(host, port) {
      await app.listen({ host, port });
      return (app.server.address() as AddressInfo).port;
    },
    async close() {
      await app.close();
      await vodRuns.close();
    },
  };
}
