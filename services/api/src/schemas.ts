import { MAX_CHANNEL_NAME_CHARS } from '@headwater/auth';

// JSON schemas of the control API: Fastify validates requests with them, serializes responses
// through them (properties not listed are dropped: a field added upstream never leaks by
// accident) and @fastify/swagger turns them into the OpenAPI document.

/** Ids we mint and accept in paths: `isSafeId` of @headwater/jobs (channel, session ids). */
export const SAFE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';
const SAFE_ID_MAX = 128;

export const safeIdSchema = { type: 'string', minLength: 1, maxLength: SAFE_ID_MAX, pattern: SAFE_ID_PATTERN } as const;

export const errorSchema = {
  type: 'object',
  description: 'Every error: a stable code and a message.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

export const channelSchema = {
  type: 'object',
  required: ['id', 'name', 'createdAt', 'revoked', 'live'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    keyCreatedAt: { type: 'string', format: 'date-time', description: 'When the current (or revoked) key was issued.' },
    revoked: { type: 'boolean', description: 'No key is valid until the next rotation.' },
    live: { type: 'boolean', description: 'A publish of this channel is on some ingest node.' },
  },
} as const;

export const channelParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: safeIdSchema },
} as const;

export const createChannelBodySchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: MAX_CHANNEL_NAME_CHARS, pattern: '\\S' } },
} as const;

export const streamKeySchema = {
  type: 'string',
  description: 'The stream key. Shown here once: it is stored only as a hash and never returned again.',
} as const;

export const playbackSchema = {
  type: 'object',
  required: ['hls', 'dash'],
  description: 'Relative URLs of the HLS multivariant playlist and the DASH MPD.',
  properties: { hls: { type: 'string' }, dash: { type: 'string' } },
} as const;

const liveTrackSchema = {
  type: 'object',
  required: ['kind', 'trackId', 'codec'],
  properties: {
    kind: { type: 'string', enum: ['video', 'audio'] },
    trackId: { type: 'integer' },
    codec: { type: 'string', description: 'FourCC or legacy FLV codec name.' },
    codecString: { type: 'string', description: 'RFC 6381 codec string.' },
    width: { type: 'integer' },
    height: { type: 'integer' },
    frameRate: { type: 'number' },
    sampleRate: { type: 'integer' },
    channels: { type: 'integer' },
  },
} as const;

const renditionSchema = {
  type: 'object',
  required: ['id', 'kind', 'codecs', 'bandwidth', 'averageBandwidth'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['video', 'audio'] },
    codecs: { type: 'string', description: 'RFC 6381 codec string (measured once the first segment is out).' },
    width: { type: 'integer' },
    height: { type: 'integer' },
    frameRate: { type: 'number' },
    sampleRateHz: { type: 'integer' },
    channels: { type: 'integer' },
    bandwidth: { type: 'integer', description: 'Peak segment bit rate, bits/s (the ladder target until measured).' },
    averageBandwidth: { type: 'integer', description: 'Average bit rate, bits/s.' },
  },
} as const;

export const sessionSchema = {
  type: 'object',
  required: ['sessionId', 'playbackSessionId', 'channelId', 'nodeId', 'app', 'startedAt', 'secure', 'tracks', 'bitrateBps', 'fps', 'bytesIn', 'updatedAt', 'uptimeS', 'renditions', 'playback'],
  properties: {
    sessionId: { type: 'string' },
    playbackSessionId: { type: 'string', description: 'The session whose outputs this publish feeds (an earlier one after a reconnect).' },
    channelId: { type: 'string' },
    nodeId: { type: 'string', description: 'Ingest node holding the publish.' },
    app: { type: 'string' },
    startedAt: { type: 'string', format: 'date-time' },
    secure: { type: 'boolean', description: 'RTMPS.' },
    tracks: { type: 'array', items: liveTrackSchema },
    bitrateBps: { type: 'number', description: 'Ingest bit rate over the last ~5 s.' },
    fps: { type: 'number', nullable: true, description: 'Measured video frame rate.' },
    bytesIn: { type: 'number' },
    updatedAt: { type: 'string', format: 'date-time' },
    uptimeS: { type: 'integer' },
    renditions: { type: 'array', items: renditionSchema },
    playback: { ...playbackSchema, nullable: true, description: 'Null until the first segment is published.' },
  },
} as const;

export const recordingSchema = {
  type: 'object',
  required: ['key', 'sessionId', 'startedAt', 'bytes', 'durationMs', 'downloadUrl', 'downloadExpiresAt'],
  properties: {
    key: { type: 'string', description: 'Archive object key (the input of POST /api/v1/recordings/vod).' },
    sessionId: { type: 'string' },
    startedAt: { type: 'string', format: 'date-time' },
    bytes: { type: 'integer' },
    durationMs: { type: 'integer', nullable: true, description: 'Media duration; null when the file could not be read as a whole FLV.' },
    downloadUrl: { type: 'string', description: 'Presigned S3 URL, valid for one hour.' },
    downloadExpiresAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const vodStatusSchema = {
  type: 'object',
  required: ['sessionId', 'phase', 'segments', 'published', 'playback'],
  properties: {
    sessionId: { type: 'string' },
    channelId: { type: 'string' },
    phase: {
      type: 'string',
      enum: ['preparing', 'live', 'ending', 'vod', 'failed'],
      description: 'preparing: archive being read; live: segments being cut; ending: last jobs in flight; vod: complete; failed: see error.',
    },
    segments: { type: 'integer', description: 'Segments known (all of them once the archive is read).' },
    published: { type: 'integer', description: 'Segments in the playlists.' },
    playback: { ...playbackSchema, nullable: true },
    error: { type: 'string' },
  },
} as const;

/** Status codes every authenticated route may answer, besides its own. */
export const commonErrors = { 400: errorSchema, 401: errorSchema } as const;
