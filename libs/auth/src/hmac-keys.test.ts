import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { MIN_HMAC_SECRET_BYTES, signStreamKey, verifySignedKey } from './hmac-keys.js';

const secret = 'k'.repeat(MIN_HMAC_SECRET_BYTES);
const expiresAt = new Date('2030-01-01T00:00:00.000Z');
const exp = expiresAt.getTime();

describe('signStreamKey / verifySignedKey', () => {
  test('a fresh key verifies until it expires', () => {
    const key = signStreamKey({ channelId: 'studio-1', expiresAt, secret });
    expect(key).toMatch(/^hw1\.studio-1\.1893456000\.[A-Za-z0-9_-]{43}$/);
    expect(verifySignedKey(key, secret, exp - 1)).toEqual({ ok: true, channelId: 'studio-1', expiresAt });
    expect(verifySignedKey(key, secret, new Date(exp - 60_000))).toMatchObject({ ok: true });
    expect(verifySignedKey(key, secret, exp)).toEqual({ ok: false, reason: 'expired' });
    expect(verifySignedKey(key, secret, exp + 86_400_000)).toEqual({ ok: false, reason: 'expired' });
  });

  test('expiry is rounded down to the second', () => {
    const key = signStreamKey({ channelId: 'c', expiresAt: new Date(exp + 999), secret });
    expect(verifySignedKey(key, secret, exp)).toEqual({ ok: false, reason: 'expired' });
  });

  test('tampering with any part breaks the signature', () => {
    const key = signStreamKey({ channelId: 'studio-1', expiresAt, secret });
    const [v, ch, e, sig = ''] = key.split('.');
    const flip = (c: string): string => (c === 'A' ? 'B' : 'A');
    const tampered = [
      `${v}.studio-2.${e}.${sig}`, // other channel
      `${v}.${ch}.${Number(e) + 3600}.${sig}`, // extended expiry
      `${v}.${ch}.${e}.${flip(sig[0] ?? '')}${sig.slice(1)}`,
      `${v}.${ch}.${e}.${sig.slice(0, -1)}${flip(sig.at(-1) ?? '')}`,
    ];
    for (const t of tampered) expect(verifySignedKey(t, secret, exp - 1000)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifySignedKey(key, 'x'.repeat(MIN_HMAC_SECRET_BYTES), exp - 1000)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  test('a forged key is called bad-signature even when its expiry has passed', () => {
    const key = signStreamKey({ channelId: 'c', expiresAt, secret });
    expect(verifySignedKey(key, 'y'.repeat(MIN_HMAC_SECRET_BYTES), exp + 1)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  test('another base64url spelling of the same signature bytes is refused', () => {
    const key = signStreamKey({ channelId: 'c', expiresAt, secret });
    const sig = key.split('.')[3] ?? '';
    // The last of 43 base64url characters carries 4 bits plus 2 spare bits; flip a spare bit.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sig.at(-1) ?? 'A');
    const respelled = `${key.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(respelled.split('.')[3] ?? '', 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
    expect(verifySignedKey(respelled, secret, exp - 1)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  test.each([
    ['empty', ''],
    ['store key', 'hw_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'],
    ['three parts', 'hw1.c.1893456000'],
    ['five parts', `hw1.c.1893456000.${'A'.repeat(43)}.x`],
    ['other version', `hw2.c.1893456000.${'A'.repeat(43)}`],
    ['bad channel', `hw1.c!.1893456000.${'A'.repeat(43)}`],
    ['empty channel', `hw1..1893456000.${'A'.repeat(43)}`],
    ['non-numeric expiry', `hw1.c.soon.${'A'.repeat(43)}`],
    ['leading zero expiry', `hw1.c.01893456000.${'A'.repeat(43)}`],
    ['short signature', `hw1.c.1893456000.${'A'.repeat(42)}`],
    ['padded signature', `hw1.c.1893456000.${'A'.repeat(43)}=`],
    ['huge', `hw1.c.1.${'A'.repeat(5000)}`],
  ])('malformed: %s', (_name, key) => {
    expect(verifySignedKey(key, secret, 0)).toEqual({ ok: false, reason: 'malformed' });
  });

  test('input validation when signing', () => {
    expect(() => signStreamKey({ channelId: 'c', expiresAt, secret: 'short' })).toThrow(RangeError);
    expect(() => verifySignedKey('x', 'short')).toThrow(RangeError);
    expect(() => signStreamKey({ channelId: 'a.b', expiresAt, secret })).toThrow(/channelId/);
    expect(() => signStreamKey({ channelId: 'c', expiresAt: new Date(Number.NaN), secret })).toThrow(/expiresAt/);
    expect(() => signStreamKey({ channelId: 'c', expiresAt: new Date(0), secret })).toThrow(/expiresAt/);
  });

  test('property: round trip for any channel id and expiry', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
        fc.integer({ min: 1, max: 4_000_000_000 }),
        fc.uint8Array({ minLength: MIN_HMAC_SECRET_BYTES, maxLength: 64 }),
        (channelId, expSeconds, secretBytes) => {
          const s = Buffer.from(secretBytes);
          const key = signStreamKey({ channelId, expiresAt: new Date(expSeconds * 1000), secret: s });
          expect(verifySignedKey(key, s, expSeconds * 1000 - 1)).toEqual({ ok: true, channelId, expiresAt: new Date(expSeconds * 1000) });
          expect(verifySignedKey(key, s, expSeconds * 1000)).toEqual({ ok: false, reason: 'expired' });
        },
      ),
    );
  });

  test('property: arbitrary and mutated input never verifies and never throws', () => {
    const genuine = signStreamKey({ channelId: 'studio-1', expiresAt, secret });
    const mutated = fc
      .tuple(fc.nat({ max: genuine.length - 1 }), fc.string({ minLength: 1, maxLength: 1 }))
      .map(([i, c]) => genuine.slice(0, i) + c + genuine.slice(i + 1))
      .filter((k) => k !== genuine);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), mutated), (key) => {
        const r = verifySignedKey(key, secret, exp - 1);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
