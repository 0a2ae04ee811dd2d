import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAmf0 } from '@headwater/amf';
import { publishTags, readFlvTags, PublishRejectedError } from '@headwater/cli';
import { ChunkWriter, ClientHandshake, MessageType } from '@headwater/rtmp';
import { fixturePath, listFlvFixtures } from '@headwater/testkit';
import { getObject, listArchives, readTags, startHarness, waitFor, type Harness } from './harness.js';

const run = promisify(execFile);

let h: Harness;
let channelId: string;
let streamKey: string;

beforeAll(async () => {
  h = await startHarness();
  const created = await h.pipeline.keyStore.createChannel('e2e');
  channelId = created.channel.id;
  streamKey = created.streamKey;
});

afterAll(async () => {
  await h?.close();
  // The stream key must never reach a log line.
  expect(h.logs.join('')).not.toContain(streamKey);
});

async function newestArchive(): Promise<Uint8Array> {
  const keys = await listArchives(h.pipeline.infra.s3, h.config.s3.bucket, channelId);
  expect(keys.length).toBeGreaterThan(0);
  for (const k of keys) expect(k).not.toContain(streamKey);
  return getObject(h.pipeline.infra.s3, h.config.s3.bucket, keys.at(-1)!);
}

/** The archive holds every published tag, byte for byte, at its timestamp. */
function expectSameTags(archived: ReturnType<typeof readTags>, sent: ReturnType<typeof readTags>) {
  expect(archived.length).toBe(sent.length);
  for (let i = 0; i < sent.length; i++) {
    const a = archived[i]!;
    const s = sent[i]!;
    expect({ i, type: a.type, ts: a.timestampMs, size: a.body.length }).toEqual({ i, type: s.type, ts: s.timestampMs, size: s.body.length });
    expect(Buffer.from(a.body).equals(Buffer.from(s.body))).toBe(true);
  }
}

describe.each(['rtmp', 'rtmps'] as const)('publishing every shared fixture over %s', (scheme) => {
  it.each(listFlvFixtures())('%s is archived tag for tag', async (name) => {
    const tags = await readFlvTags(fixturePath(name));
    const done = h.stopped(channelId);
    const url = scheme === 'rtmp' ? h.rtmpUrl(streamKey) : h.rtmpsUrl(streamKey);
    const result = await publishTags({ url, tags, realtime: false, insecure: true });
    expect(result.tags).toBe(tags.length);
    const { reason } = await done;
    expect(reason).toBe('unpublished');
    expectSameTags(readTags(await newestArchive()), tags);
  });
});

describe('FFmpeg as the publisher', () => {
  it.each(['rtmp', 'rtmps'] as const)('Debian ffmpeg publishes H.264/AAC over %s and ffprobe reads the archive', async (scheme) => {
    const done = h.stopped(channelId);
    const url = scheme === 'rtmp' ? h.rtmpUrl(streamKey) : h.rtmpsUrl(streamKey);
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', fixturePath('h264_aac.flv'), '-c', 'copy', '-f', 'flv', url]);
    await done;
    const file = path.join(tmpdir(), `headwater-e2e-${scheme}-${process.pid}.flv`);
    await writeFile(file, await newestArchive());
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height:format=duration', '-of', 'json', file]);
    const probe = JSON.parse(stdout) as { streams: { codec_name: string; width?: number; height?: number }[]; format: { duration: string } };
    expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(probe.streams.find((s) => s.codec_name === 'h264')).toMatchObject({ width: 640, height: 360 });
    expect(Number(probe.format.duration)).toBeGreaterThan(9.5);
    expect(Number(probe.format.duration)).toBeLessThan(10.5);
  });
});

describe('stream keys', () => {
  const tagsP = readFlvTags(fixturePath('h264_aac.flv'));

  it('refuses a wrong key with NetStream.Publish.Denied', async () => {
    const err = await publishTags({ url: h.rtmpUrl('hw_wrongwrongwro_nope'), tags: await tagsP, realtime: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishRejectedError);
    expect((err as PublishRejectedError).info.code).toBe('NetStream.Publish.Denied');
  });

  it('refuses a revoked key, and accepts the rotated one', async () => {
    const { channel, streamKey: key } = await h.pipeline.keyStore.createChannel('revoked');
    await h.pipeline.keyStore.revokeKey(channel.id);
    const err = await publishTags({ url: h.rtmpUrl(key), tags: await tagsP, realtime: false }).catch((e: unknown) => e);
    expect((err as PublishRejectedError).info.code).toBe('NetStream.Publish.Denied');
    const fresh = await h.pipeline.keyStore.rotateKey(channel.id);
    const done = h.stopped(channel.id);
    await publishTags({ url: h.rtmpUrl(fresh), tags: (await tagsP).slice(0, 20), realtime: false });
    await done;
  });

  it('lets a new publish with the valid key take the channel over', async () => {
    const { channel, streamKey: key } = await h.pipeline.keyStore.createChannel('takeover');
    const tags = await tagsP;
    const first = publishTags({ url: h.rtmpUrl(key), tags, realtime: true }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 500));
    await publishTags({ url: h.rtmpUrl(key), tags: tags.slice(0, 30), realtime: false });
    expect(await first).toBeInstanceOf(Error);
    // The evicted session's archive may finish after the newcomer's: wait for both, in any order.
    const stops = await waitFor('both sessions to stop', () => {
      const mine = h.stops.filter((s) => s.channelId === channel.id);
      return mine.length === 2 && mine;
    });
    expect(stops.map((s) => s.reason).sort()).toEqual(['taken-over', 'unpublished']);
  });
});

describe('malformed input', () => {
  /** Handshake, connect, createStream and publish done right, then `garbage` as chunk stream. */
  async function badPublisher(garbage: Uint8Array): Promise<'closed'> {
    const socket = net.connect({ host: '127.0.0.1', port: h.pipeline.ingest.rtmpPort });
    await new Promise((r) => socket.once('connect', r));
    const hs = new ClientHandshake();
    socket.write(hs.start());
    const writer = new ChunkWriter();
    let handshakeDone = false;
    socket.on('data', (b: Buffer) => {
      if (handshakeDone) return;
      const r = hs.push(b);
      for (const c of r.send) socket.write(c);
      if (r.done) {
        handshakeDone = true;
        const cmd = (streamId: number, values: Parameters<typeof encodeAmf0>[0]) =>
          writer.write({ csid: 3, type: MessageType.CommandAmf0, streamId, timestamp: 0, payload: encodeAmf0(values) });
        for (const c of cmd(0, ['connect', 1, { app: 'live', tcUrl: 'rtmp://127.0.0.1/live' }])) socket.write(c);
        socket.write(garbage);
      }
    });
    socket.on('error', () => undefined);
    await new Promise((r) => socket.once('close', r));
    return 'closed';
  }

  it('closes only the offending connection; a concurrent publish is archived intact', async () => {
    const { channel, streamKey: key } = await h.pipeline.keyStore.createChannel('steady');
    const tags = await readFlvTags(fixturePath('hevc_aac.flv'));
    const done = h.stopped(channel.id);
    const good = publishTags({ url: h.rtmpUrl(key), tags, realtime: true });
    await new Promise((r) => setTimeout(r, 300));
    const cases = [
      new Uint8Array([0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x14, 0, 0, 0, 0]), // 16 MiB message on csid 3
      new Uint8Array([0xc5, 1, 2, 3]), // fmt 3 on a chunk stream never started
      new Uint8Array([0x02, 0, 0, 0, 0, 0, 4, 0x01, 0, 0, 0, 0, 0x80, 0, 0, 0]), // Set Chunk Size with bit 31 set
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff),
    ];
    for (const garbage of cases) expect(await badPublisher(garbage)).toBe('closed');
    await good;
    await done;
    const keys = await listArchives(h.pipeline.infra.s3, h.config.s3.bucket, channel.id);
    expectSameTags(readTags(await getObject(h.pipeline.infra.s3, h.config.s3.bucket, keys.at(-1)!)), tags);
    const closing = h.logs.filter((l) => l.includes('closing connection'));
    expect(closing.length).toBeGreaterThanOrEqual(cases.length);
    for (const line of closing) expect(JSON.parse(line)).toMatchObject({ conn: expect.stringMatching(/^c-/), code: expect.any(String) });
  });
});
