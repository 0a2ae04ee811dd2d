import { describe, expect, it } from 'vitest';
import { OTHER_LABEL, looksLikeStreamKey, safeLabelValue } from './safe-label.js';
import { HMAC_KEY, STREAM_KEY } from './testing/stream-keys.js';

describe('safeLabelValue', () => {
  const cases: { name: string; value: string; out: string }[] = [
    { name: 'channel id', value: 'Ab3dEf6hIj9k', out: 'Ab3dEf6hIj9k' },
    { name: 'external channel id', value: 'studio_a-1', out: 'studio_a-1' },
    { name: 'deny reason', value: 'unknown-key', out: 'unknown-key' },
    { name: 'node error code', value: 'ECONNRESET', out: 'ECONNRESET' },
    { name: 'stream key', value: STREAM_KEY, out: OTHER_LABEL },
    { name: 'HMAC key', value: HMAC_KEY, out: OTHER_LABEL },
    { name: 'empty', value: '', out: OTHER_LABEL },
    { name: 'spaces', value: 'a b', out: OTHER_LABEL },
    { name: 'url', value: 'rtmp://host/live/x', out: OTHER_LABEL },
    { name: 'quote', value: 'a"b', out: OTHER_LABEL },
    { name: 'too long', value: 'a'.repeat(129), out: OTHER_LABEL },
  ];
  for (const c of cases) it(c.name, () => expect(safeLabelValue(c.value)).toBe(c.out));

  it('recognises key shapes', () => {
    expect(looksLikeStreamKey(STREAM_KEY)).toBe(true);
    expect(looksLikeStreamKey(HMAC_KEY)).toBe(true);
    expect(looksLikeStreamKey('Ab3dEf6hIj9k')).toBe(false);
  });
});
