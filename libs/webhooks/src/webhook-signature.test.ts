import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_TOLERANCE_S, MAX_SIGNATURE_HEADER_LENGTH, WebhookSignatureError, signWebhook, verifyWebhook } from './webhook-signature.js';

const SECRET = 'whsec_test_secret_0123456789';
const BODY = '{"id":"evt-1","type":"publish.started"}';
const T = 1_700_000_000;
// Computed outside this code: printf '%s' "1700000000.$BODY" | openssl dgst -sha256 -hmac "$SECRET"
const KNOWN = 't=1700000000,v1=3b77741503646287bccc78f8258d808e727f46a30f31417762b222b5d1bbd360';

describe('signWebhook', () => {
  test('matches an independently computed HMAC-SHA256 of "<t>.<body>"', () => {
    expect(signWebhook(SECRET, T, BODY)).toBe(KNOWN);
  });

  test('refuses an empty secret and a timestamp that is not whole non-negative seconds', () => {
    expect(() => signWebhook('', T, BODY)).toThrow(WebhookSignatureError);
    for (const t of [-1, 1.5, Number.NaN, Infinity, 2 ** 60]) expect(() => signWebhook(SECRET, t, BODY)).toThrow(WebhookSignatureError);
  });
});

describe('verifyWebhook', () => {
  const at = { nowS: T };

  test('accepts the known vector', () => {
    expect(verifyWebhook(SECRET, KNOWN, BODY, at)).toBe(true);
  });

  const rejected: [name: string, secret: string, header: string, body: string][] = [
    ['tampered body', SECRET, KNOWN, BODY.replace('started', 'stopped')],
    ['one extra byte of body', SECRET, KNOWN, `${BODY} `],
    ['tampered timestamp (the MAC covers it)', SECRET, KNOWN.replace('t=1700000000', 't=1700000001'), BODY],
    ['other secret', 'whsec_other_secret_0123456789', KNOWN, BODY],
    ['one MAC digit changed', SECRET, KNOWN.replace(/.$/, '1'), BODY],
    ['truncated MAC', SECRET, KNOWN.slice(0, -2), BODY],
    ['no timestamp', SECRET, KNOWN.replace('t=1700000000,', ''), BODY],
    ['no signature', SECRET, 't=1700000000', BODY],
    ['two timestamps', SECRET, `t=1700000000,${KNOWN}`, BODY],
    ['timestamp with exponent', SECRET, KNOWN.replace('t=1700000000', 't=1.7e9'), BODY],
    ['negative timestamp', SECRET, KNOWN.replace('t=1700000000', 't=-1700000000'), BODY],
    ['part without =', SECRET, `${KNOWN},garbage`, BODY],
    ['empty header', SECRET, '', BODY],
    ['empty secret', '', KNOWN, BODY],
    ['overlong header', SECRET, `${KNOWN},x=${'a'.repeat(MAX_SIGNATURE_HEADER_LENGTH)}`, BODY],
  ];
  test.each(rejected)('rejects: %s', (_name, secret, header, body) => {
    expect(verifyWebhook(secret, header, body, at)).toBe(false);
  });

  test('accepts any of several v1 signatures (secret rotation) and ignores unknown schemes', () => {
    const other = signWebhook('whsec_previous_secret_000000', T, BODY).split(',')[1];
    expect(verifyWebhook(SECRET, `${KNOWN},${other},v0=abc`, BODY, at)).toBe(true);
    expect(verifyWebhook(SECRET, `t=${T},${other},${KNOWN.split(',')[1]}`, BODY, at)).toBe(true);
    expect(verifyWebhook(SECRET, ` t=${T} , v1=${KNOWN.split('v1=')[1]?.toUpperCase()} `, BODY, at)).toBe(true);
  });

  test('tolerance: accepts up to toleranceS either side of now, rejects beyond (replays)', () => {
    expect(verifyWebhook(SECRET, KNOWN, BODY, { nowS: T + DEFAULT_TOLERANCE_S })).toBe(true);
    expect(verifyWebhook(SECRET, KNOWN, BODY, { nowS: T - DEFAULT_TOLERANCE_S })).toBe(true);
    expect(verifyWebhook(SECRET, KNOWN, BODY, { nowS: T + DEFAULT_TOLERANCE_S + 1 })).toBe(false);
    expect(verifyWebhook(SECRET, KNOWN, BODY, { nowS: T - DEFAULT_TOLERANCE_S - 1 })).toBe(false);
    expect(verifyWebhook(SECRET, KNOWN, BODY, { nowS: T + 30, toleranceS: 10 })).toBe(false);
    expect(verifyWebhook(SECRET, KNOWN, BODY, { nowS: T + 30, toleranceS: 30 })).toBe(true);
    // Default clock: a fresh signature passes, the 2023 vector is long past the window.
    expect(verifyWebhook(SECRET, signWebhook(SECRET, Math.floor(Date.now() / 1000), BODY), BODY)).toBe(true);
    expect(verifyWebhook(SECRET, KNOWN, BODY)).toBe(false);
  });

  test('round trip for any secret, time and body', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.string({ unit: 'binary', maxLength: 300 }), (secret, t, body) => {
        expect(verifyWebhook(secret, signWebhook(secret, t, body), body, { nowS: t })).toBe(true);
      }),
    );
  });

  test('any change to the body is detected', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ minLength: 1, maxLength: 5 }), fc.nat(), (body, insert, at) => {
        const i = at % (body.length + 1);
        const tampered = body.slice(0, i) + insert + body.slice(i);
        expect(verifyWebhook(SECRET, signWebhook(SECRET, T, body), tampered, { nowS: T })).toBe(false);
      }),
    );
  });

  test('hostile headers give false, never an exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (header) => {
        expect(verifyWebhook(SECRET, header, BODY, { nowS: T })).toBe(false);
      }),
    );
    // Every one-character mutation of a valid header: a boolean, true only where the change is
    // one the format allows (letter case of the hex MAC).
    fc.assert(
      fc.property(fc.nat({ max: KNOWN.length - 1 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), (at, ch) => {
        const header = KNOWN.slice(0, at) + ch + KNOWN.slice(at + 1);
        const ok = verifyWebhook(SECRET, header, BODY, { nowS: T });
        expect(ok).toBe(header.toLowerCase() === KNOWN || (header.trim() === KNOWN));
      }),
    );
  });
});
