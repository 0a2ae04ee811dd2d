import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { isSafeId } from '@headwater/jobs';
import type { Logger } from '@headwater/log';

/** The URL prefix and the S3 prefix it maps to: only playback outputs are ever served. */
const STREAMS_PREFIX = 'streams';
/** `<channelId>/<sessionId>/<rendition>/<file>` is the deepest layout the workers write; a little slack. */
const MAX_PATH_SEGMENTS = 6;
/** Longer request targets are refused before any parsing. */
const MAX_URL_CHARS = 2048;
/** Playlists change every segment while live; players re-poll them about once per target duration. */
const PLAYLIST_CACHE_CONTROL = 'public, max-age=1';
/** Segments and init sections never change once written (a retry rewrites the same bytes). */
const MEDIA_CACHE_CONTROL = 'public, max-age=31536000, immutable';
const DEFAULT_CACHE_CONTROL = 'public, max-age=1';

/** Fallback when the object has no Content-Type (e.g. written by another tool). */
const CONTENT_TYPE_BY_EXTENSION: Readonly<Record<string, string>> = {
  m3u8: 'application/vnd.apple.mpegurl',
  mpd: 'application/dash+xml',
  mp4: 'video/mp4',
  m4s: 'video/iso.segment',
  m4a: 'audio/mp4',
  m4v: 'video/mp4',
  vtt: 'text/vtt',
};

const CORS_HEADERS: OutgoingHttpHeaders = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'Range, If-None-Match, If-Modified-Since',
  // Players read these to seek in byte ranges and revalidate playlists.
  'access-control-expose-headers': 'Content-Length, Content-Range, Content-Type, ETag, Accept-Ranges, Last-Modified',
  'access-control-max-age': '86400',
};

/** Where the playback outputs are read from. */
export interface PlaybackOptions {
  s3: S3Client;
  bucket: string;
  logger: Logger;
}

/** A plain Node request handler: mount it under `/streams/` of any HTTP server. */
export type PlaybackHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface OutputServerOptions extends PlaybackOptions {
  /** Bind address. */
  host: string;
  /** `0` = a free port. */
  port: number;
}

/** The playback HTTP server: HLS playlists, DASH MPDs and CMAF segments straight from S3. */
export interface OutputServer {
  /** The bound port (the real one when started with `0`). */
  readonly port: number;
  /** Stops accepting, cuts open connections (players reconnect elsewhere) and resolves when closed. */
  close(): Promise<void>;
}

/**
 * `/streams/<channelId>/live.m3u8` and `live.mpd` redirect to the channel's newest session. The
 * targets are `@headwater/packager`'s MULTIVARIANT_PLAYLIST_NAME and MPD_NAME (the files the
 * workers write), repeated here because this service reads S3 only.
 */
const LIVE_ALIASES: Readonly<Record<string, string>> = { 'live.m3u8': 'master.m3u8', 'live.mpd': 'manifest.mpd' };
/** Sessions examined to find the newest one (one ListObjectsV2 page). */
const MAX_SESSIONS_SCANNED = 1000;
/** Parallel HeadObject requests while looking for the newest session. */
const HEAD_CONCURRENCY = 8;
/** How long a channel's newest session is remembered: players poll the alias often. */
const LIVE_CACHE_MS = 1000;
/** Channels remembered at once; the cache is cleared when full. */
const MAX_LIVE_CACHE_ENTRIES = 1000;

type Route =
  | { kind: 'object'; key: string; extension: string }
  | { kind: 'live'; channelId: string; file: string }
  | { kind: 'error'; status: 400 | 404; message: string };

/**
 * Maps a request target to an S3 key under `streams/`. Each path segment is percent-decoded on
 * its own and must be a safe id (letters, digits, `_ . -`, not starting with `.`), so `..`,
 * `%2e%2e`, an encoded `/` or `\`, and empty segments are all refused before S3 sees them.
 */
export function routeRequest(target: string): Route {
  if (target.length > MAX_URL_CHARS) return { kind: 'error', status: 400, message: 'request target too long' };
  const queryAt = target.search(/[?#]/);
  const pathname = queryAt === -1 ? target : target.slice(0, queryAt);
  const raw = pathname.split('/');
  // A leading '/' gives one empty first part; any other empty part is `//` or a trailing '/'.
  if (raw[0] !== '' || raw[1] !== STREAMS_PREFIX) return { kind: 'error', status: 404, message: 'not found' };
  const parts: string[] = [];
  for (const part of raw.slice(2)) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      return { kind: 'error', status: 400, message: 'bad percent-encoding' };
    }
    if (!isSafeId(decoded)) return { kind: 'error', status: 400, message: 'bad path segment' };
    parts.push(decoded);
  }
  const alias = parts.length === 2 ? LIVE_ALIASES[parts[1] ?? ''] : undefined;
  if (alias !== undefined && parts[0] !== undefined) return { kind: 'live', channelId: parts[0], file: alias };
  // channel, session and at least a file name.
  if (parts.length < 3 || parts.length > MAX_PATH_SEGMENTS) return { kind: 'error', status: 404, message: 'not found' };
  const file = parts.at(-1) ?? '';
  const dot = file.lastIndexOf('.');
  return { kind: 'object', key: `${STREAMS_PREFIX}/${parts.join('/')}`, extension: dot === -1 ? '' : file.slice(dot + 1).toLowerCase() };
}

function cacheControl(extension: string): string {
  switch (extension) {
    case 'm3u8':
    case 'mpd':
      return PLAYLIST_CACHE_CONTROL;
    case 'm4s':
    case 'mp4':
    case 'm4a':
    case 'm4v':
      return MEDIA_CACHE_CONTROL;
    default:
      return DEFAULT_CACHE_CONTROL;
  }
}

interface S3ErrorLike {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The status to answer for an S3 failure; `null` = not the client's fault (logged, 502). */
function statusOfS3Error(err: unknown): 304 | 404 | 416 | null {
  const e = err as S3ErrorLike;
  const status = e.$metadata?.httpStatusCode;
  if (e.name === 'NoSuchKey' || e.name === 'NotFound' || e.name === 'NoSuchBucket' || status === 404) return 404;
  if (e.name === 'InvalidRange' || status === 416) return 416;
  if (status === 304) return 304;
  return null;
}

function sendText(res: ServerResponse, status: number, message: string, extra: OutgoingHttpHeaders = {}): void {
  const body = `${message}\n`;
  res.writeHead(status, { ...CORS_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function objectHeaders(o: {
  ContentType?: string | undefined;
  ContentLength?: number | undefined;
  ETag?: string | undefined;
  LastModified?: Date | undefined;
  ContentRange?: string | undefined;
}, extension: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    ...CORS_HEADERS,
    'content-type': o.ContentType ?? CONTENT_TYPE_BY_EXTENSION[extension] ?? 'application/octet-stream',
    'cache-control': cacheControl(extension),
    'accept-ranges': 'bytes',
  };
  if (o.ContentLength !== undefined) headers['content-length'] = o.ContentLength;
  if (o.ETag !== undefined) headers.etag = o.ETag;
  if (o.LastModified !== undefined) headers['last-modified'] = o.LastModified.toUTCString();
  if (o.ContentRange !== undefined) headers['content-range'] = o.ContentRange;
  return headers;
}

/** Only single `bytes=` ranges are passed on; anything else is ignored (RFC 9110 §14.2 allows that). */
function singleByteRange(header: string | undefined): string | undefined {
  return header !== undefined && /^bytes=(?:\d{1,15}-\d{0,15}|-\d{1,15})$/.test(header.trim()) ? header.trim() : undefined;
}

/**
 * The channel's session whose `file` (the multivariant playlist or MPD) was written last: the
 * workers rewrite them at every segment, so a live session is always the newest. Session ids are
 * random UUIDs, hence the HeadObject per session rather than a sort on names.
 */
async function newestSession(opts: PlaybackOptions, channelId: string, file: string): Promise<string | undefined> {
  const listed = await opts.s3.send(
    new ListObjectsV2Command({ Bucket: opts.bucket, Prefix: `${STREAMS_PREFIX}/${channelId}/`, Delimiter: '/', MaxKeys: MAX_SESSIONS_SCANNED }),
  );
  const sessions = (listed.CommonPrefixes ?? []).map((p) => p.Prefix?.split('/')[2]).filter((id): id is string => isSafeId(id));
  let best: { id: string; modifiedMs: number } | undefined;
  for (let i = 0; i < sessions.length; i += HEAD_CONCURRENCY) {
    const heads = await Promise.all(
      sessions.slice(i, i + HEAD_CONCURRENCY).map(async (id) => {
        try {
          const head = await opts.s3.send(new HeadObjectCommand({ Bucket: opts.bucket, Key: `${STREAMS_PREFIX}/${channelId}/${id}/${file}` }));
          return { id, modifiedMs: head.LastModified?.getTime() ?? 0 };
        } catch (err) {
          // A session whose playlist is not written yet is not playable: skip it.
          if (statusOfS3Error(err) === 404) return undefined;
          throw err;
        }
      }),
    );
    for (const h of heads) if (h !== undefined && (best === undefined || h.modifiedMs > best.modifiedMs)) best = h;
  }
  return best?.id;
}

/**
 * Suffix ranges (`bytes=-N`, the last N bytes) made absolute with the object's size: S3 itself
 * takes them, but some compatible stores (s3rver) read them as `0-N`, so we never pass one on.
 */
async function absoluteRange(opts: PlaybackOptions, key: string, range: string | undefined): Promise<string | undefined> {
  const suffix = range === undefined ? undefined : /^bytes=-(\d+)$/.exec(range)?.[1];
  if (suffix === undefined) return range;
  const size = (await opts.s3.send(new HeadObjectCommand({ Bucket: opts.bucket, Key: key }))).ContentLength ?? 0;
  const want = Number(suffix);
  // RFC 9110 §14.1.3: a zero suffix (or an empty object) cannot be satisfied.
  if (want === 0 || size === 0) throw new RangeNotSatisfiableError();
  return `bytes=${Math.max(0, size - want)}-${size - 1}`;
}

class RangeNotSatisfiableError extends Error {
  override readonly name = 'InvalidRange';
}

type LiveCache = Map<string, { sessionId: string | undefined; expiresMs: number }>;

async function redirectToLive(res: ServerResponse, opts: PlaybackOptions, cache: LiveCache, channelId: string, file: string): Promise<void> {
  const cacheKey = `${channelId}/${file}`;
  const now = Date.now();
  let entry = cache.get(cacheKey);
  if (entry === undefined || entry.expiresMs <= now) {
    if (cache.size >= MAX_LIVE_CACHE_ENTRIES) cache.clear();
    entry = { sessionId: await newestSession(opts, channelId, file), expiresMs: now + LIVE_CACHE_MS };
    cache.set(cacheKey, entry);
  }
  if (entry.sessionId === undefined) {
    sendText(res, 404, 'no session');
    return;
  }
  // Relative: players resolve the playlist's own relative URLs against the final location.
  sendText(res, 302, 'found', { location: `/${STREAMS_PREFIX}/${channelId}/${entry.sessionId}/${file}`, 'cache-control': 'no-store' });
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: PlaybackOptions, liveCache: LiveCache): Promise<void> {
  const method = req.method ?? '';
  if (method === 'OPTIONS') {
    res.writeHead(204, { ...CORS_HEADERS, 'content-length': 0 });
    res.end();
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    sendText(res, 405, 'method not allowed', { allow: 'GET, HEAD, OPTIONS' });
    return;
  }
  const route = routeRequest(req.url ?? '');
  if (route.kind === 'error') {
    sendText(res, route.status, route.message);
    return;
  }
  if (route.kind === 'live') {
    try {
      await redirectToLive(res, opts, liveCache, route.channelId, route.file);
    } catch (err) {
      opts.logger.warn({ channelId: route.channelId, reason: (err as Error).name }, 'newest session lookup failed');
      sendText(res, 502, 'object store unavailable');
    }
    return;
  }
  const ifNoneMatch = req.headers['if-none-match'];
  const conditional = ifNoneMatch !== undefined ? { IfNoneMatch: ifNoneMatch } : {};
  try {
    if (method === 'HEAD') {
      const head = await opts.s3.send(new HeadObjectCommand({ Bucket: opts.bucket, Key: route.key, ...conditional }));
      res.writeHead(200, objectHeaders(head, route.extension));
      res.end();
      return;
    }
    const range = await absoluteRange(opts, route.key, singleByteRange(req.headers.range));
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const got = await opts.s3.send(new GetObjectCommand({ Bucket: opts.bucket, Key: route.key, ...conditional, ...(range !== undefined ? { Range: range } : {}) }), {
      abortSignal: abort.signal,
    });
    const body = got.Body;
    if (!(body instanceof Readable)) throw new Error('S3 returned no readable body');
    res.writeHead(got.ContentRange !== undefined ? 206 : 200, objectHeaders(got, route.extension));
    await pipeline(body, res);
  } catch (err) {
    const status = statusOfS3Error(err);
    if (res.headersSent) {
      // Mid-body: the player sees a short response and retries; nothing else can be said.
      if (!res.destroyed) opts.logger.warn({ key: route.key, reason: (err as Error).message }, 'playback response cut');
      res.destroy();
      return;
    }
    if (status === 304) {
      res.writeHead(304, { ...CORS_HEADERS, 'cache-control': cacheControl(route.extension), ...(typeof ifNoneMatch === 'string' ? { etag: ifNoneMatch } : {}) });
      res.end();
    } else if (status === 404) sendText(res, 404, 'not found');
    else if (status === 416) sendText(res, 416, 'range not satisfiable');
    else if (!res.destroyed) {
      opts.logger.warn({ key: route.key, reason: (err as Error).name }, 'playback object read failed');
      sendText(res, 502, 'object store unavailable');
    }
  }
}

/**
 * Serves the transcoded outputs (`streams/<channelId>/<sessionId>/…` in the bucket) over HTTP
 * for players: GET and HEAD stream the S3 object (single `bytes=` ranges answered 206), CORS
 * open to any origin (`OPTIONS` preflight answered), playlists cacheable for 1 s and media
 * forever. Nothing outside `streams/` is reachable, so archives and source segments stay private.
 * `/streams/<channelId>/live.m3u8` (and `live.mpd`) redirect to the channel's newest session.
 * The handler answers every request itself (404 outside `/streams/`), never throws, and ends or
 * destroys the response in all cases.
 */
export function createPlaybackHandler(opts: PlaybackOptions): PlaybackHandler {
  const liveCache: LiveCache = new Map();
  return (req, res) => {
    handle(req, res, opts, liveCache).catch((err: unknown) => {
      opts.logger.error({ reason: (err as Error).message }, 'playback request failed');
      res.destroy();
    });
  };
}

/** {@link createPlaybackHandler} on a server of its own (a process without the API role). */
export async function startOutputServer(opts: OutputServerOptions): Promise<OutputServer> {
  const server = createServer(createPlaybackHandler(opts));
  // Slow or idle clients must not hold sockets forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => opts.logger.error({ reason: err.message }, 'playback server error'));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
