import type { Logger } from '@headwater/log';
import { MAX_STREAM_KEY_CHARS } from './auth-types.js';
import type { AuthDecision, AuthMode, AuthRequest, DenyReason } from './auth-types.js';
import { FailureLimiter } from './failure-limiter.js';
import { verifySignedKey } from './hmac-keys.js';
import type { KeyStore } from './key-store.js';
import { WebhookAuthorizer } from './webhook-authorizer.js';

/**
 * The auth settings the authenticator needs; `HeadwaterConfig['auth']` from `@headwater/config`
 * has this shape (auth does not depend on config, the caller passes the section in).
 */
export interface AuthSettings {
  readonly mode: AuthMode;
  /** Required for `hmac`. */
  readonly hmacSecret?: string | undefined;
  /** Required for `webhook`. */
  readonly webhookUrl?: string | undefined;
  readonly webhookTimeoutMs: number;
  readonly failDelayMs: number;
  readonly maxFailDelayMs: number;
  /** 0 disables the rate limit. */
  readonly maxFailuresPerIpPerMinute: number;
}

export interface AuthenticatorDeps {
  /** Required for `keys` mode. */
  keyStore?: KeyStore;
  /** For `webhook` mode. @defaultValue global `fetch` */
  fetch?: typeof fetch;
  /** Store and webhook failures are logged here; keys never are. */
  logger?: Logger;
  /** Clock for expiry and the limiter, for tests. @defaultValue `Date.now` */
  now?: () => number;
  /** @defaultValue a `FailureLimiter` built from the settings */
  limiter?: FailureLimiter;
}

export interface Authenticator {
  readonly mode: AuthMode;
  /** The brute-force brake (exposed for metrics and tests). */
  readonly limiter: FailureLimiter;
  /**
   * Decides a `publish`. Never throws: a failing store gives `unavailable`. The caller waits
   * `decision.delayMs` before refusing the client.
   */
  authorize(req: AuthRequest): Promise<AuthDecision>;
}

/**
 * Failures that are the client's doing, counted by the limiter. Store/webhook outages are not:
 * they would lock out every honest encoder retrying during the outage.
 */
const CLIENT_FAILURES: ReadonlySet<DenyReason> = new Set<DenyReason>(['malformed', 'unknown-key', 'revoked', 'expired', 'bad-signature', 'denied']);

type Verdict = { ok: true; channelId: string } | { ok: false; reason: DenyReason };

/**
 * The stream-key check for the ingest's `publish`, by `settings.mode`:
 * `keys` (KeyStore in Redis), `hmac` (signed expiring keys), `webhook` (HTTP authorizer).
 * Rate-limited clients are refused before their key is looked at.
 *
 * @throws Error at creation if the mode's requirement (key store, secret, URL) is missing.
 */
export function createAuthenticator(settings: AuthSettings, deps: AuthenticatorDeps = {}): Authenticator {
  const now = deps.now ?? Date.now;
  const limiter =
    deps.limiter ??
    new FailureLimiter({
      baseDelayMs: settings.failDelayMs,
      maxDelayMs: settings.maxFailDelayMs,
      maxFailuresPerWindow: settings.maxFailuresPerIpPerMinute,
      windowMs: 60_000,
      now,
    });
  const check = checker(settings, deps, now);

  return {
    mode: settings.mode,
    limiter,
    async authorize(req) {
      if (limiter.isRateLimited(req.clientIp)) return { allow: false, reason: 'rate-limited', delayMs: 0 };
      let verdict: Verdict;
      if (req.streamKey === '' || req.streamKey.length > MAX_STREAM_KEY_CHARS) verdict = { ok: false, reason: 'malformed' };
      else {
        try {
          verdict = await check(req);
        } catch (err) {
          deps.logger?.error({ err, connectionId: req.connectionId, mode: settings.mode }, 'stream key check failed');
          verdict = { ok: false, reason: 'unavailable' };
        }
      }
      if (verdict.ok) return { allow: true, channelId: verdict.channelId, mode: settings.mode };
      const delayMs = CLIENT_FAILURES.has(verdict.reason) ? limiter.recordFailure(req.clientIp) : 0;
      return { allow: false, reason: verdict.reason, delayMs };
    },
  };
}

function checker(settings: AuthSettings, deps: AuthenticatorDeps, now: () => number): (req: AuthRequest) => Promise<Verdict> {
  switch (settings.mode) {
    case 'keys': {
      const store = deps.keyStore;
      if (store === undefined) throw new Error('auth mode "keys" needs a KeyStore');
      return (req) => store.verify(req.streamKey);
    }
    case 'hmac': {
      const secret = settings.hmacSecret;
      if (secret === undefined) throw new Error('auth mode "hmac" needs auth.hmacSecret');
      verifySignedKey('', secret); // throws now, not per publish, if the secret is too short
      return async (req) => verifySignedKey(req.streamKey, secret, now());
    }
    case 'webhook': {
      const url = settings.webhookUrl;
      if (url === undefined) throw new Error('auth mode "webhook" needs auth.webhookUrl');
      const webhook = new WebhookAuthorizer({
        url,
        timeoutMs: settings.webhookTimeoutMs,
        ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
        ...(deps.logger === undefined ? {} : { logger: deps.logger }),
      });
      return (req) => webhook.authorize(req);
    }
    default: {
      const never: never = settings.mode;
      throw new Error(`unknown auth mode ${String(never)}`);
    }
  }
}
