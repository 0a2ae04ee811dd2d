import { ProtocolError, checkLimit } from '@headwater/bytes';
import type { AmfLimits } from '@headwater/amf';
import { CONTROL_CSID } from './chunk-header.js';
import { ChunkParser, type RtmpMessage } from './chunk-parser.js';
import { ChunkWriter } from './chunk-writer.js';
import { splitAggregate } from './aggregate.js';
import {
  CapsEx,
  CommandName,
  FourCcInfoMask,
  NetStatusCode,
  parseCommand,
  parseConnect,
  parsePublish,
  splitStreamName,
  type ConnectRequest,
  type RtmpCommand,
  type StatusInfo,
} from './commands.js';
import {
  connectRejected,
  connectResult,
  createStreamResult,
  errorResult,
  onBWDone,
  onStatus,
  reconnectRequest,
  simpleResult,
  type EnhancedCaps,
} from './commands-server.js';
import { acknowledgement, parseControlMessage, setChunkSize, setPeerBandwidth, userControl, windowAckSize } from './control-messages.js';
import { ServerHandshake, type HandshakeOptions } from './handshake.js';
import { MessageType, PeerBandwidthLimit, UserControlEvent } from './message-types.js';
import type { ChunkLimits } from './rtmp-limits.js';

/** Chunk streams we send on besides control (2): nginx-rtmp's choice, connection commands 3, stream status 5. */
const CSID_COMMAND = 3;
const CSID_STREAM = 5;

/** Every FourCC we take from publishers: we forward (archive, transcode) all of them. */
const FORWARD_ALL = FourCcInfoMask.CanForward;
export const SERVER_ENHANCED_CAPS: EnhancedCaps = {
  fourCcList: ['avc1', 'hvc1', 'av01', 'vp09', 'vp08', 'vvc1', 'mp4a', 'Opus', 'fLaC', 'ac-3', 'ec-3', '.mp3'],
  videoFourCcInfoMap: { avc1: FORWARD_ALL, hvc1: FORWARD_ALL, av01: FORWARD_ALL, vp09: FORWARD_ALL, vp08: FORWARD_ALL, vvc1: FORWARD_ALL },
  audioFourCcInfoMap: { mp4a: FORWARD_ALL, Opus: FORWARD_ALL, fLaC: FORWARD_ALL, 'ac-3': FORWARD_ALL, 'ec-3': FORWARD_ALL, '.mp3': FORWARD_ALL },
  capsEx: CapsEx.Reconnect | CapsEx.Multitrack | CapsEx.ModEx | CapsEx.TimestampNanoOffset,
};

export interface ServerSessionOptions {
  /** Accepted application names (leading/trailing `/` ignored); empty accepts any. @defaultValue [] */
  apps?: readonly string[];
  chunkLimits?: Partial<ChunkLimits>;
  amfLimits?: Partial<AmfLimits>;
  /** Our outgoing chunk size, announced before the connect reply. @defaultValue 4096 */
  outChunkSize?: number;
  /** Window Ack Size we announce and, unless the client sets one, the interval of our acks. @defaultValue 2_500_000 */
  windowAckBytes?: number;
  /** createStream calls allowed per connection (each allocates a stream id). @defaultValue 8 */
  maxStreams?: number;
  handshake?: HandshakeOptions;
}

/** What the service must act on. Replies the protocol needs are already in `send`. */
export type ServerSessionEvent =
  | { kind: 'connect'; request: ConnectRequest }
  /** Waiting for `acceptPublish()` or `rejectPublish()`; the client sends no media until then. */
  | { kind: 'publish'; streamId: number; name: string; key: string; query: Record<string, string>; type: string }
  /** Audio (8), video (9) or data (18) on the publishing stream; AMF3 data (15) arrives as 18. */
  | { kind: 'media'; message: RtmpMessage }
  | { kind: 'unpublish'; streamId: number; via: 'FCUnpublish' | 'deleteStream' | 'closeStream' };

export interface ServerSessionOutput {
  send: Uint8Array[];
  events: ServerSessionEvent[];
}

export type ServerSessionState = 'handshake' | 'awaiting-connect' | 'connected' | 'publish-pending' | 'publishing' | 'closed';

/**
 * Sans-I/O server side of one RTMP connection, from the first handshake byte to unpublish
 * (reference §1–4, §8.4–8.5). Feed it socket bytes with `receive()`; write out what it returns.
 * Authentication is the caller's: a `publish` event waits for `acceptPublish()`/`rejectPublish()`.
 * Any malformed input throws ProtocolError; the caller then closes this connection alone.
 */
export class ServerSession {
  private phase: ServerSessionState = 'handshake';
  private readonly handshake: ServerHandshake;
  private readonly parser: ChunkParser;
  private readonly writer = new ChunkWriter();
  private readonly apps: ReadonlySet<string>;
  private readonly amfLimits: Partial<AmfLimits> | undefined;
  private readonly outChunkSize: number;
  private readonly windowAckBytes: number;
  private readonly maxStreams: number;
  private ackWindow: number;
  private lastAckAt = 0;
  private nextStreamId = 1;
  private readonly streams = new Set<number>();
  private publishStreamId = 0;
  private publishName = '';
  private connectRequest: ConnectRequest | undefined;

  constructor(options: ServerSessionOptions = {}) {
    this.handshake = new ServerHandshake(options.handshake);
    this.parser = new ChunkParser(options.chunkLimits);
    this.apps = new Set((options.apps ?? []).map(trimSlashes));
    this.amfLimits = options.amfLimits;
    this.outChunkSize = options.outChunkSize ?? 4096;
    this.windowAckBytes = options.windowAckBytes ?? 2_500_000;
    this.ackWindow = this.windowAckBytes;
    this.maxStreams = options.maxStreams ?? 8;
  }

  get state(): ServerSessionState {
    return this.phase;
  }

  /** The client's connect request (app, tcUrl, E-RTMP capabilities) once received. */
  get connectInfo(): ConnectRequest | undefined {
    return this.connectRequest;
  }

  /** The message stream id being published on, or 0. */
  get publishingStreamId(): number {
    return this.publishStreamId;
  }

  /** True when the client announced E-RTMP reconnect support (capsEx bit 0x01). */
  get supportsReconnect(): boolean {
    return ((this.connectRequest?.capsEx ?? 0) & CapsEx.Reconnect) !== 0;
  }

  /** Bytes of chunk stream received so far (after the handshake). */
  get bytesReceived(): number {
    return this.parser.bytesReceived;
  }

  receive(bytes: Uint8Array): ServerSessionOutput {
    const out: ServerSessionOutput = { send: [], events: [] };
    if (this.phase === 'closed') return out;
    let chunkBytes = bytes;
    if (this.phase === 'handshake') {
      const hs = this.handshake.push(bytes);
      out.send.push(...hs.send);
      if (!hs.done) return out;
      this.phase = 'awaiting-connect';
      chunkBytes = hs.leftover;
    }
    if (chunkBytes.length === 0) return out;
    for (const message of this.parser.push(chunkBytes)) this.dispatch(message, out);
    const received = this.parser.bytesReceived;
    if (received - this.lastAckAt >= this.ackWindow) {
      this.lastAckAt = received;
      this.control(out, MessageType.Acknowledgement, acknowledgement(received));
    }
    return out;
  }

  /** Answers a pending publish with NetStream.Publish.Start; media flows after this. */
  acceptPublish(): Uint8Array[] {
    if (this.phase !== 'publish-pending') throw new ProtocolError('session-state', `no publish to accept (state ${this.phase})`);
    this.phase = 'publishing';
    const send: Uint8Array[] = [];
    send.push(...this.writer.write({ csid: CONTROL_CSID, type: MessageType.UserControl, streamId: 0, timestamp: 0, payload: userControl(UserControlEvent.StreamBegin, this.publishStreamId) }));
    send.push(...this.status(this.publishStreamId, { level: 'status', code: NetStatusCode.PublishStart, description: 'Publishing.', details: this.publishName }));
    return send;
  }

  /**
   * Refuses a pending publish with an error onStatus (`NetStream.Publish.Denied` for auth,
   * `BadName` for a busy or invalid name). The caller closes the connection after sending.
   */
  rejectPublish(code: string, description: string): Uint8Array[] {
    const streamId = this.publishStreamId;
    this.phase = 'closed';
    return this.status(streamId, { level: 'error', code, description });
  }

  /**
   * E-RTMP v2 reconnect request (reference §8.4), for a graceful drain. Returns undefined when
   * the client did not announce support: such clients are simply closed.
   */
  requestReconnect(description = 'Server is shutting down; reconnect.', tcUrl?: string): Uint8Array[] | undefined {
    if (!this.supportsReconnect || this.phase === 'closed') return undefined;
    return this.writer.write({ csid: CSID_COMMAND, type: MessageType.CommandAmf0, streamId: 0, timestamp: 0, payload: reconnectRequest(description, tcUrl) });
  }

  /** Marks the session closed; later input is ignored. */
  close(): void {
    this.phase = 'closed';
  }

  private dispatch(message: RtmpMessage, out: ServerSessionOutput): void {
    switch (message.type) {
      case MessageType.SetChunkSize:
      case MessageType.Abort:
      case MessageType.Acknowledgement:
      case MessageType.SetPeerBandwidth:
        return; // the parser applied chunk size and abort; acks and bandwidth need no answer
      case MessageType.WindowAckSize: {
        const msg = parseControlMessage(message.type, message.payload);
        if (msg.type === MessageType.WindowAckSize && msg.windowBytes > 0) this.ackWindow = msg.windowBytes;
        return;
      }
      case MessageType.UserControl: {
        const msg = parseControlMessage(message.type, message.payload);
        if (msg.type === MessageType.UserControl && msg.userControl.event === UserControlEvent.PingRequest) {
          this.control(out, MessageType.UserControl, userControl(UserControlEvent.PingResponse, msg.userControl.timestampMs));
        }
        return;
      }
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        return this.command(message, parseCommand(message.payload, message.type === MessageType.CommandAmf3, this.amfLimits), out);
      case MessageType.Audio:
      case MessageType.Video:
      case MessageType.DataAmf0:
        return this.media(message, out);
      case MessageType.DataAmf3:
        // Format byte 0 then AMF0 values (reference §5): the same bytes as a type-18 payload after it.
        if (message.payload.length === 0 || message.payload[0] !== 0) throw new ProtocolError('amf3-format', 'AMF3 data message without the 0 format byte');
        return this.media({ ...message, type: MessageType.DataAmf0, payload: message.payload.subarray(1) }, out);
      case MessageType.Aggregate:
        if (this.phase !== 'publishing' || message.streamId !== this.publishStreamId) return;
        for (const sub of splitAggregate(message)) this.media(sub, out);
        return;
      default:
        return; // shared objects and unknown types: not for an ingest, ignored
    }
  }

  private media(message: RtmpMessage, out: ServerSessionOutput): void {
    // Media outside an accepted publish (or on another stream id) is dropped, not an error:
    // some clients send metadata early; nothing may reach consumers before auth succeeds.
    if (this.phase === 'publishing' && message.streamId === this.publishStreamId) out.events.push({ kind: 'media', message });
  }

  private command(message: RtmpMessage, cmd: RtmpCommand, out: ServerSessionOutput): void {
    if (this.phase === 'awaiting-connect' && cmd.name !== CommandName.Connect) {
      throw new ProtocolError('rtmp-not-connected', `command ${describeName(cmd.name)} before connect`);
    }
    switch (cmd.name) {
      case CommandName.Connect:
        return this.connect(cmd, out);
      case CommandName.CreateStream: {
        if (this.streams.size >= this.maxStreams) {
          this.reply(out, errorResult(cmd.transactionId, { level: 'error', code: 'NetConnection.Call.Failed', description: 'Too many streams.' }));
          return;
        }
        const id = this.nextStreamId++;
        this.streams.add(id);
        this.reply(out, createStreamResult(cmd.transactionId, id));
        return;
      }
      case CommandName.ReleaseStream:
      case CommandName.FCPublish:
      case CommandName.CheckBw:
        if (cmd.transactionId !== 0) this.reply(out, simpleResult(cmd.transactionId));
        return;
      case CommandName.Publish:
        return this.publish(message, cmd, out);
      case CommandName.FCUnpublish:
        if (this.phase === 'publishing') {
          out.send.push(...this.status(this.publishStreamId, { level: 'status', code: NetStatusCode.UnpublishSuccess, description: 'Stopped publishing.', details: this.publishName }));
          this.endPublish(out, 'FCUnpublish');
        }
        if (cmd.transactionId !== 0) this.reply(out, simpleResult(cmd.transactionId));
        return;
      case CommandName.DeleteStream: {
        const id = typeof cmd.args[0] === 'number' ? cmd.args[0] : message.streamId;
        this.streams.delete(id);
        if (id === this.publishStreamId && this.phase === 'publishing') this.endPublish(out, 'deleteStream');
        return;
      }
      case CommandName.CloseStream:
        if (message.streamId === this.publishStreamId && this.phase === 'publishing') this.endPublish(out, 'closeStream');
        return;
      case CommandName.Result:
      case CommandName.Error:
      case CommandName.OnStatus:
        return; // replies to our own calls (onBWDone): nothing to do
      case CommandName.Play:
        out.send.push(...this.status(message.streamId, { level: 'error', code: 'NetStream.Play.Failed', description: 'This server only accepts publishing.' }));
        return;
      default:
        // Unknown calls get an error reply when they expect one; FFmpeg ignores _error on optional calls.
        if (cmd.transactionId !== 0) this.reply(out, errorResult(cmd.transactionId, { level: 'error', code: 'NetConnection.Call.Failed', description: 'Method not found.' }));
    }
  }

  private connect(cmd: RtmpCommand, out: ServerSessionOutput): void {
    if (this.phase !== 'awaiting-connect') throw new ProtocolError('rtmp-connect-repeated', 'connect received twice');
    const request = parseConnect(cmd);
    if (this.apps.size > 0 && !this.apps.has(trimSlashes(request.app))) {
      this.reply(out, connectRejected(cmd.transactionId, 'Unknown application.'));
      this.phase = 'closed';
      throw new ProtocolError('rtmp-unknown-app', `unknown application "${truncate(request.app)}"`);
    }
    this.connectRequest = request;
    this.phase = 'connected';
    out.events.push({ kind: 'connect', request });
    this.control(out, MessageType.WindowAckSize, windowAckSize(this.windowAckBytes));
    this.control(out, MessageType.SetPeerBandwidth, setPeerBandwidth(this.windowAckBytes, PeerBandwidthLimit.Dynamic));
    this.control(out, MessageType.SetChunkSize, setChunkSize(this.outChunkSize));
    this.reply(out, connectResult(cmd.transactionId, { objectEncoding: request.objectEncoding, enhanced: SERVER_ENHANCED_CAPS }));
    this.reply(out, onBWDone());
  }

  private publish(message: RtmpMessage, cmd: RtmpCommand, out: ServerSessionOutput): void {
    const request = parsePublish(cmd);
    if (this.phase !== 'connected') {
      out.send.push(...this.status(message.streamId, { level: 'error', code: NetStatusCode.PublishBadName, description: 'Already publishing on this connection.' }));
      return;
    }
    if (!this.streams.has(message.streamId)) throw new ProtocolError('rtmp-unknown-stream', `publish on stream ${message.streamId} that createStream did not return`);
    checkLimit('stream name bytes', request.name.length, 4096);
    const { key, query } = splitStreamName(request.name);
    if (key.length === 0) {
      out.send.push(...this.status(message.streamId, { level: 'error', code: NetStatusCode.PublishBadName, description: 'Empty stream key.' }));
      this.phase = 'closed';
      return;
    }
    this.phase = 'publish-pending';
    this.publishStreamId = message.streamId;
    // The name goes back in Publish.Start's details; the key part is a secret, so only the app-visible name without query.
    this.publishName = '';
    out.events.push({ kind: 'publish', streamId: message.streamId, name: request.name, key, query, type: request.type });
  }

  private endPublish(out: ServerSessionOutput, via: 'FCUnpublish' | 'deleteStream' | 'closeStream'): void {
    const streamId = this.publishStreamId;
    this.phase = 'connected';
    this.publishStreamId = 0;
    out.events.push({ kind: 'unpublish', streamId, via });
  }

  private control(out: ServerSessionOutput, type: number, payload: Uint8Array): void {
    out.send.push(...this.writer.write({ csid: CONTROL_CSID, type, streamId: 0, timestamp: 0, payload }));
  }

  private reply(out: ServerSessionOutput, payload: Uint8Array): void {
    out.send.push(...this.writer.write({ csid: CSID_COMMAND, type: MessageType.CommandAmf0, streamId: 0, timestamp: 0, payload }));
  }

  private status(streamId: number, info: StatusInfo): Uint8Array[] {
    return this.writer.write({ csid: CSID_STREAM, type: MessageType.CommandAmf0, streamId, timestamp: 0, payload: onStatus(info) });
  }
}

function trimSlashes(app: string): string {
  return app.replace(/^\/+|\/+$/g, '');
}

function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}

/** Command names come from the peer: cap what reaches a log line. */
function describeName(name: string): string {
  return JSON.stringify(truncate(name));
}
