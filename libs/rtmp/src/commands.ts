import { ProtocolError } from '@headwater/bytes';
import { amfArray, amfNumber, amfObject, amfObjectOf, amfString, decodeAmf0, isAmfObject } from '@headwater/amf';
import type { AmfLimits, AmfObject, AmfValue } from '@headwater/amf';

/** A decoded RTMP command message (type 20 AMF0, or 17 AMF3), reference §4. */
export interface RtmpCommand {
  name: string;
  transactionId: number;
  /** The command object, or null (most commands after `connect` send null). */
  commandObject: AmfValue;
  /** Values after the command object. */
  args: AmfValue[];
}

/** Command names an ingest server meets or sends (reference §4). */
export const CommandName = {
  Connect: 'connect',
  CreateStream: 'createStream',
  Publish: 'publish',
  Play: 'play',
  ReleaseStream: 'releaseStream',
  FCPublish: 'FCPublish',
  FCUnpublish: 'FCUnpublish',
  DeleteStream: 'deleteStream',
  CloseStream: 'closeStream',
  CheckBw: '_checkbw',
  Result: '_result',
  Error: '_error',
  OnStatus: 'onStatus',
  OnBWDone: 'onBWDone',
} as const;
export type CommandName = (typeof CommandName)[keyof typeof CommandName];

/**
 * onStatus / _result info codes (reference §4, §8.4). For an authentication failure send
 * PublishDenied; PublishBadName is for a name that is invalid or already publishing.
 */
export const NetStatusCode = {
  ConnectSuccess: 'NetConnection.Connect.Success',
  ConnectRejected: 'NetConnection.Connect.Rejected',
  ConnectClosed: 'NetConnection.Connect.Closed',
  ConnectReconnectRequest: 'NetConnection.Connect.ReconnectRequest',
  PublishStart: 'NetStream.Publish.Start',
  PublishBadName: 'NetStream.Publish.BadName',
  PublishDenied: 'NetStream.Publish.Denied',
  PublishRejected: 'NetStream.Publish.Rejected',
  UnpublishSuccess: 'NetStream.Unpublish.Success',
} as const;
export type NetStatusCode = (typeof NetStatusCode)[keyof typeof NetStatusCode];

/** Info object levels; FFmpeg fails on any `error`. */
export type StatusLevel = 'status' | 'warning' | 'error';

/** The info object of onStatus / _error (reference §4). */
export interface StatusInfo {
  level: StatusLevel;
  code: string;
  description?: string;
  /** NetStream.Publish.Start carries the published name here. */
  details?: string;
}

/** E-RTMP `capsEx` bits (reference §8.5). */
export const CapsEx = { Reconnect: 0x01, Multitrack: 0x02, ModEx: 0x04, TimestampNanoOffset: 0x08 } as const;

/** E-RTMP FourCcInfoMask bits for videoFourCcInfoMap / audioFourCcInfoMap (reference §8.5). */
export const FourCcInfoMask = { CanDecode: 0x01, CanEncode: 0x02, CanForward: 0x04 } as const;

/**
 * Decodes a command message body. `amf3` is true for message type 17, whose body starts with
 * one format byte (0) before AMF0 values that switch to AMF3 per value (reference §5).
 * Throws ProtocolError: AMF errors, or 'command-malformed' without a string name and a number
 * transaction id.
 */
export function parseCommand(payload: Uint8Array, amf3: boolean, limits?: Partial<AmfLimits>): RtmpCommand {
  if (amf3 && payload.length === 0) throw new ProtocolError('truncated', 'AMF3 command without its format byte');
  const values = decodeAmf0(amf3 ? payload.subarray(1) : payload, limits);
  const [name, transactionId, commandObject = null, ...args] = values;
  if (typeof name !== 'string') throw new ProtocolError('command-malformed', 'command name is not a string');
  if (typeof transactionId !== 'number') throw new ProtocolError('command-malformed', 'command transaction id is not a number');
  return { name, transactionId, commandObject, args };
}

/** What a client asked for in `connect` (reference §4, §8.5). */
export interface ConnectRequest {
  /** Application path (may contain `/`); '' when absent. */
  app: string;
  tcUrl: string | undefined;
  flashVer: string | undefined;
  swfUrl: string | undefined;
  /** 0 (AMF0) unless the client asked for 3; echo it in the reply. */
  objectEncoding: 0 | 3;
  /** E-RTMP: FourCCs the client can receive, `"*"` = any; only string entries are kept. */
  fourCcList: string[] | undefined;
  videoFourCcInfoMap: Record<string, number> | undefined;
  audioFourCcInfoMap: Record<string, number> | undefined;
  /** E-RTMP capsEx bits, see {@link CapsEx}. */
  capsEx: number | undefined;
  /** The whole command object, for anything else. */
  props: AmfObject;
  /** Optional user arguments after the command object (some clients put credentials here). */
  extraArgs: AmfValue[];
}

/** Reads the `connect` command object. Throws ProtocolError('connect-malformed') if it is not one. */
export function parseConnect(cmd: RtmpCommand): ConnectRequest {
  const props = amfObject(cmd.commandObject);
  if (cmd.name !== CommandName.Connect || props === undefined) throw new ProtocolError('connect-malformed', 'connect without a command object');
  const list = amfArray(props.fourCcList);
  return {
    app: amfString(props, 'app') ?? '',
    tcUrl: amfString(props, 'tcUrl'),
    flashVer: amfString(props, 'flashVer'),
    swfUrl: amfString(props, 'swfUrl'),
    objectEncoding: amfNumber(props, 'objectEncoding') === 3 ? 3 : 0,
    fourCcList: list?.filter((v): v is string => typeof v === 'string'),
    videoFourCcInfoMap: infoMap(props, 'videoFourCcInfoMap'),
    audioFourCcInfoMap: infoMap(props, 'audioFourCcInfoMap'),
    capsEx: amfNumber(props, 'capsEx'),
    props,
    extraArgs: cmd.args,
  };
}

function infoMap(props: AmfObject, key: string): Record<string, number> | undefined {
  const map = Object.hasOwn(props, key) ? amfObject(props[key]) : undefined;
  if (map === undefined) return undefined;
  const out = amfObjectOf() as Record<string, number>;
  for (const fourCc of Object.keys(map)) {
    const bits = map[fourCc];
    if (typeof bits === 'number') out[fourCc] = bits;
  }
  return out;
}

/** A `publish` request: the stream name (key and query, see {@link splitStreamName}) and type. */
export interface PublishRequest {
  name: string;
  /** 'live' for OBS and FFmpeg; 'record' / 'append' exist in the spec. */
  type: string;
}

/** Reads `publish`'s arguments. Throws ProtocolError('publish-malformed') without a name. */
export function parsePublish(cmd: RtmpCommand): PublishRequest {
  const [name, type] = cmd.args;
  if (cmd.name !== CommandName.Publish || typeof name !== 'string') throw new ProtocolError('publish-malformed', 'publish without a stream name');
  return { name, type: typeof type === 'string' ? type : 'live' };
}

/** A stream name split into its key and query parameters. The key is a secret: never log it. */
export interface StreamName {
  key: string;
  /** Query parameters (null-prototype record); the first occurrence of a repeated name wins. */
  query: Record<string, string>;
}

/** Splits a publish name on the first `?` (reference §4: `key?bandwidthtest=true`). */
export function splitStreamName(name: string): StreamName {
  const q = name.indexOf('?');
  const query = Object.create(null) as Record<string, string>;
  if (q < 0) return { key: name, query };
  for (const [k, v] of new URLSearchParams(name.slice(q + 1))) {
    if (!Object.hasOwn(query, k)) query[k] = v;
  }
  return { key: name.slice(0, q), query };
}

/** The info object of an onStatus / _result / _error command (first object argument), if any. */
export function parseStatus(cmd: RtmpCommand): StatusInfo | undefined {
  const info = cmd.args.find(isAmfObject);
  const code = amfString(info, 'code');
  if (info === undefined || code === undefined) return undefined;
  const level = amfString(info, 'level');
  return {
    level: level === 'error' || level === 'warning' ? level : 'status',
    code,
    description: amfString(info, 'description'),
    details: amfString(info, 'details'),
  };
}
