import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from '@headwater/log';
import { errorBody } from './api-error.js';

/** The dashboard's files: `services/api/static/` (one level above both `src/` and `dist/`). */
export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../static/', import.meta.url));

/** Largest file served from the static directory (the dashboard has no build step: small files). */
const MAX_STATIC_FILE_BYTES = 16 * 1024 * 1024;
const MAX_STATIC_DEPTH = 4;
/** One path segment of a static file: no dot files, no `..`, nothing to escape. */
const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The player libraries served at `/vendor/<name>.js`, each with the files tried in order (the
 * package layout changed across versions). DASH: the DASH-IF reference player is published on
 * npm as `dashjs`.
 */
export const VENDOR_MODULES: Readonly<Record<string, readonly string[]>> = {
  'hls.js': ['hls.js/dist/hls.min.js'],
  // dashjs 5 exports only its entry (the UMD build that defines window.dashjs); older ones a dist path.
  'dash.js': ['dashjs', 'dashjs/dist/dash.all.min.js'],
};

/** The first of `candidates` that resolves from this package, or undefined. */
export function resolveVendorFile(candidates: readonly string[]): string | undefined {
  const require = createRequire(import.meta.url);
  for (const specifier of candidates) {
    try {
      return require.resolve(specifier);
    } catch {
      // Not installed, or not exported under this path: try the next layout.
    }
  }
  return undefined;
}

function contentType(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function notFound(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(404).header('cache-control', 'no-store').send(errorBody('not-found', message));
}

async function sendFile(reply: FastifyReply, file: string, cacheControl: string): Promise<FastifyReply> {
  let body: Buffer;
  try {
    const info = await stat(file);
    if (!info.isFile() || info.size > MAX_STATIC_FILE_BYTES) return notFound(reply, 'not found');
    body = await readFile(file);
  } catch {
    return notFound(reply, 'not found');
  }
  return reply.header('content-type', contentType(file)).header('cache-control', cacheControl).header('x-content-type-options', 'nosniff').send(body);
}

export interface StaticRoutesOptions {
  staticDir: string;
  logger: Logger;
}

/**
 * The dashboard: `/` is `index.html`, `/static/*` the directory's files (revalidated every time:
 * no build step, so no hashed names), `/vendor/hls.js` and `/vendor/dash.js` the player
 * libraries from node_modules (cached for an hour).
 */
export function staticRoutes(app: FastifyInstance, opts: StaticRoutesOptions): void {
  const root = path.resolve(opts.staticDir);
  const hide = { schema: { hide: true } };

  app.get('/', hide, (_req, reply) => sendFile(reply, path.join(root, 'index.html'), 'no-cache'));

  app.get<{ Params: { '*': string } }>('/static/*', hide, (req, reply) => {
    const parts = req.params['*'].split('/');
    if (parts.length > MAX_STATIC_DEPTH || !parts.every((p) => SAFE_SEGMENT.test(p))) return notFound(reply, 'not found');
    const file = path.join(root, ...parts);
    // Belt and braces: the segment check already rules out leaving the directory.
    if (!file.startsWith(root + path.sep)) return notFound(reply, 'not found');
    return sendFile(reply, file, 'no-cache');
  });

  for (const [name, candidates] of Object.entries(VENDOR_MODULES)) {
    const file = resolveVendorFile(candidates);
    if (file === undefined) opts.logger.warn({ module: name }, 'player library not installed: /vendor/%s answers 404', name);
    app.get(`/vendor/${name}`, hide, (_req, reply) =>
      file === undefined ? notFound(reply, `${name} is not installed`) : sendFile(reply, file, 'public, max-age=3600'),
    );
  }
}
