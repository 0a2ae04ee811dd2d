import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { MAX_REDACT_DEPTH, REDACTED, isSecretKeyName, redactDeep, redactKey, redactUrl, redactUrlsInText } from './redact.js';

describe('redactUrl', () => {
  const cases: [name: string, input: string, expected: string][] = [
    ['rtmp key and query', 'rtmp://host/live/KEY?x=1', 'rtmp://host/live/[redacted]'],
    ['rtmps with port', 'rtmps://host:1936/live/KEY', 'rtmps://host:1936/live/[redacted]'],
    ['rtmp app only', 'rtmp://host:1935/live', 'rtmp://host:1935/live'],
    ['rtmp trailing slash', 'rtmp://host/live/', 'rtmp://host/live'],
    ['rtmp multi-part name', 'rtmp://host/live/a/b/c', 'rtmp://host/live/[redacted]'],
    ['rtmp no path', 'rtmp://host', 'rtmp://host'],
    ['rtmp user info', 'rtmp://user:pw@host/live/KEY', 'rtmp://[redacted]@host/live/[redacted]'],
    ['rtmp app query', 'rtmp://host/live?token=abc', 'rtmp://host/live'],
    ['http keeps path, drops query', 'https://auth.example/hook/v1?sig=abc#frag', 'https://auth.example/hook/v1'],
    ['redis password', 'redis://:hunter2@127.0.0.1:6379/0', 'redis://[redacted]@127.0.0.1:6379/0'],
    ['not a url', 'KEY', '[redacted-url]'],
  ];
  test.each(cases)('%s', (_name, input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  test('never returns the stream key, whatever it contains', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_~.-]{6,40}$/), fc.stringMatching(/^[a-z0-9=&]{0,20}$/), (key, query) => {
        const out = redactUrl(`rtmp://h.example:1935/live/${key}?${query}`);
        expect(out).toBe('rtmp://h.example:1935/live/[redacted]');
      }),
    );
  });
});

test('redactUrlsInText rewrites every URL in free text and leaves other text alone', () => {
  expect(redactUrlsInText('from rtmp://a/live/K1 to "rtmps://b/app/K2?x" ok')).toBe(
    'from rtmp://a/live/[redacted] to "rtmps://b/app/[redacted]" ok',
  );
  expect(redactUrlsInText('plain text')).toBe('plain text');
});

test('redactKey never reveals any part of the key', () => {
  expect(redactKey('hw_abc_def')).toBe(REDACTED);
});

test('isSecretKeyName ignores case, dashes and underscores but not longer names', () => {
  for (const n of ['streamKey', 'stream_key', 'STREAM-KEY', 'key', 'Authorization', 'secretAccessKey', 'accessKeyId', 'token', 'credentials'])
    expect(isSecretKeyName(n)).toBe(true);
  for (const n of ['keyCreatedAt', 'keyframe', 'channelId', 'name', 'app', 'tokens_used']) expect(isSecretKeyName(n)).toBe(false);
});

describe('redactDeep', () => {
  test('redacts at depth and keeps the rest', () => {
    expect(redactDeep({ a: 1, b: [{ password: 'x', ok: 'y' }], c: null, d: { token: undefined } })).toEqual({
      a: 1,
      b: [{ password: REDACTED, ok: 'y' }],
      c: null,
      d: { token: undefined },
    });
  });

  test('truncates past the depth limit instead of walking it', () => {
    let v: Record<string, unknown> = { key: 'SECRET' };
    for (let i = 0; i < MAX_REDACT_DEPTH + 5; i++) v = { v };
    expect(JSON.stringify(redactDeep(v))).not.toContain('SECRET');
  });

  test('keeps class instances and buffers as they are', () => {
    const buf = Buffer.from('ab');
    const date = new Date(0);
    expect(redactDeep({ buf, date })).toEqual({ buf, date });
  });
});
