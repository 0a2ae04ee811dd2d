import { once } from 'node:events';
import net from 'node:net';
import { encodeAmf0 } from '@headwater/amf';
import { PublishRejectedError } from '@headwater/cli';
import type { FlvTag } from '@headwater/flv';
import { ClientSession } from '@headwater/rtmp';

/** RTMP's prefix of a data message, which FLV files store without it. */
const SET_DATA_FRAME = encodeAmf0(['@setDataFrame']);

/**
 * An RTMP publisher a test drives step by step through ClientSession (publishTags does a whole
 * publish in one call): send some tags, wait for something, send more; it records every server
 * event. With `capsEx: 1` it announces E-RTMP reconnect support; after a reconnect request it
 * stops sending, as a client moving elsewhere would.
 */
export class DrivenPublisher {
  /** Tags written to the socket, in order, as sent (timestamps included). */
  readonly sent: FlvTag[] = [];
  /** The server's NetConnection.Connect.ReconnectRequest, once one came. */
  reconnect: { description: string | undefined } | undefined;
  /** The server ended the connection before we did. */
  closedByServer = false;
  private weEnded = false;
  private serverEnded = false;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly socket: net.Socket,
    private readonly session: ClientSession,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('end', () => {
      this.serverEnded = true;
      if (!this.weEnded) this.closedByServer = true;
    });
  }

  /** Connects to `rtmp://host:port/app/key` and publishes; rejects with PublishRejectedError if refused. */
  static async open(url: string, opts: { capsEx?: number } = {}): Promise<DrivenPublisher> {
    const u = new URL(url);
    const [app, streamName] = u.pathname.slice(1).split('/') as [string, string];
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    socket.setNoDelay(true);
    // A write racing the server's close fails; `closed` and `serverEnded` report it.
    socket.on('error', () => undefined);
    const session = new ClientSession({ app, tcUrl: `rtmp://${u.host}/${app}`, streamName, ...(opts.capsEx !== undefined ? { enhanced: { capsEx: opts.capsEx } } : {}) });
    const publisher = new DrivenPublisher(socket, session);
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (bytes: Buffer) => {
        const r = session.receive(bytes);
        for (const c of r.send) socket.write(c);
        for (const ev of r.events) {
          if (ev.kind === 'publishing') resolve();
          if (ev.kind === 'rejected') reject(new PublishRejectedError(ev.info));
          if (ev.kind === 'reconnect-request') publisher.reconnect = { description: ev.description };
        }
      });
      socket.once('connect', () => {
        for (const c of session.start()) socket.write(c);
      });
      void publisher.closed.then(() => reject(new Error('connection closed before publishing started')));
    });
    return publisher;
  }

  /** True once sending should stop: a reconnect request came, or the server closed the connection. */
  get stopped(): boolean {
    return this.reconnect !== undefined || this.serverEnded || this.socket.destroyed;
  }

  /**
   * Sends `tags` (timestamps as given); with `realtime`, paced by their timestamps from now.
   * Returns early when {@link stopped}; resolves with the number of tags sent.
   */
  async send(tags: readonly FlvTag[], { realtime = false } = {}): Promise<number> {
    const started = performance.now();
    const first = tags[0]?.timestampMs ?? 0;
    let count = 0;
    for (const tag of tags) {
      if (realtime) {
        const wait = started + tag.timestampMs - first - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
      if (this.stopped) break;
      const body = tag.type === 18 ? Buffer.concat([SET_DATA_FRAME, tag.body]) : tag.body;
      let ok = true;
      for (const c of this.session.media(tag.type, tag.timestampMs, body)) ok = this.socket.write(c) && ok;
      this.sent.push(tag);
      count++;
      if (!ok) await Promise.race([once(this.socket, 'drain').catch(() => undefined), this.closed]);
    }
    return count;
  }

  /** Ends the connection (after FCUnpublish + deleteStream when `unpublish`) and waits for it to close. */
  async close({ unpublish = false } = {}): Promise<void> {
    this.weEnded = true;
    if (unpublish && !this.socket.destroyed) for (const c of this.session.unpublish()) this.socket.write(c);
    this.socket.end();
    await this.closed;
  }
}
