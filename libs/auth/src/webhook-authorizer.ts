import { createHash } from 'node:crypto';
import { redactUrl } from '@headwater/log';
import type { Logger } from '@headwater/log';
import { EXTERNAL_CHANNEL_ID } from './auth-types.js';
import type { AuthRequest } from './auth-types.js';

/**
 * The webhook contract (`auth.mode = webhook`).
 *
 * Request: `POST <auth.webhookUrl>`, `content-type: application/json`, no redirects followed:
 *
 *     { "version": 1, "action": "publish", "streamKey": "…", "app": "live",
 *       "clientIp": "203.0.113.7", "connectionId": "…", "query": { "a": "1" } }
 *
 * The key travels in the body (the authorizer has to check it; bodies, unlike URLs, do not end
 * up in access logs). Headwater never logs it.
 *
 * Response:
 * - 2xx with `{ "allow": true, "channelId": "<1-64 of A-Z a-z 0-9 _ ->" }` → allow as that channel;
 * - 2xx with an empty body, or `{ "allow": true }` without channelId → allow, with the channel id
 *   derived from the key: `wh_` + 16 base64url chars of SHA-256(key). One-way, stable per key,
 *   but if your keys are guessable (short, human-chosen) return an explicit channelId instead,
 *   since channel ids appear in logs and archive paths;
 * - 2xx with `{ "allow": false }` or any 4xx → deny (`denied`);
 * - no answer within auth.webhookTimeoutMs → deny (`timeout`);
 * - anything else (3xx, 5xx, network error, non-JSON or unexpected body, body over 64 KiB) →
 *   deny (`webhook-error`). The webhook failing closed is deliberate.
 */
export const WEBHOOK_CONTRACT_VERSION = 1;

/** Larger webhook answers are refused (`webhook-error`) rather than buffered. */
export const MAX_WEBHOOK_RESPONSE_BYTES = 64 * 1024;

export type WebhookVerdict = { ok: true; channelId: string } | { ok: false; reason: 'denied' | 'timeout' | 'webhook-error' };

export interface WebhookAuthorizerOptions {
  url: string;
  timeoutMs: number;
  /** @defaultValue global `fetch` */
  fetch?: typeof fetch;
  /** Webhook failures are logged here (URL redacted, key never). */
  logger?: Logger;
}

/** Asks an HTTP endpoint whether a publish is allowed. See {@link WEBHOOK_CONTRACT_VERSION} for the contract. */
export class WebhookAuthorizer {
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: WebhookAuthorizerOptions) {
    this.fetch = opts.fetch ?? globalThis.fetch;
  }

  async authorize(req: AuthRequest): Promise<WebhookVerdict> {
    const body = JSON.stringify({
      version: WEBHOOK_CONTRACT_VERSION,
      action: 'publish',
      streamKey: req.streamKey,
      app: req.app,
      clientIp: req.clientIp,
      connectionId: req.connectionId,
      query: req.query,
    });
    try {
      const res = await this.fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
        redirect: 'manual',
        // Covers the body read too: the whole exchange has one deadline.
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      if (res.status >= 400 && res.status < 500) {
        await res.body?.cancel();
        return { ok: false, reason: 'denied' };
      }
      if (res.status < 200 || res.status >= 300) {
        await res.body?.cancel();
        return this.fail(req, `status ${res.status}`);
      }
      const text = await readCapped(res, MAX_WEBHOOK_RESPONSE_BYTES);
      if (text === undefined) return this.fail(req, `response over ${MAX_WEBHOOK_RESPONSE_BYTES} bytes`);
      return this.interpret(req, text);
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        this.opts.logger?.warn({ webhook: redactUrl(this.opts.url), connectionId: req.connectionId, timeoutMs: this.opts.timeoutMs }, 'auth webhook timed out');
        return { ok: false, reason: 'timeout' };
      }
      return this.fail(req, err instanceof Error ? `${err.name}: ${err.message}` : 'request failed');
    }
  }

  private interpret(req: AuthRequest, text: string): WebhookVerdict {
    if (text.trim() === '') return { ok: true, channelId: derivedChannelId(req.streamKey) };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.fail(req, 'response is not JSON');
    }
    if (typeof json !== 'object' || json === null || !('allow' in json) || typeof json.allow !== 'boolean') {
      return this.fail(req, 'response has no boolean "allow"');
    }
    if (!json.allow) return { ok: false, reason: 'denied' };
    const channelId: unknown = 'channelId' in json ? json.channelId : undefined;
    if (channelId === undefined || channelId === null) return { ok: true, channelId: derivedChannelId(req.streamKey) };
    if (typeof channelId !== 'string' || !EXTERNAL_CHANNEL_ID.test(channelId)) return this.fail(req, 'response channelId is not 1-64 of A-Z a-z 0-9 _ -');
    return { ok: true, channelId };
  }

  private fail(req: AuthRequest, why: string): WebhookVerdict {
    this.opts.logger?.warn({ webhook: redactUrl(this.opts.url), connectionId: req.connectionId, why }, 'auth webhook failed');
    return { ok: false, reason: 'webhook-error' };
  }
}

/** The channel id for an allow without one: `wh_` + 96 bits of SHA-256(key), base64url. */
export function derivedChannelId(streamKey: string): string {
  return `wh_${createHash('sha256').update(`headwater-webhook-channel:${streamKey}`, 'utf8').digest('base64url').slice(0, 16)}`;
}

/** The body as text, or `undefined` if it is longer than `maxBytes` (then the rest is not read). */
async function readCapped(res: Response, maxBytes: number): Promise<string | undefined> {
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
