import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolError } from '@headwater/bytes';
import { encodeAmf0 } from '@headwater/amf';
import { ClientSession } from './client-session.js';
import { ServerSession, type ServerSessionEvent } from './server-session.js';
import { ChunkWriter } from './chunk-writer.js';
import { ClientHandshake } from './handshake.js';
import { MessageType } from './message-types.js';
import { NetStatusCode, CapsEx } from './commands.js';
import type { ClientSessionEvent } from './client-session.js';

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Runs a client and a server against each other in memory until both are quiet. */
function pair(opts: { apps?: string[]; streamName?: string; capsEx?: number; accept?: boolean } = {}) {
  const server = new ServerSession({ apps: opts.apps ?? ['live'] });
  const client = new ClientSession({
    app: 'live',
    tcUrl: 'rtmp://127.0.0.1:1935/live',
    streamName: opts.streamName ?? 'secret-key?token=1',
    ...(opts.capsEx !== undefined ? { enhanced: { capsEx: opts.capsEx } } : {}),
  });
  const serverEvents: ServerSessionEvent[] = [];
  const clientEvents: ClientSessionEvent[] = [];
  let toServer = client.start();
  let toClient: Uint8Array[] = [];
  for (let rounds = 0; rounds < 20 && (toServer.length > 0 || toClient.length > 0); rounds++) {
    const s = server.receive(concat(toServer));
    toServer = [];
    serverEvents.push(...s.events);
    toClient.push(...s.send);
    for (const ev of s.events) {
      if (ev.kind === 'publish') toClient.push(...(opts.accept === false ? server.rejectPublish(NetStatusCode.PublishDenied, 'Bad key.') : server.acceptPublish()));
    }
    const c = client.receive(concat(toClient));
    toClient = [];
    clientEvents.push(...c.events);
    toServer.push(...c.send);
  }
  return { server, client, serverEvents, clientEvents };
}

describe('ServerSession with ClientSession', () => {
  it('runs the OBS publish flow and delivers media on the publishing stream', () => {
    const { server, client, serverEvents, clientEvents } = pair();
    expect(serverEvents.map((e) => e.kind)).toEqual(['connect', 'publish']);
    const publish = serverEvents[1];
    expect(publish).toMatchObject({ kind: 'publish', key: 'secret-key', query: { token: '1' }, type: 'live' });
    expect(clientEvents.map((e) => e.kind)).toContain('publishing');
    expect(server.state).toBe('publishing');

    const video = new Uint8Array([0x17, 0x01, 0, 0, 0, 1, 2, 3]);
    const audio = new Uint8Array(0); // an empty audio message is a legal silence marker
    const out = server.receive(concat([...client.media(9, 40, video), ...client.media(8, 41, audio)]));
    expect(out.events).toEqual([
      { kind: 'media', message: expect.objectContaining({ type: 9, timestamp: 40, payload: video }) },
      { kind: 'media', message: expect.objectContaining({ type: 8, timestamp: 41, payload: audio }) },
    ]);

    const end = server.receive(concat(client.unpublish()));
    expect(end.events).toContainEqual(expect.objectContaining({ kind: 'unpublish' }));
    expect(server.state).toBe('connected');
  });

  it('never echoes the stream key back to the client', () => {
    const { clientEvents } = pair({ streamName: 'TOPSECRET' });
    const statuses = clientEvents.filter((e) => e.kind === 'status');
    expect(JSON.stringify(statuses)).not.toContain('TOPSECRET');
  });

  it('sends NetStream.Publish.Denied and closes on rejection', () => {
    const { server, clientEvents } = pair({ accept: false });
    expect(clientEvents).toContainEqual({ kind: 'rejected', info: expect.objectContaining({ level: 'error', code: NetStatusCode.PublishDenied }) });
    expect(server.state).toBe('closed');
  });

  it('rejects an unknown application with NetConnection.Connect.Rejected', () => {
    const server = new ServerSession({ apps: ['other'] });
    const client = new ClientSession({ app: 'live', tcUrl: 'rtmp://h/live', streamName: 'k' });
    const hello = server.receive(concat(client.start()));
    const c = client.receive(concat(hello.send));
    expect(() => server.receive(concat(c.send))).toThrow(ProtocolError);
  });

  it('offers a reconnect request only to clients that announced it', () => {
    expect(pair().server.requestReconnect()).toBeUndefined();
    const { server, client } = pair({ capsEx: CapsEx.Reconnect });
    const bytes = server.requestReconnect('drain', 'rtmp://other/live');
    expect(bytes).toBeDefined();
    const events = client.receive(concat(bytes!)).events;
    expect(events).toEqual([{ kind: 'reconnect-request', tcUrl: 'rtmp://other/live', description: 'drain' }]);
  });

  it('drops media sent before the publish is accepted', () => {
    const server = new ServerSession();
    const hs = new ClientHandshake();
    const writer = new ChunkWriter();
    const c0c1 = hs.start();
    const s = server.receive(c0c1);
    const c2 = hs.push(concat(s.send)).send;
    const connect = writer.write({ csid: 3, type: MessageType.CommandAmf0, streamId: 0, timestamp: 0, payload: encodeAmf0(['connect', 1, { app: 'live', tcUrl: 'rtmp://h/live' }]) });
    const media = writer.write({ csid: 6, type: MessageType.Video, streamId: 1, timestamp: 0, payload: new Uint8Array([0x17, 0]) });
    const out = server.receive(concat([...c2, ...connect, ...media]));
    expect(out.events.map((e) => e.kind)).toEqual(['connect']);
  });

  it('refuses commands before connect with a clear ProtocolError', () => {
    const server = new ServerSession();
    const hs = new ClientHandshake();
    const s = server.receive(hs.start());
    const c2 = hs.push(concat(s.send)).send;
    const writer = new ChunkWriter();
    const publish = writer.write({ csid: 3, type: MessageType.CommandAmf0, streamId: 1, timestamp: 0, payload: encodeAmf0(['publish', 5, null, 'k', 'live']) });
    expect(() => server.receive(concat([...c2, ...publish]))).toThrowError(expect.objectContaining({ code: 'rtmp-not-connected' }));
  });

  it('gives the same events whatever the TCP slicing of the client bytes', () => {
    // Record one full client byte stream, then replay it to fresh servers in random slices.
    const serverScript = new ServerSession({ apps: ['live'], handshake: { randomBytes: (n) => new Uint8Array(n), nowMs: () => 0 } });
    const recorder = new ClientSession({ app: 'live', tcUrl: 'rtmp://h/live', streamName: 'k', handshake: { randomBytes: (n) => new Uint8Array(n).fill(7), nowMs: () => 0 } });
    const wire: Uint8Array[] = [...recorder.start()];
    let pending = serverScript.receive(concat(wire));
    for (let i = 0; i < 10; i++) {
      for (const ev of pending.events) if (ev.kind === 'publish') pending.send.push(...serverScript.acceptPublish());
      const c = recorder.receive(concat(pending.send));
      wire.push(...c.send);
      if (c.send.length === 0) break;
      pending = serverScript.receive(concat(c.send));
    }
    // Clients send media only after Publish.Start, so the replay always cuts there.
    const preludeBytes = concat(wire).length;
    for (let t = 0; t < 30; t++) wire.push(...recorder.media(t % 2 ? 8 : 9, t * 33, new Uint8Array(500 + t * 97).fill(t)));
    const all = concat(wire);

    const replay = (cuts: number[]): string[] => {
      const server = new ServerSession({ apps: ['live'] });
      const events: string[] = [];
      let at = 0;
      for (const cut of [...cuts, preludeBytes].sort((a, b) => a - b).concat(all.length)) {
        const out = server.receive(all.subarray(at, cut));
        at = cut;
        for (const ev of out.events) {
          if (ev.kind === 'publish') server.acceptPublish();
          events.push(ev.kind === 'media' ? `media:${ev.message.type}:${ev.message.timestamp}:${ev.message.payload.length}:${ev.message.payload[0]}` : ev.kind);
        }
      }
      return events;
    };
    const expected = replay([]);
    expect(expected.filter((e) => e.startsWith('media')).length).toBe(30);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: all.length }), { maxLength: 200 }), (cuts) => {
        expect(replay(cuts)).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('turns hostile bytes after the handshake into ProtocolError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (junk) => {
        const server = new ServerSession();
        const hs = new ClientHandshake();
        const s = server.receive(hs.start());
        const c2 = concat(hs.push(concat(s.send)).send);
        try {
          server.receive(concat([c2, junk]));
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
