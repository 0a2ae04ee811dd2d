import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStreamKey } from '@headwater/auth';
import { publishTags, readFlvTags, PublishRejectedError } from '@headwater/cli';
import { fixturePath } from '@headwater/testkit';
import { getObject, listArchives, logEntries, readTags, startHarnessWith, tagMismatch, type Harness } from './harness.js';

/** The three auth modes and the brute-force brake, through real RTMP publishes. */

const tags = readFlvTags(fixturePath('h264_aac.flv')).then((all) => all.slice(0, 40));

/** The onStatus code a publish was refused with (or 'accepted'). */
async function publishOutcome(url: string): Promise<string> {
  try {
    await publishTags({ url, tags: await tags, realtime: false });
    return 'accepted';
  } catch (err) {
    if (err instanceof PublishRejectedError) return err.info.code;
    throw err;
  }
}

/** Reasons of the 'publish refused' log lines, in order. */
function refusals(h: Harness): unknown[] {
  return logEntries(h.logs, 'publish refused').map((e) => e.reason);
}

async function expectArchived(h: Harness, channelId: string): Promise<void> {
  const keys = await listArchives(h.pipeline.infra.s3, h.config.s3.bucket, channelId);
  expect(keys).toHaveLength(1);
  expect(tagMismatch(readTags(await getObject(h.pipeline.infra.s3, h.config.s3.bucket, keys[0]!)), await tags)).toBeUndefined();
}

describe('auth mode hmac', () => {
  const secret = 'e2e-hmac-secret-0123456789abcdef-0123456789';
  let h: Harness;

  beforeAll(async () => {
    h = await startHarnessWith({ env: { HEADWATER_AUTH_MODE: 'hmac', HEADWATER_AUTH_HMAC_SECRET: secret } });
  });

  afterAll(async () => {
    await h?.close();
    expect(h.logs.join('')).not.toContain(secret);
  });

  it('accepts a signed key and archives under its channel id', async () => {
    const key = signStreamKey({ channelId: 'cam-signed', expiresAt: new Date(Date.now() + 3600_000), secret });
    const done = h.stopped('cam-signed');
    expect(await publishOutcome(h.rtmpUrl(key))).toBe('accepted');
    expect((await done).reason).toBe('unpublished');
    await expectArchived(h, 'cam-signed');
    expect(h.logs.join('')).not.toContain(key);
  });

  it('refuses an expired key with NetStream.Publish.Denied', async () => {
    const key = signStreamKey({ channelId: 'cam-expired', expiresAt: new Date(Date.now() - 5_000), secret });
    expect(await publishOutcome(h.rtmpUrl(key))).toBe('NetStream.Publish.Denied');
    expect(refusals(h).at(-1)).toBe('expired');
  });

  it('refuses a tampered key with NetStream.Publish.Denied', async () => {
    const key = signStreamKey({ channelId: 'cam-tampered', expiresAt: new Date(Date.now() + 3600_000), secret });
    // Another channel id under the same signature, and a flipped signature character.
    const otherChannel = key.replace('cam-tampered', 'cam-tampereX');
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    const flipped = `${key.slice(0, -2)}${last}${key.at(-1)}`;
    for (const forged of [otherChannel, flipped]) {
      expect(await publishOutcome(h.rtmpUrl(forged))).toBe('NetStream.Publish.Denied');
      expect(refusals(h).at(-1)).toBe('bad-signature');
    }
    // A key signed with another secret is no better.
    const foreign = signStreamKey({ channelId: 'cam-tampered', expiresAt: new Date(Date.now() + 3600_000), secret: 'another-secret-0123456789abcdef-0123456789' });
    expect(await publishOutcome(h.rtmpUrl(foreign))).toBe('NetStream.Publish.Denied');
    expect(refusals(h).at(-1)).toBe('bad-signature');
  });
});

describe('auth mode webhook', () => {
  /** Requests the authorizer received (the key travels in the body). */
  const received: Array<{ streamKey: string; app: string; clientIp: string; query: Record<string, string> }> = [];
  let webhook: http.Server;
  let h: Harness;

  beforeAll(async () => {
    webhook = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (s: string) => (body += s));
      req.on('end', () => {
        const request = JSON.parse(body) as (typeof received)[number];
        received.push(request);
        const reply = (json: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
        if (request.streamKey.startsWith('allow-')) reply({ allow: true, channelId: `wh-${request.streamKey.slice('allow-'.length)}` });
        else if (request.streamKey === 'deny-me') reply({ allow: false });
        else if (request.streamKey === 'forbidden') res.writeHead(403).end();
        // 'hang-…': never answer.
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    const { port } = webhook.address() as AddressInfo;
    h = await startHarnessWith({
      env: { HEADWATER_AUTH_MODE: 'webhook', HEADWATER_AUTH_WEBHOOK_URL: `http://127.0.0.1:${port}/authorize`, HEADWATER_AUTH_WEBHOOK_TIMEOUT_MS: '300' },
    });
  });

  afterAll(async () => {
    await h?.close();
    webhook.closeAllConnections();
    await new Promise((r) => webhook.close(r));
  });

  it('allow: publishes, and the archive lands under the channel id the webhook returned', async () => {
    const done = h.stopped('wh-studio1');
    expect(await publishOutcome(h.rtmpUrl('allow-studio1?token=abc'))).toBe('accepted');
    expect((await done).snapshot.info.channelId).toBe('wh-studio1');
    await expectArchived(h, 'wh-studio1');
    expect(received.at(-1)).toMatchObject({ streamKey: 'allow-studio1', app: 'live', clientIp: '127.0.0.1', query: { token: 'abc' } });
  });

  it('deny (allow: false, or a 4xx answer): NetStream.Publish.Denied', async () => {
    expect(await publishOutcome(h.rtmpUrl('deny-me'))).toBe('NetStream.Publish.Denied');
    expect(refusals(h).at(-1)).toBe('denied');
    expect(await publishOutcome(h.rtmpUrl('forbidden'))).toBe('NetStream.Publish.Denied');
    expect(refusals(h).at(-1)).toBe('denied');
  });

  it('a webhook that never answers: refused after the timeout with NetStream.Publish.Rejected', async () => {
    const started = performance.now();
    expect(await publishOutcome(h.rtmpUrl('hang-forever'))).toBe('NetStream.Publish.Rejected');
    const tookMs = performance.now() - started;
    expect(refusals(h).at(-1)).toBe('timeout');
    expect(tookMs).toBeGreaterThanOrEqual(300);
    expect(tookMs).toBeLessThan(5_000);
    expect(received.at(-1)?.streamKey).toBe('hang-forever');
  });
});

describe('failed attempts from one IP are rate limited', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarnessWith({ env: { HEADWATER_AUTH_MAX_FAILURES_PER_IP_PER_MINUTE: '3' } });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('after 3 wrong keys, even a valid key is refused with NetStream.Publish.Rejected', async () => {
    const { channel, streamKey } = await h.pipeline.keyStore.createChannel('limited');
    const wrong = `hw_${channel.id}_${'x'.repeat(33)}`;
    for (let i = 0; i < 3; i++) expect(await publishOutcome(h.rtmpUrl(wrong))).toBe('NetStream.Publish.Denied');
    expect(refusals(h)).toEqual(['unknown-key', 'unknown-key', 'unknown-key']);
    for (let i = 0; i < 2; i++) expect(await publishOutcome(h.rtmpUrl(streamKey))).toBe('NetStream.Publish.Rejected');
    expect(refusals(h).slice(3)).toEqual(['rate-limited', 'rate-limited']);
    expect(await h.pipeline.keyStore.listChannels()).toContainEqual(expect.objectContaining({ id: channel.id, revoked: false }));
    expect(h.logs.join('')).not.toContain(streamKey);
  });
});
