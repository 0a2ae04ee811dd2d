import { ProtocolError } from '@headwater/bytes';
import { amfString, isAmfObject } from '@headwater/amf';
import { CONTROL_CSID } from './chunk-header.js';
import { ChunkParser, type RtmpMessage } from './chunk-parser.js';
import { ChunkWriter } from './chunk-writer.js';
import { CommandName, NetStatusCode, parseCommand, parseStatus, type StatusInfo } from './commands.js';
import type { EnhancedCaps } from './commands-server.js';
import {
  connectCommand,
  createStreamCommand,
  deleteStreamCommand,
  fcPublishCommand,
  fcUnpublishCommand,
  publishCommand,
  releaseStreamCommand,
} from './commands-client.js';
import { acknowledgement, parseControlMessage, setChunkSize, userControl } from './control-messages.js';
import { ClientHandshake, type HandshakeOptions } from './handshake.js';
import { MessageType, UserControlEvent } from './message-types.js';

const CSID_COMMAND = 3;
/** OBS/librtmp's choices: audio, video and data on their own chunk streams so they interleave cleanly. */
const CSID_DATA = 4;
const CSID_AUDIO = 6;
const CSID_VIDEO = 7;

const TXN_CONNECT = 1;
const TXN_RELEASE = 2;
const TXN_FCPUBLISH = 3;
const TXN_CREATE_STREAM = 4;
const TXN_PUBLISH = 5;

export interface ClientSessionOptions {
  app: string;
  tcUrl: string;
  /** The publish name: stream key, optionally with `?query`. */
  streamName: string;
  /** Our outgoing chunk size (OBS sends 4096 before connect). @defaultValue 4096 */
  chunkSize?: number;
  /** E-RTMP capabilities to announce in connect (FFmpeg's `-rtmp_enhanced_codecs` style). */
  enhanced?: EnhancedCaps;
  handshake?: HandshakeOptions;
}

export type ClientSessionEvent =
  /** NetStream.Publish.Start arrived: media may flow. */
  | { kind: 'publishing'; streamId: number }
  /** Any onStatus / _error the server sent (including the rejection that ends a publish). */
  | { kind: 'status'; info: StatusInfo }
  /** The server asks for a reconnect (E-RTMP v2 §8.4). */
  | { kind: 'reconnect-request'; tcUrl: string | undefined; description: string | undefined }
  /** A publish was refused: the connection should be closed. */
  | { kind: 'rejected'; info: StatusInfo };

export interface ClientSessionOutput {
  send: Uint8Array[];
  events: ClientSessionEvent[];
}

export type ClientSessionState = 'idle' | 'handshake' | 'connecting' | 'creating-stream' | 'publish-pending' | 'publishing' | 'closed';

/**
 * Sans-I/O publisher side of an RTMP connection: the flow OBS uses (reference §4), for our
 * publisher CLI, load generator and tests. `start()` gives C0+C1; feed server bytes to
 * `receive()`; once `publishing`, `media()` chunks audio/video/data messages.
 */
export class ClientSession {
  private phase: ClientSessionState = 'idle';
  private readonly handshake: ClientHandshake;
  private readonly parser = new ChunkParser();
  private readonly writer = new ChunkWriter();
  private streamId = 0;
  private ackWindow = 0;
  private lastAckAt = 0;

  constructor(private readonly options: ClientSessionOptions) {
    this.handshake = new ClientHandshake(options.handshake);
  }

  get state(): ClientSessionState {
    return this.phase;
  }

  start(): Uint8Array[] {
    if (this.phase !== 'idle') throw new ProtocolError('session-state', 'client session already started');
    this.phase = 'handshake';
    return [this.handshake.start()];
  }

  receive(bytes: Uint8Array): ClientSessionOutput {
    const out: ClientSessionOutput = { send: [], events: [] };
    if (this.phase === 'closed') return out;
    let rest = bytes;
    if (this.phase === 'handshake') {
      const hs = this.handshake.push(bytes);
      out.send.push(...hs.send);
      if (!hs.done) return out;
      this.phase = 'connecting';
      const chunkSize = this.options.chunkSize ?? 4096;
      out.send.push(...this.writer.write({ csid: CONTROL_CSID, type: MessageType.SetChunkSize, streamId: 0, timestamp: 0, payload: setChunkSize(chunkSize) }));
      this.command(out, 0, connectCommand({ app: this.options.app, tcUrl: this.options.tcUrl, transactionId: TXN_CONNECT, ...this.options.enhanced }));
      rest = hs.leftover;
    }
    if (rest.length === 0) return out;
    for (const message of this.parser.push(rest)) this.dispatch(message, out);
    if (this.ackWindow > 0 && this.parser.bytesReceived - this.lastAckAt >= this.ackWindow) {
      this.lastAckAt = this.parser.bytesReceived;
      out.send.push(...this.writer.write({ csid: CONTROL_CSID, type: MessageType.Acknowledgement, streamId: 0, timestamp: 0, payload: acknowledgement(this.lastAckAt) }));
    }
    return out;
  }

  /** Chunks one audio (8), video (9) or data (18) message on the publishing stream. */
  media(type: 8 | 9 | 18, timestampMs: number, payload: Uint8Array): Uint8Array[] {
    if (this.phase !== 'publishing') throw new ProtocolError('session-state', `cannot send media in state ${this.phase}`);
    const csid = type === MessageType.Audio ? CSID_AUDIO : type === MessageType.Video ? CSID_VIDEO : CSID_DATA;
    return this.writer.write({ csid, type, streamId: this.streamId, timestamp: timestampMs >>> 0, payload });
  }

  /** FCUnpublish + deleteStream, as OBS sends when streaming stops. */
  unpublish(): Uint8Array[] {
    if (this.phase !== 'publishing') return [];
    this.phase = 'closed';
    const out: ClientSessionOutput = { send: [], events: [] };
    this.command(out, 0, fcUnpublishCommand(6, this.options.streamName));
    this.command(out, 0, deleteStreamCommand(7, this.streamId));
    return out.send;
  }

  private dispatch(message: RtmpMessage, out: ClientSessionOutput): void {
    switch (message.type) {
      case MessageType.WindowAckSize: {
        const msg = parseControlMessage(message.type, message.payload);
        if (msg.type === MessageType.WindowAckSize) this.ackWindow = msg.windowBytes;
        return;
      }
      case MessageType.UserControl: {
        const msg = parseControlMessage(message.type, message.payload);
        if (msg.type === MessageType.UserControl && msg.userControl.event === UserControlEvent.PingRequest) {
          out.send.push(...this.writer.write({ csid: CONTROL_CSID, type: MessageType.UserControl, streamId: 0, timestamp: 0, payload: userControl(UserControlEvent.PingResponse, msg.userControl.timestampMs) }));
        }
        return;
      }
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        return this.onCommand(message, out);
      default:
        return;
    }
  }

  private onCommand(message: RtmpMessage, out: ClientSessionOutput): void {
    const cmd = parseCommand(message.payload, message.type === MessageType.CommandAmf3);
    if (cmd.name === CommandName.Result) {
      if (cmd.transactionId === TXN_CONNECT && this.phase === 'connecting') {
        this.phase = 'creating-stream';
        this.command(out, 0, releaseStreamCommand(TXN_RELEASE, this.options.streamName));
        this.command(out, 0, fcPublishCommand(TXN_FCPUBLISH, this.options.streamName));
        this.command(out, 0, createStreamCommand(TXN_CREATE_STREAM));
      } else if (cmd.transactionId === TXN_CREATE_STREAM && this.phase === 'creating-stream') {
        const id = cmd.args.find((a) => typeof a === 'number');
        if (typeof id !== 'number') throw new ProtocolError('rtmp-bad-reply', 'createStream _result without a stream id');
        this.streamId = id;
        this.phase = 'publish-pending';
        this.command(out, id, publishCommand(TXN_PUBLISH, this.options.streamName));
      }
      return;
    }
    if (cmd.name === CommandName.Error || cmd.name === CommandName.OnStatus) {
      const info = parseStatus(cmd);
      if (!info) return;
      if (info.code === NetStatusCode.ConnectReconnectRequest) {
        out.events.push({ kind: 'reconnect-request', tcUrl: amfString(cmd.args.find(isAmfObject), 'tcUrl'), description: info.description });
        return;
      }
      out.events.push({ kind: 'status', info });
      if (info.code === NetStatusCode.PublishStart && this.phase === 'publish-pending') {
        this.phase = 'publishing';
        out.events.push({ kind: 'publishing', streamId: this.streamId });
      } else if (info.level === 'error' && (cmd.name === CommandName.OnStatus || cmd.transactionId === TXN_CONNECT || cmd.transactionId === TXN_CREATE_STREAM)) {
        this.phase = 'closed';
        out.events.push({ kind: 'rejected', info });
      }
    }
  }

  private command(out: ClientSessionOutput, streamId: number, payload: Uint8Array): void {
    out.send.push(...this.writer.write({ csid: CSID_COMMAND, type: MessageType.CommandAmf0, streamId, timestamp: 0, payload }));
  }
}
