import { CommandName } from './commands.js';
import { encodeCommand, enhancedProps } from './commands-server.js';
import type { EnhancedCaps } from './commands-server.js';

/** Client-side commands for our publisher CLI and load generator (reference §4), AMF0 bodies for type 20. */

export interface ConnectCommandOptions extends EnhancedCaps {
  app: string;
  tcUrl: string;
  /** @defaultValue 'FMLE/3.0 (compatible; Headwater)' (the FMLE prefix is what OBS and FFmpeg send) */
  flashVer?: string;
  swfUrl?: string;
  /** Omitted unless set (OBS and FFmpeg never send it: AMF0). */
  objectEncoding?: number;
  /** @defaultValue 1 */
  transactionId?: number;
}

/** `connect`, txn 1, {app, type: 'nonprivate', flashVer, [swfUrl], tcUrl, [E-RTMP caps], [objectEncoding]}. */
export function connectCommand(options: ConnectCommandOptions): Uint8Array {
  const props = {
    app: options.app,
    type: 'nonprivate',
    flashVer: options.flashVer ?? 'FMLE/3.0 (compatible; Headwater)',
    swfUrl: options.swfUrl,
    tcUrl: options.tcUrl,
    ...enhancedProps(options),
    objectEncoding: options.objectEncoding,
  };
  const commandObject = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined));
  return encodeCommand({ name: CommandName.Connect, transactionId: options.transactionId ?? 1, commandObject, args: [] });
}

/** `createStream`, txn, null. */
export function createStreamCommand(transactionId: number): Uint8Array {
  return encodeCommand({ name: CommandName.CreateStream, transactionId, commandObject: null, args: [] });
}

/** `publish`, txn, null, name, type: send it on the stream id createStream returned. */
export function publishCommand(transactionId: number, name: string, type = 'live'): Uint8Array {
  return encodeCommand({ name: CommandName.Publish, transactionId, commandObject: null, args: [name, type] });
}

/** `releaseStream`, txn, null, name (FMLE/OBS habit before publishing). */
export function releaseStreamCommand(transactionId: number, name: string): Uint8Array {
  return encodeCommand({ name: CommandName.ReleaseStream, transactionId, commandObject: null, args: [name] });
}

/** `FCPublish`, txn, null, name. */
export function fcPublishCommand(transactionId: number, name: string): Uint8Array {
  return encodeCommand({ name: CommandName.FCPublish, transactionId, commandObject: null, args: [name] });
}

/** `FCUnpublish`, txn, null, name. */
export function fcUnpublishCommand(transactionId: number, name: string): Uint8Array {
  return encodeCommand({ name: CommandName.FCUnpublish, transactionId, commandObject: null, args: [name] });
}

/** `deleteStream`, txn, null, streamId (no reply expected). */
export function deleteStreamCommand(transactionId: number, streamId: number): Uint8Array {
  return encodeCommand({ name: CommandName.DeleteStream, transactionId, commandObject: null, args: [streamId] });
}
