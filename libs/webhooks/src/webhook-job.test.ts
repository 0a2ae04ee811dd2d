import { describe, expect, test } from 'vitest';
import { WebhookJobError, parseWebhookJob, parseWebhookUrl, urlOrigin } from './webhook-job.js';

const EVENT = { id: '3f0c2b1e-0000-4000-8000-000000000000', type: 'publish.started', createdAt: '2025-01-01T00:00:00.000Z', data: { channelId: 'c' } };

describe('urlOrigin', () => {
  test.each([
    ['https://hooks.example/services/T0/B0/SECRET?x=1', 'https://hooks.example'],
    ['http://user:pass@127.0.0.1:9000/in', 'http://127.0.0.1:9000'],
    ['https://hooks.example:443/a', 'https://hooks.example'],
    ['not a url', '[invalid-url]'],
    ['data:text/plain,SECRET', '[unloggable-url]'],
  ])('%s → %s', (url, origin) => {
    expect(urlOrigin(url)).toBe(origin);
  });
});

describe('parseWebhookUrl', () => {
  test('accepts http and https only', () => {
    expect(parseWebhookUrl('https://a.example/x').host).toBe('a.example');
    expect(parseWebhookUrl('http://127.0.0.1:1/x').port).toBe('1');
    for (const bad of ['ftp://a.example/x', 'file:///etc/passwd', 'data:,x', 'javascript:alert(1)', '/relative', '', `https://a.example/${'x'.repeat(3000)}`, 42, null]) {
      expect(() => parseWebhookUrl(bad)).toThrow(WebhookJobError);
    }
  });
});

describe('parseWebhookJob', () => {
  test('keeps a valid job', () => {
    expect(parseWebhookJob({ url: 'https://a.example/x', event: EVENT, extra: 1 })).toEqual({ url: 'https://a.example/x', event: EVENT });
  });

  const bad: [string, unknown][] = [
    ['not an object', 'x'],
    ['null', null],
    ['no url', { event: EVENT }],
    ['bad scheme', { url: 'gopher://a/x', event: EVENT }],
    ['no event', { url: 'https://a.example/x' }],
    ['bad id', { url: 'https://a.example/x', event: { ...EVENT, id: 'a b' } }],
    ['unknown type', { url: 'https://a.example/x', event: { ...EVENT, type: 'publish.paused' } }],
    ['no createdAt', { url: 'https://a.example/x', event: { ...EVENT, createdAt: 1 } }],
    ['no data', { url: 'https://a.example/x', event: { id: EVENT.id, type: EVENT.type, createdAt: EVENT.createdAt } }],
  ];
  test.each(bad)('refuses: %s', (_name, data) => {
    expect(() => parseWebhookJob(data)).toThrow(WebhookJobError);
  });

  test('error messages never echo the URL', () => {
    for (const url of ['ftp://u:SECRET@a.example/TOKEN', 'https://u:SECRET@a.example/TOKEN']) {
      const event = url.startsWith('ftp') ? EVENT : { ...EVENT, type: 'nope' };
      expect(() => parseWebhookJob({ url, event })).toThrow(WebhookJobError);
      expect(() => parseWebhookJob({ url, event })).not.toThrow(/SECRET|TOKEN|a\.example/);
    }
  });
});
