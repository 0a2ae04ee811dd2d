import { encodeAmf0 } from '@headwater/amf';
import type { AmfObject, AmfValue } from '@headwater/amf';
import { CommandName, NetStatusCode } from './commands.js';
import type { RtmpCommand, StatusInfo } from './commands.js';

/**
 * The server's command replies (reference §4, §8.4, §8.5) as AMF0 bodies for message type 20.
 * Which chunk stream and message stream id carry them is the caller's choice (onStatus for a
 * stream goes on that stream's id; connect replies and reconnect requests on 0).
 */

/** The E-RTMP capabilities a server announces in its connect reply (reference §8.5). */
export interface EnhancedCaps {
  fourCcList?: readonly string[];
  videoFourCcInfoMap?: Readonly<Record<string, number>>;
  audioFourCcInfoMap?: Readonly<Record<string, number>>;
  /** See `CapsEx`. */
  capsEx?: number;
}

export interface ConnectResultOptions {
  /** Echo the client's objectEncoding (0 or 3). @defaultValue 0 */
  objectEncoding?: number;
  /** E-RTMP fields, written into the properties object (the spec leaves which object open). */
  enhanced?: EnhancedCaps;
  /** @defaultValue 'FMS/3,0,1,123' (what FFmpeg's listener and nginx-rtmp send) */
  fmsVer?: string;
  /** @defaultValue 31 */
  capabilities?: number;
}

/** Encodes any command: name, transaction id, command object, args. */
export function encodeCommand(cmd: RtmpCommand): Uint8Array {
  return encodeAmf0([cmd.name, cmd.transactionId, cmd.commandObject, ...cmd.args]);
}

/** Copies the defined entries only, so absent options are not sent as `undefined`. */
function defined(props: Record<string, AmfValue>): AmfObject {
  const out: AmfObject = {};
  for (const [k, v] of Object.entries(props)) if (v !== undefined) out[k] = v;
  return out;
}

function infoObject(info: StatusInfo, extra: Record<string, AmfValue> = {}): AmfObject {
  return defined({ level: info.level, code: info.code, description: info.description, details: info.details, ...extra });
}

/** Copies E-RTMP caps into plain AMF values (readonly inputs, fresh arrays/objects out). */
export function enhancedProps(caps: EnhancedCaps = {}): Record<string, AmfValue> {
  return {
    fourCcList: caps.fourCcList === undefined ? undefined : [...caps.fourCcList],
    videoFourCcInfoMap: caps.videoFourCcInfoMap === undefined ? undefined : { ...caps.videoFourCcInfoMap },
    audioFourCcInfoMap: caps.audioFourCcInfoMap === undefined ? undefined : { ...caps.audioFourCcInfoMap },
    capsEx: caps.capsEx,
  };
}

/**
 * `_result` for connect: `{fmsVer, capabilities, ...E-RTMP caps}`, then
 * `{level: 'status', code: NetConnection.Connect.Success, description, objectEncoding}`.
 */
export function connectResult(transactionId: number, options: ConnectResultOptions = {}): Uint8Array {
  const props = defined({ fmsVer: options.fmsVer ?? 'FMS/3,0,1,123', capabilities: options.capabilities ?? 31, ...enhancedProps(options.enhanced) });
  const info = infoObject(
    { level: 'status', code: NetStatusCode.ConnectSuccess, description: 'Connection succeeded.' },
    { objectEncoding: options.objectEncoding === 3 ? 3 : 0 },
  );
  return encodeCommand({ name: CommandName.Result, transactionId, commandObject: props, args: [info] });
}

/** `_error` for connect with NetConnection.Connect.Rejected; close the connection after it. */
export function connectRejected(transactionId: number, description: string): Uint8Array {
  return errorResult(transactionId, { level: 'error', code: NetStatusCode.ConnectRejected, description });
}

/** `_error`, txn, null, info (for any call the server refuses). */
export function errorResult(transactionId: number, info: StatusInfo): Uint8Array {
  return encodeCommand({ name: CommandName.Error, transactionId, commandObject: null, args: [infoObject(info)] });
}

/** `_result`, txn, null, streamId: the reply to createStream. */
export function createStreamResult(transactionId: number, streamId: number): Uint8Array {
  return encodeCommand({ name: CommandName.Result, transactionId, commandObject: null, args: [streamId] });
}

/** `_result`, txn, null, undefined: the optional reply to releaseStream, FCPublish, _checkbw. */
export function simpleResult(transactionId: number): Uint8Array {
  return encodeCommand({ name: CommandName.Result, transactionId, commandObject: null, args: [undefined] });
}

/** `onBWDone`, 0, null, 8192: sent after the connect reply (librtmp answers with _checkbw). */
export function onBWDone(): Uint8Array {
  return encodeCommand({ name: CommandName.OnBWDone, transactionId: 0, commandObject: null, args: [8192] });
}

/** `onStatus`, 0, null, info. */
export function onStatus(info: StatusInfo): Uint8Array {
  return encodeCommand({ name: CommandName.OnStatus, transactionId: 0, commandObject: null, args: [infoObject(info)] });
}

/**
 * E-RTMP reconnect request on stream 0 (reference §8.4). Only send it when the client's capsEx
 * has the Reconnect bit. `tcUrl` may be absolute or relative to the current one.
 */
export function reconnectRequest(description?: string, tcUrl?: string): Uint8Array {
  return encodeCommand({
    name: CommandName.OnStatus,
    transactionId: 0,
    commandObject: null,
    args: [infoObject({ level: 'status', code: NetStatusCode.ConnectReconnectRequest, description }, { tcUrl })],
  });
}
