import net from 'node:net';
import tls from 'node:tls';
import type { Authenticator } from '@headwater/auth';
import type { Logger } from '@headwater/log';
import { ChannelRegistry } from './channel-registry.js';
import { ConnectionLimiter } from './connection-limiter.js';
import { IngestConnection, type ConnectionLimits, type IngestHooks, type PublishSnapshot } from './ingest-connection.js';
import type { ConsumerFactory } from './tee.js';
import type { TlsMaterial } from './tls-cert.js';

export interface IngestServerOptions {
  host: string;
  /** Plain RTMP port; 0 picks a free one. */
  rtmpPort: number;
  /** RTMPS port (0 = free one); null disables RTMPS. */
  rtmpsPort: number | null;
  tls?: TlsMaterial | undefined;
  app: string;
  limits: ConnectionLimits & { maxConnections: number; maxConnectionsPerIp: number };
  publishTakeover: boolean;
  logger: Logger;
  authenticator: Authenticator;
  consumers: readonly ConsumerFactory[];
  hooks?: IngestHooks;
}

export interface IngestServer {
  readonly rtmpPort: number;
  readonly rtmpsPort: number | null;
  readonly registry: ChannelRegistry;
  /** Live publishes. */
  publishes(): PublishSnapshot[];
  connectionCount(): number;
  /** Ends one channel's publish (the operator's kick); false when it is not live. */
  kick(channelId: string): boolean;
  /**
   * Stops listening, asks E-RTMP v2 publishers to reconnect elsewhere (others are closed
   * cleanly), waits up to `graceMs` for them, then ends every session.
   */
  close(opts?: { graceMs?: number }): Promise<void>;
}

/** Starts the RTMP and RTMPS listeners. Each connection is isolated: its failure closes only itself. */
export async function startIngestServer(opts: IngestServerOptions): Promise<IngestServer> {
  const registry = new ChannelRegistry(opts.publishTakeover);
  const limiter = new ConnectionLimiter(opts.limits.maxConnections, opts.limits.maxConnectionsPerIp);
  const connections = new Set<IngestConnection>();
  const log = opts.logger.child({ component: 'ingest' });

  const accept = (socket: net.Socket, secure: boolean): void => {
    const ip = socket.remoteAddress ?? 'unknown';
    const slot = limiter.acquire(ip);
    if (!slot.ok) {
      log.warn({ clientIp: ip, reason: slot.reason }, 'connection refused');
      socket.destroy();
      return;
    }
    const conn = new IngestConnection(socket, ip, secure, {
      app: opts.app,
      limits: opts.limits,
      logger: log,
      authenticator: opts.authenticator,
      registry,
      consumers: opts.consumers,
      hooks: opts.hooks,
    });
    connections.add(conn);
    socket.once('close', () => {
      connections.delete(conn);
      slot.release();
    });
  };

  const rtmp = net.createServer({ noDelay: true }, (socket) => accept(socket, false));
  const rtmpPort = await listen(rtmp, opts.rtmpPort, opts.host);

  let rtmps: tls.Server | undefined;
  let rtmpsPort: number | null = null;
  if (opts.rtmpsPort !== null) {
    if (!opts.tls) throw new Error('RTMPS needs a certificate and key');
    rtmps = tls.createServer({ cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: opts.limits.handshakeTimeoutMs, minVersion: 'TLSv1.2' }, (socket) => accept(socket, true));
    // A failed TLS handshake is that client's problem only.
    rtmps.on('tlsClientError', (err, socket) => {
      log.debug({ clientIp: socket.remoteAddress, reason: err.message }, 'TLS handshake failed');
      socket.destroy();
    });
    rtmpsPort = await listen(rtmps, opts.rtmpsPort, opts.host);
  }
  log.info({ rtmpPort, rtmpsPort, app: opts.app }, 'ingest listening');

  return {
    rtmpPort,
    rtmpsPort,
    registry,
    publishes: () => [...connections].map((c) => c.snapshot()).filter((s): s is PublishSnapshot => s !== undefined),
    connectionCount: () => connections.size,
    kick: (channelId) => registry.kick(channelId),
    async close({ graceMs = 5000 } = {}) {
      const closing = [closeServer(rtmp), rtmps ? closeServer(rtmps) : Promise.resolve()];
      await Promise.all([...connections].map((c) => c.drain(graceMs)));
      await Promise.all([...connections].map((c) => c.whenEnded()));
      await Promise.all(closing);
      log.info('ingest stopped');
    },
  };
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
