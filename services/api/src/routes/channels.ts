import type { FastifyInstance } from 'fastify';
import type { Channel } from '@headwater/auth';
import { requestKick } from '@headwater/live';
import type { ApiContext } from '../api-context.js';
import { ApiError } from '../api-error.js';
import { channelParamsSchema, channelSchema, commonErrors, createChannelBodySchema, errorSchema, streamKeySchema } from '../schemas.js';

const TAGS = ['channels'];
const SECURITY = [{ adminToken: [] }];

interface ChannelParams {
  id: string;
}

/** A channel as the API shows it: never a key, not even its hash. */
function channelView(c: Channel, live: boolean): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    createdAt: c.createdAt.toISOString(),
    ...(c.keyCreatedAt === undefined ? {} : { keyCreatedAt: c.keyCreatedAt.toISOString() }),
    revoked: c.revoked,
    live,
  };
}

async function liveChannelIds(ctx: ApiContext): Promise<Set<string>> {
  return new Set((await ctx.liveSessions.list()).map((s) => s.channelId));
}

function notFound(): ApiError {
  return new ApiError(404, 'channel-not-found', 'no such channel');
}

/** Channels and their keys (KeyStore of @headwater/auth), and kicks. */
export function channelRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/channels',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        operationId: 'listChannels',
        summary: 'Every channel, oldest first',
        response: { 200: { type: 'object', required: ['channels'], properties: { channels: { type: 'array', items: channelSchema } } }, ...commonErrors },
      },
    },
    async () => {
      const [channels, live] = await Promise.all([ctx.keyStore.listChannels(), liveChannelIds(ctx)]);
      return { channels: channels.map((c) => channelView(c, live.has(c.id))) };
    },
  );

  app.post<{ Body: { name: string } }>(
    '/channels',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        operationId: 'createChannel',
        summary: 'Creates a channel and its first stream key (shown once)',
        body: createChannelBodySchema,
        response: {
          201: { type: 'object', required: ['channel', 'streamKey'], properties: { channel: channelSchema, streamKey: streamKeySchema } },
          ...commonErrors,
        },
      },
    },
    async (req, reply) => {
      const { channel, streamKey } = await ctx.keyStore.createChannel(req.body.name);
      ctx.logger.info({ channelId: channel.id }, 'channel created');
      return reply.code(201).send({ channel: channelView(channel, false), streamKey });
    },
  );

  app.get<{ Params: ChannelParams }>(
    '/channels/:id',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        operationId: 'getChannel',
        summary: 'One channel',
        params: channelParamsSchema,
        response: { 200: { type: 'object', required: ['channel'], properties: { channel: channelSchema } }, ...commonErrors, 404: errorSchema },
      },
    },
    async (req) => {
      const channel = await ctx.keyStore.getChannel(req.params.id);
      if (channel === undefined) throw notFound();
      return { channel: channelView(channel, (await liveChannelIds(ctx)).has(channel.id)) };
    },
  );

  app.delete<{ Params: ChannelParams }>(
    '/channels/:id',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        operationId: 'deleteChannel',
        summary: 'Deletes a channel and its key, and drops its publish in progress (archives stay)',
        params: channelParamsSchema,
        response: { 204: { type: 'null', description: 'Deleted' }, ...commonErrors, 404: errorSchema },
      },
    },
    async (req, reply) => {
      if (!(await ctx.keyStore.deleteChannel(req.params.id))) throw notFound();
      // A deleted channel must not stay on air through the connection it already has.
      await requestKick(ctx.redis, req.params.id);
      ctx.logger.info({ channelId: req.params.id }, 'channel deleted');
      return reply.code(204).send();
    },
  );

  app.post<{ Params: ChannelParams }>(
    // `::` is a literal colon in Fastify paths (Google AIP-136 custom method style).
    '/channels/:id/key::rotate',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        operationId: 'rotateKey',
        summary: 'Issues a new stream key (shown once); the previous key stops working and a revocation is lifted',
        params: channelParamsSchema,
        response: { 200: { type: 'object', required: ['streamKey'], properties: { streamKey: streamKeySchema } }, ...commonErrors, 404: errorSchema },
      },
    },
    async (req) => {
      const streamKey = await ctx.keyStore.rotateKey(req.params.id);
      ctx.logger.info({ channelId: req.params.id }, 'stream key rotated');
      return { streamKey };
    },
  );

  app.post<{ Params: ChannelParams }>(
    '/channels/:id/key::revoke',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        operationId: 'revokeKey',
        summary: 'Makes the stream key invalid until the next rotation, and drops the publish in progress (a leaked key stops at once)',
        params: channelParamsSchema,
        response: { 204: { type: 'null', description: 'Revoked' }, ...commonErrors, 404: errorSchema },
      },
    },
    async (req, reply) => {
      await ctx.keyStore.revokeKey(req.params.id);
      await requestKick(ctx.redis, req.params.id);
      ctx.logger.info({ channelId: req.params.id }, 'stream key revoked');
      return reply.code(204).send();
    },
  );

  app.post<{ Params: ChannelParams }>(
    '/channels/:id/kick',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        operationId: 'kickChannel',
        summary: "Asks every ingest node to drop the channel's publish",
        description: 'Works for any channel id (keys, HMAC or webhook auth). `kicked` counts the ingest nodes that received the request, not publishes dropped.',
        params: channelParamsSchema,
        response: { 202: { type: 'object', required: ['kicked'], properties: { kicked: { type: 'integer' } } }, ...commonErrors },
      },
    },
    async (req, reply) => {
      const kicked = await requestKick(ctx.redis, req.params.id);
      ctx.logger.info({ channelId: req.params.id, nodes: kicked }, 'kick requested');
      return reply.code(202).send({ kicked });
    },
  );
}
