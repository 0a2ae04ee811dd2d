import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { ProtocolError } from '@headwater/bytes';
import { parseAudioTag, parseScriptTag, parseVideoTag, metadataInfo, stripSetDataFrame } from '@headwater/flv';
import type { Authenticator, DenyReason } from '@headwater/auth';
import type { Logger } from '@headwater/log';
import { NetStatusCode, ServerSession, type RtmpMessage, type ServerSessionEvent } from '@headwater/rtmp';
import type { ChannelHolder, ChannelRegistry } from './channel-registry.js';
import { TrackCatalog, type StreamDescription } from './track-catalog.js';
import { Tee, errorSummary, type ConsumerFactory, type EndReason, type MediaConsumer, type SessionInfo } from './tee.js';
import { newSessionId } from './archive-consumer.js';

export interface ConnectionLimits {
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  maxMessageBytes: number;
  maxChunkStreams: number;
  maxTracks: number;
  maxPendingBytesPerConnection: number;
}

export interface ConnectionDeps {
  app: string;
  limits: ConnectionLimits;
  logger: Logger;
  authenticator: Authenticator;
  registry: ChannelRegistry;
  consumers: readonly ConsumerFactory[];
  hooks?: IngestHooks | undefined;
}

/** Observers of the publish lifecycle (metrics, webhooks, the API). Never handed a stream key. */
export interface IngestHooks {
  publishStarted?(publish: PublishSnapshot): void;
  publishStopped?(publish: PublishSnapshot, reason: EndReason): void;
  authDenied?(info: { connectionId: string; clientIp: string; reason: DenyReason }): void;
  connectionFailed?(info: { connectionId: string; code: string }): void;
}

export interface PublishSnapshot {
  info: SessionInfo;
  clientIp: string;
  secure: boolean;
  bytesIn: number;
  tags: number;
  lastTimestampMs: number;
  consumers: string[];
  tracks: StreamDescription;
}

interface ActivePublish {
  info: SessionInfo;
  tee: Tee;
  catalog: TrackCatalog;
  bytesIn: number;
  tags: number;
  lastTimestampMs: number;
  ending: Promise<void> | undefined;
}

/** onStatus code and a description safe to show the client, per refusal reason. */
function refusal(reason: DenyReason): { code: string; description: string } {
  switch (reason) {
    case 'malformed':
    case 'unknown-key':
    case 'revoked':
    case 'bad-signature':
    case 'denied':
      return { code: NetStatusCode.PublishDenied, description: 'Invalid stream key.' };
    case 'expired':
      return { code: NetStatusCode.PublishDenied, description: 'Stream key expired.' };
    case 'rate-limited':
      return { code: NetStatusCode.PublishRejected, description: 'Too many failed attempts; try again later.' };
    case 'timeout':
    case 'webhook-error':
    case 'unavailable':
      return { code: NetStatusCode.PublishRejected, description: 'Authorization unavailable; try again.' };
    default: {
      const never: never = reason;
      return never;
    }
  }
}

/**
 * One client TCP/TLS connection: socket bytes into the sans-I/O `ServerSession`, its replies
 * back out; auth on publish; media into the publish's Tee. Any error closes this connection
 * only, with one log line carrying the connection id and the reason, never the key.
 */
export class IngestConnection implements ChannelHolder {
  readonly connectionId = `c-${randomBytes(6).toString('hex')}`;
  private readonly session: ServerSession;
  private readonly log: Logger;
  private publish: ActivePublish | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Set by drain(): however the publish ends from then on, it ends as 'shutdown'. */
  private draining = false;
  private readonly unknownCodecs = new Set<string>();

  constructor(
    private readonly socket: Socket,
    readonly clientIp: string,
    readonly secure: boolean,
    private readonly deps: ConnectionDeps,
  ) {
    this.log = deps.logger.child({ conn: this.connectionId });
    this.session = new ServerSession({
      apps: [deps.app],
      chunkLimits: {
        maxMessageBytes: deps.limits.maxMessageBytes,
        maxChunkStreams: deps.limits.maxChunkStreams,
        maxBufferedBytes: deps.limits.maxPendingBytesPerConnection,
      },
    });
    socket.setNoDelay(true);
    socket.setTimeout(deps.limits.idleTimeoutMs, () => this.fail(new ProtocolError('idle-timeout', `no data for ${deps.limits.idleTimeoutMs} ms`)));
    this.handshakeTimer = setTimeout(
      () => this.fail(new ProtocolError('handshake-timeout', `no connect within ${deps.limits.handshakeTimeoutMs} ms`)),
      deps.limits.handshakeTimeoutMs,
    );
    socket.on('data', (bytes: Buffer) => this.onData(bytes));
    socket.on('error', (err) => this.log.debug({ err: errorSummary(err) }, 'socket error'));
    socket.on('close', () => this.onClose());
    this.log.debug({ clientIp, secure }, 'connection opened');
  }

  /** The live publish, for the API and metrics. */
  snapshot(): PublishSnapshot | undefined {
    const p = this.publish;
    if (!p) return undefined;
    return { info: p.info, clientIp: this.clientIp, secure: this.secure, bytesIn: p.bytesIn, tags: p.tags, lastTimestampMs: p.lastTimestampMs, consumers: p.tee.consumerNames, tracks: p.catalog.snapshot() };
  }

  /** ChannelHolder: another publisher took the channel over, or an operator kicked us. */
  evict(reason: 'taken-over' | 'kicked'): void {
    this.log.info({ reason }, 'publisher evicted');
    void this.endPublish(reason);
    this.socket.end();
  }

  /**
   * Graceful drain: E-RTMP v2 clients get a reconnect request and time to move (they close this
   * connection themselves); others have their publish ended and are closed cleanly.
   */
  async drain(graceMs: number): Promise<void> {
    // A client leaving as asked (closing, or unpublishing first) is the shutdown too: its
    // archive must be left for the next start, not uploaded while the drain waits (unbounded
    // with S3 down).
    this.draining = true;
    const request = this.session.requestReconnect();
    if (request && !this.closed) {
      this.write(request);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await this.endPublish('shutdown');
    this.socket.end();
  }

  /** Resolves when the publish's consumers have flushed (archive spooled or uploaded). */
  async whenEnded(): Promise<void> {
    await this.publish?.ending;
  }

  private onData(bytes: Buffer): void {
    if (this.closed) return;
    let out;
    try {
      out = this.session.receive(bytes);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.write(out.send);
    for (const event of out.events) {
      try {
        this.onEvent(event);
      } catch (err) {
        this.fail(err);
        return;
      }
    }
  }

  private onEvent(event: ServerSessionEvent): void {
    switch (event.kind) {
      case 'connect':
        this.clearHandshakeTimer();
        this.log.info({ app: event.request.app, flashVer: event.request.flashVer, capsEx: event.request.capsEx, fourCcList: event.request.fourCcList }, 'rtmp connect');
        return;
      case 'publish':
        this.socket.pause();
        void this.onPublish(event.key, event.query)
          .catch((err: unknown) => this.fail(err))
          .finally(() => {
            if (!this.closed) this.socket.resume();
          });
        return;
      case 'media':
        this.onMedia(event.message);
        return;
      case 'unpublish':
        void this.endPublish(this.draining ? 'shutdown' : 'unpublished');
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  private async onPublish(streamKey: string, query: Record<string, string>): Promise<void> {
    const app = this.session.connectInfo?.app ?? '';
    const decision = await this.deps.authenticator.authorize({ streamKey, app, clientIp: this.clientIp, connectionId: this.connectionId, query });
    if (this.closed) return;
    if (!decision.allow) {
      this.log.warn({ reason: decision.reason, clientIp: this.clientIp }, 'publish refused');
      this.deps.hooks?.authDenied?.({ connectionId: this.connectionId, clientIp: this.clientIp, reason: decision.reason });
      // The brute-force brake: a failed guess costs the guesser time, not us memory.
      if (decision.delayMs > 0) await new Promise((r) => setTimeout(r, decision.delayMs));
      if (this.closed) return;
      const { code, description } = refusal(decision.reason);
      this.write(this.session.rejectPublish(code, description));
      this.socket.end();
      return;
    }
    if (!this.deps.registry.claim(decision.channelId, this)) {
      this.log.warn({ channelId: decision.channelId }, 'channel busy');
      this.write(this.session.rejectPublish(NetStatusCode.PublishBadName, 'Channel is already live.'));
      this.socket.end();
      return;
    }
    const info: SessionInfo = { sessionId: newSessionId(), channelId: decision.channelId, connectionId: this.connectionId, app, startedAt: new Date() };
    const consumers = await this.startConsumers(info);
    if (this.closed) {
      // The client left while consumers were starting: end them so nothing leaks.
      await new Tee(consumers, this.log).end('disconnected');
      this.deps.registry.release(info.channelId, this);
      return;
    }
    const catalog = new TrackCatalog(this.deps.limits.maxTracks, (f) =>
      this.log.warn({ media: f.media, trackId: f.trackId, codec: f.codec, err: errorSummary(f.error) }, 'codec configuration not understood; forwarding as is'),
    );
    this.publish = { info, tee: new Tee(consumers, this.log), catalog, bytesIn: 0, tags: 0, lastTimestampMs: 0, ending: undefined };
    this.write(this.session.acceptPublish());
    this.log.info({ channelId: info.channelId, sessionId: info.sessionId, consumers: consumers.map((c) => c.name) }, 'publish started');
    this.deps.hooks?.publishStarted?.(this.snapshot()!);
  }

  /** A consumer that fails to start is left out (and logged); the publish goes on without it. */
  private async startConsumers(info: SessionInfo): Promise<MediaConsumer[]> {
    const started = await Promise.all(
      this.deps.consumers.map(async (factory) => {
        try {
          const consumer = await factory(info);
          await consumer.start(info);
          return consumer;
        } catch (err) {
          this.log.error({ sessionId: info.sessionId, err: errorSummary(err) }, 'consumer failed to start');
          return undefined;
        }
      }),
    );
    return started.filter((c): c is MediaConsumer => c !== undefined);
  }

  private onMedia(message: RtmpMessage): void {
    const publish = this.publish;
    if (!publish || publish.ending) return;
    let body = message.payload;
    const type = message.type as 8 | 9 | 18;
    try {
      switch (type) {
        case 9:
          if (isCodedVideoFrame(body) && publish.catalog.settled('video')) publish.catalog.countFrame('video', body.length);
          else if (body.length > 0) publish.catalog.onVideo(parseVideoTag(body));
          break;
        case 8:
          if (isCodedAudioFrame(body) && publish.catalog.settled('audio')) publish.catalog.countFrame('audio', body.length);
          else if (body.length > 0) publish.catalog.onAudio(parseAudioTag(body));
          break;
        case 18: {
          const script = parseScriptTag(body);
          if (script.name === 'onMetaData') publish.catalog.onMetadata(metadataInfo(script.value));
          // FLV files store `onMetaData …` without RTMP's `@setDataFrame` prefix.
          body = stripSetDataFrame(body);
          break;
        }
      }
    } catch (err) {
      this.onParseError(err);
    }
    publish.bytesIn += message.payload.length;
    publish.tags++;
    publish.lastTimestampMs = message.timestamp;
    publish.tee.push({ type, timestampMs: message.timestamp, body });
  }

  /**
   * Tag parsing feeds the stream description only; the tag itself is forwarded as received.
   * A codec or packet type newer than this build is forwarded and logged once, not fatal;
   * a structurally broken tag is a protocol error and closes the connection.
   */
  private onParseError(err: unknown): void {
    if (err instanceof ProtocolError && (err.code === 'flv-unknown-fourcc' || err.code === 'flv-unknown-packet-type')) {
      if (!this.unknownCodecs.has(err.message)) {
        this.unknownCodecs.add(err.message);
        this.log.warn({ code: err.code, reason: err.message }, 'unknown media signalling; forwarding as is');
      }
      return;
    }
    throw err;
  }

  private endPublish(reason: EndReason): Promise<void> {
    const publish = this.publish;
    if (!publish) return Promise.resolve();
    if (!publish.ending) {
      const snapshot = this.snapshot()!;
      this.deps.registry.release(publish.info.channelId, this);
      publish.ending = publish.tee.end(reason).then(() => {
        this.log.info({ channelId: publish.info.channelId, sessionId: publish.info.sessionId, reason, bytesIn: publish.bytesIn, tags: publish.tags }, 'publish stopped');
        this.deps.hooks?.publishStopped?.(snapshot, reason);
      });
    }
    return publish.ending;
  }

  private write(chunks: readonly Uint8Array[]): void {
    if (chunks.length === 0 || this.socket.destroyed) return;
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    const code = err instanceof ProtocolError ? err.code : ((err as { code?: string }).code ?? 'internal-error');
    const reason = err instanceof Error ? err.message : String(err);
    this.log.warn({ code, reason, clientIp: this.clientIp }, 'closing connection');
    this.deps.hooks?.connectionFailed?.({ connectionId: this.connectionId, code });
    void this.endPublish('protocol-error');
    this.socket.destroy();
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearHandshakeTimer();
    this.session.close();
    void this.endPublish(this.draining ? 'shutdown' : 'disconnected');
    this.log.debug('connection closed');
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/**
 * A video body that holds only coded frames of the default track (legacy AVC NALUs, or E-RTMP
 * CodedFrames/CodedFramesX): the per-frame hot path, which needs no parsing once tracks are known.
 */
function isCodedVideoFrame(body: Uint8Array): boolean {
  const b0 = body[0];
  if (b0 === undefined) return false;
  if (b0 & 0x80) {
    const packetType = b0 & 0x0f;
    return packetType === 1 || packetType === 3;
  }
  return (b0 & 0x0f) === 7 && body[1] === 1;
}

/** An audio body with coded frames of the default track only (legacy AAC raw, E-RTMP CodedFrames). */
function isCodedAudioFrame(body: Uint8Array): boolean {
  const b0 = body[0];
  if (b0 === undefined) return false;
  const format = b0 >> 4;
  if (format === 9) return (b0 & 0x0f) === 1;
  return format === 10 && body[1] === 1;
}
