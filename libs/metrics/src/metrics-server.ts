import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Longest `/readyz` waits for the readiness check before answering 503. */
export const DEFAULT_READY_TIMEOUT_MS = 2000;

/** The exposition of `registry`, for servers that send responses themselves (Fastify's reply). */
export async function renderMetrics(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/**
 * A node:http handler answering `GET`/`HEAD` with the text exposition of `registry` (the API
 * mounts it at `/metrics`: in Fastify, `reply.hijack()` then `handler(req.raw, reply.raw)`, or use
 * {@link renderMetrics}). Never rejects: a failing collector answers 500 without details.
 */
export function metricsHandler(registry: Registry): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    let out;
    try {
      out = await renderMetrics(registry);
    } catch {
      return send(res, 500, 'metrics collection failed\n');
    }
    send(res, 200, req.method === 'HEAD' ? '' : out.body, { 'content-type': out.contentType });
  };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(body);
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  /** `/readyz` answers 200 when it resolves true, else 503 (false, a rejection or no answer in time). @defaultValue always ready */
  ready?: () => Promise<boolean>;
  /** @defaultValue {@link DEFAULT_READY_TIMEOUT_MS} */
  readyTimeoutMs?: number;
}

/** A running metrics server. */
export interface MetricsServer {
  /** The bound port. */
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

async function isReady(ready: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([ready(), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A small HTTP server for processes without the api role: `/metrics` (Prometheus), `/healthz`
 * (200 while the process runs) and `/readyz` (200 or 503 from `ready`). Anything else is 404.
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const handleMetrics = metricsHandler(opts.registry);
  const readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') return void handleMetrics(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    if (path === '/healthz') return send(res, 200, 'ok\n');
    if (path === '/readyz') {
      const check = opts.ready === undefined ? Promise.resolve(true) : isReady(opts.ready, readyTimeoutMs);
      return void check.then((ok) => send(res, ok ? 200 : 503, ok ? 'ready\n' : 'not ready\n'));
    }
    send(res, 404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
