import { describe, expect, test } from 'vitest';
import { createLogger } from './create-logger.js';
import type { LogDestination } from './create-logger.js';

/** An in-memory destination: every line pino writes. */
function memory(): LogDestination & { lines: string[]; text(): string } {
  const lines: string[] = [];
  return { lines, write: (s: string) => void lines.push(s), text: () => lines.join('') };
}

const KEY = 'hw_Abc123Def456_S3cr3tS3cr3tS3cr3tS3cr3tS3cr3tXYZ';
const SECRETS = [KEY, 'p4ssw0rd!', 'AKIAFAKEACCESSKEY', 'fakeSecretAccessKey/xyz', 'Bearer tok123', 'hmac-secret-value'];

describe('createLogger', () => {
  test('writes JSON lines with level, name and message', () => {
    const out = memory();
    const log = createLogger({ name: 'ingest', level: 'debug', destination: out });
    log.debug({ channelId: 'ch1' }, 'hello');
    const line = JSON.parse(out.text()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 20, name: 'ingest', channelId: 'ch1', msg: 'hello' });
  });

  test('respects the level', () => {
    const out = memory();
    createLogger({ level: 'warn', destination: out }).info('dropped');
    expect(out.lines).toEqual([]);
  });

  test('secrets at every depth, in bindings, errors, arrays and URLs never reach the output', () => {
    const out = memory();
    const log = createLogger({ level: 'trace', destination: out });
    log.info({ streamKey: KEY }, 'top level');
    log.info({ conn: { streamKey: KEY, channelId: 'ch1' } }, 'one level');
    log.info({ a: { b: { c: { d: { e: { key: KEY } } } } } }, 'deep');
    log.info({ list: [{ publish: { publishName: KEY } }, [{ password: 'p4ssw0rd!' }]] }, 'arrays');
    log.info({ s3: { credentials: { accessKeyId: 'AKIAFAKEACCESSKEY', secretAccessKey: 'fakeSecretAccessKey/xyz' } } });
    log.info({ s3: { accessKeyId: 'AKIAFAKEACCESSKEY', secretAccessKey: 'fakeSecretAccessKey/xyz' } });
    log.info({ req: { headers: { authorization: 'Bearer tok123', Cookie: 'sid=tok123' } } });
    log.info({ auth: { HMAC_SECRET: 'hmac-secret-value', 'stream-key': KEY } });
    log.info({ m: new Map([['token', 'Bearer tok123']]) });
    log.child({ streamKey: KEY, nested: { token: 'Bearer tok123' } }).info('child bindings');
    log.child({ conn: 1 }).child({ deeper: { password: 'p4ssw0rd!' } }).warn('grandchild');
    log.info({ tcUrl: 'rtmp://example.com:1935/live', url: `rtmp://example.com/live/${KEY}?token=hmac-secret-value` });
    log.info(`published to rtmps://user:p4ssw0rd!@example.com/live/${KEY}`);
    log.error(Object.assign(new Error(`connect failed rtmp://h/live/${KEY}`), { password: 'p4ssw0rd!' }));
    log.error({ err: new Error('outer', { cause: Object.assign(new Error('inner'), { token: 'Bearer tok123' }) }) });
    const cyclic: Record<string, unknown> = { token: 'Bearer tok123' };
    cyclic.self = cyclic;
    log.info({ cyclic });

    const text = out.text();
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    // Not even a prefix of the secret part of the key.
    expect(text).not.toContain('S3cr3t');
    expect(text).toContain('[redacted]');
    // Non-secret context survives.
    expect(text).toContain('"channelId":"ch1"');
    expect(text).toContain('rtmp://example.com:1935/live"');
    expect(text).toContain('rtmp://example.com/live/[redacted]"');
    expect(text).toContain('[Circular]');
    expect(out.lines).toHaveLength(16);
    for (const line of out.lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  test('errors keep their type, message and non-secret properties', () => {
    const out = memory();
    createLogger({ destination: out }).error({ err: Object.assign(new TypeError('bad'), { code: 'E_BAD', token: 't' }) });
    const line = JSON.parse(out.text()) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ type: 'TypeError', message: 'bad', code: 'E_BAD', token: '[redacted]' });
    expect(typeof line.err.stack).toBe('string');
  });

  test('the logged object itself is not mutated', () => {
    const obj = { conn: { streamKey: KEY } };
    createLogger({ destination: memory() }).info(obj);
    expect(obj.conn.streamKey).toBe(KEY);
  });
});
