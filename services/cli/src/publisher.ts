import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { encodeAmf0 } from '@headwater/amf';
import { FlvReader, type FlvTag } from '@headwater/flv';
import { ClientSession, type StatusInfo } from '@headwater/rtmp';

/** Where to publish: an FFmpeg-style URL (`rtmp://host[:port]/app/streamKey[?q]`) or OBS-style server URL + key. */
export interface PublishTarget {
  url: string;
  /** OBS style: the whole URL path is the app and this is the stream key. */
  streamKey?: string;
  /** RTMPS: accept a self-signed server certificate. @defaultValue false */
  insecure?: boolean;
  /** E-RTMP capsEx to announce (1 = reconnect). */
  capsEx?: number;
}

export interface PublishOptions extends PublishTarget {
  tags: readonly FlvTag[];
  /** Pace tags by their timestamps, like a live encoder. @defaultValue true */
  realtime?: boolean;
  /** Play the tags this many times, timestamps continuing. @defaultValue 1 */
  loops?: number;
  signal?: AbortSignal;
  /** Called with bytes sent so far, after each tag. */
  onProgress?: (bytesSent: number) => void;
}

export interface PublishResult {
  tags: number;
  bytes: number;
  durationMs: number;
}

export class PublishRejectedError extends Error {
  override readonly name = 'PublishRejectedError';
  constructor(readonly info: StatusInfo) {
    super(`publish refused: ${info.code}${info.description ? ` (${info.description})` : ''}`);
  }
}

/** Reads a whole FLV file into tags (fixtures are small; the load generator shares one copy). */
export async function readFlvTags(file: string): Promise<FlvTag[]> {
  const reader = new FlvReader();
  const tags = reader.push(await readFile(file));
  reader.end();
  return tags;
}

/** Splits a publish URL into connect parameters the way FFmpeg and OBS do (reference §4). */
export function parsePublishUrl(target: PublishTarget): { secure: boolean; host: string; port: number; app: string; tcUrl: string; streamName: string } {
  const u = new URL(target.url);
  const secure = u.protocol === 'rtmps:';
  if (!secure && u.protocol !== 'rtmp:') throw new Error(`not an rtmp:// or rtmps:// URL: ${u.protocol}`);
  const port = u.port ? Number(u.port) : secure ? 443 : 1935;
  const parts = u.pathname.split('/').filter(Boolean);
  let app: string;
  let streamName: string;
  if (target.streamKey !== undefined) {
    app = parts.join('/');
    streamName = target.streamKey;
  } else {
    if (parts.length < 2) throw new Error('the URL needs /app/streamKey (or pass the key separately)');
    app = parts.slice(0, -1).join('/');
    streamName = `${parts.at(-1)}${u.search}`;
  }
  return { secure, host: u.hostname, port, app, tcUrl: `${u.protocol}//${u.hostname}:${port}/${app}`, streamName };
}

const SET_DATA_FRAME = encodeAmf0(['@setDataFrame']);

/**
 * Publishes FLV tags over RTMP/RTMPS exactly as an encoder would: handshake, connect,
 * createStream, publish, then the tags byte for byte (script tags get RTMP's `@setDataFrame`).
 */
export async function publishTags(opts: PublishOptions): Promise<PublishResult> {
  const target = parsePublishUrl(opts);
  const socket: net.Socket = target.secure
    ? tls.connect({ host: target.host, port: target.port, servername: net.isIP(target.host) ? undefined : target.host, rejectUnauthorized: !opts.insecure })
    : net.connect({ host: target.host, port: target.port });
  socket.setNoDelay(true);
  const session = new ClientSession({
    app: target.app,
    tcUrl: target.tcUrl,
    streamName: target.streamName,
    ...(opts.capsEx !== undefined ? { enhanced: { capsEx: opts.capsEx } } : {}),
  });
  let failure: Error | undefined;
  // Never rejects (events.once would, on 'error', leaving the derived promises below unhandled):
  // socket errors are kept in `failure` and reported from there.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', (err) => (failure ??= err));

  const publishing = new Promise<void>((resolve, reject) => {
    socket.on('data', (bytes: Buffer) => {
      let out;
      try {
        out = session.receive(bytes);
      } catch (err) {
        reject(err as Error);
        socket.destroy();
        return;
      }
      for (const c of out.send) socket.write(c);
      for (const ev of out.events) {
        if (ev.kind === 'publishing') resolve();
        if (ev.kind === 'rejected') {
          failure = new PublishRejectedError(ev.info);
          reject(failure);
        }
      }
    });
    void closed.then(() => reject(failure ?? new Error('connection closed before publishing started')));
  });
  // Handled here too: if connecting fails we throw below without ever awaiting it.
  publishing.catch(() => undefined);
  await once(socket, target.secure ? 'secureConnect' : 'connect');
  for (const c of session.start()) socket.write(c);
  await publishing;

  const started = performance.now();
  const loops = opts.loops ?? 1;
  const realtime = opts.realtime ?? true;
  const first = opts.tags[0]?.timestampMs ?? 0;
  // The latest tag of any track, not the file's last one: files interleave, and a loop must
  // start after every track's last frame or one track's clock would step back.
  const last = opts.tags.reduce((max, t) => Math.max(max, t.timestampMs), first);
  const loopMs = last - first + 33;
  let bytes = 0;
  let count = 0;
  try {
    for (let loop = 0; loop < loops; loop++) {
      for (const tag of opts.tags) {
        if (opts.signal?.aborted || socket.destroyed) throw failure ?? new Error('publish aborted');
        const ts = (tag.timestampMs - first + loop * loopMs) >>> 0;
        if (realtime) {
          const wait = started + ts - performance.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        }
        if (tag.type === 18 && loop > 0) continue; // metadata once per publish
        if (socket.destroyed) throw failure ?? new Error('connection closed by the server');
        const body = tag.type === 18 ? concat(SET_DATA_FRAME, tag.body) : tag.body;
        let ok = true;
        for (const c of session.media(tag.type, ts, body)) ok = socket.write(c) && ok;
        bytes += body.length;
        count++;
        opts.onProgress?.(bytes);
        // A socket closed by the server never drains: wait for whichever comes first.
        if (!ok) await Promise.race([once(socket, 'drain'), closed]);
      }
    }
    for (const c of session.unpublish()) socket.write(c);
  } finally {
    socket.end();
  }
  await closed;
  if (failure) throw failure;
  return { tags: count, bytes, durationMs: performance.now() - started };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
