import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from './config-error.js';
import { CONFIG_DOCS, envName } from './settings.js';
import { loadConfig, redactConfig } from './load-config.js';

const cwd = '/srv/hw';
const SECRET = 'sup3r-secret-value-that-must-never-be-printed';

function writeJson(value: unknown, raw?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'headwater-config-'));
  const file = path.join(dir, 'headwater.json');
  writeFileSync(file, raw ?? JSON.stringify(value));
  return file;
}

/** The ConfigError `fn` throws. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test('defaults', () => {
    expect(loadConfig({}, { cwd })).toEqual({
      dataDir: '/srv/hw/.headwater',
      host: '0.0.0.0',
      publicHost: 'localhost',
      logLevel: 'info',
      rtmp: { port: 1935, app: 'live' },
      rtmps: { port: 1936, certFile: undefined, keyFile: undefined },
      http: { port: 8080 },
      metrics: { port: 9464 },
      api: { adminToken: undefined },
      nodeId: expect.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
      webhooks: { urls: [], secret: undefined },
      redis: { url: undefined },
      s3: { endpoint: undefined, publicEndpoint: undefined, bucket: 'headwater', region: 'us-east-1', accessKeyId: undefined, secretAccessKey: undefined, forcePathStyle: true },
      auth: {
        mode: 'keys',
        hmacSecret: undefined,
        webhookUrl: undefined,
        webhookTimeoutMs: 2000,
        failDelayMs: 1000,
        maxFailDelayMs: 4000,
        maxFailuresPerIpPerMinute: 10,
      },
      limits: {
        maxConnections: 1000,
        maxConnectionsPerIp: 20,
        handshakeTimeoutMs: 10_000,
        idleTimeoutMs: 30_000,
        maxMessageBytes: 8 * 1024 * 1024,
        maxChunkStreams: 64,
        maxTracks: 16,
        maxPendingBytesPerConnection: 32 * 1024 * 1024,
        publishTakeover: true,
      },
      archive: { enabled: true, partBytes: 8 * 1024 * 1024, spoolDir: '/srv/hw/.headwater/spool' },
      transcode: { enabled: true, segmentDurationMs: 2000, reconnectGraceMs: 30_000, workerConcurrency: 1, ffmpegThreads: 0 },
    });
  });

  test('webhook endpoints: a comma list from the environment, an array from the file; a secret is required with them', () => {
    const c = loadConfig({ HEADWATER_WEBHOOKS_URLS: 'https://a.example/hook, http://127.0.0.1:9000/x', HEADWATER_WEBHOOKS_SECRET: 'sixteen-chars-ok' }, { cwd: '/srv' });
    expect(c.webhooks.urls).toEqual(['https://a.example/hook', 'http://127.0.0.1:9000/x']);
    expect(() => loadConfig({ HEADWATER_WEBHOOKS_URLS: 'https://a.example/hook' }, { cwd: '/srv' })).toThrow(/HEADWATER_WEBHOOKS_SECRET/);
    expect(() => loadConfig({ HEADWATER_WEBHOOKS_URLS: 'ftp://a.example/hook', HEADWATER_WEBHOOKS_SECRET: 'sixteen-chars-ok' }, { cwd: '/srv' })).toThrow(/HEADWATER_WEBHOOKS_URLS/);
    expect(() => loadConfig({ HEADWATER_METRICS_PORT: '1935' }, { cwd: '/srv' })).toThrow(/metrics.port/);
  });

  test('reads process.env and the working directory when called without arguments', () => {
    expect(loadConfig()).toEqual(loadConfig(process.env, { cwd: process.cwd() }));
  });

  test('environment parsing', () => {
    const c = loadConfig(
      {
        HEADWATER_DATA_DIR: 'state',
        HEADWATER_HOST: '::',
        HEADWATER_PUBLIC_HOST: 'ingest.example.com',
        HEADWATER_LOG_LEVEL: 'debug',
        HEADWATER_RTMP_PORT: '11935',
        HEADWATER_RTMP_APP: 'app/inst',
        HEADWATER_RTMPS_PORT: 'off',
        HEADWATER_RTMPS_CERT_FILE: '/etc/tls/cert.pem',
        HEADWATER_RTMPS_KEY_FILE: 'key.pem',
        HEADWATER_REDIS_URL: 'redis://:pw@redis:6379/2',
        HEADWATER_S3_ENDPOINT: 'http://minio:9000',
        HEADWATER_S3_ACCESS_KEY_ID: 'minio',
        HEADWATER_S3_SECRET_ACCESS_KEY: 'minio123',
        HEADWATER_S3_FORCE_PATH_STYLE: 'no',
        HEADWATER_AUTH_MODE: 'hmac',
        HEADWATER_AUTH_HMAC_SECRET: SECRET,
        HEADWATER_AUTH_MAX_FAILURES_PER_IP_PER_MINUTE: '0',
        HEADWATER_LIMITS_MAX_MESSAGE_BYTES: '4MiB',
        HEADWATER_LIMITS_PUBLISH_TAKEOVER: 'false',
        HEADWATER_ARCHIVE_ENABLED: '0',
        HEADWATER_ARCHIVE_PART_BYTES: '16777216',
        HEADWATER_ARCHIVE_SPOOL_DIR: '/var/spool/hw',
        HEADWATER_UNRELATED_THING: 'ignored',
        HEADWATER_RTMP_APP_: '',
      },
      { cwd },
    );
    expect(c.dataDir).toBe('/srv/hw/state');
    expect(c.host).toBe('::');
    expect(c.publicHost).toBe('ingest.example.com');
    expect(c.logLevel).toBe('debug');
    expect(c.rtmp).toEqual({ port: 11935, app: 'app/inst' });
    expect(c.rtmps).toEqual({ port: null, certFile: '/etc/tls/cert.pem', keyFile: '/srv/hw/key.pem' });
    expect(c.redis.url).toBe('redis://:pw@redis:6379/2');
    expect(c.s3).toMatchObject({ endpoint: 'http://minio:9000', accessKeyId: 'minio', secretAccessKey: 'minio123', forcePathStyle: false });
    expect(c.auth).toMatchObject({ mode: 'hmac', hmacSecret: SECRET, maxFailuresPerIpPerMinute: 0 });
    expect(c.limits).toMatchObject({ maxMessageBytes: 4 * 1024 * 1024, publishTakeover: false });
    expect(c.archive).toEqual({ enabled: false, partBytes: 16 * 1024 * 1024, spoolDir: '/var/spool/hw' });
  });

  test('an empty variable counts as unset', () => {
    const c = loadConfig({ HEADWATER_RTMP_PORT: '', HEADWATER_REDIS_URL: ' ' }, { cwd });
    expect(c.rtmp.port).toBe(1935);
    expect(c.redis.url).toBeUndefined();
  });

  test('rtmps.port: 0 and "off" disable', () => {
    expect(loadConfig({ HEADWATER_RTMPS_PORT: '0' }, { cwd }).rtmps.port).toBeNull();
    expect(loadConfig({}, { cwd, file: writeJson({ rtmps: { port: false } }) }).rtmps.port).toBeNull();
    expect(loadConfig({}, { cwd, file: writeJson({ rtmps: { port: null } }) }).rtmps.port).toBeNull();
  });

  test('http.port: set, 0 and "off" disable, out of range refused', () => {
    expect(loadConfig({ HEADWATER_HTTP_PORT: '9000' }, { cwd }).http.port).toBe(9000);
    expect(loadConfig({ HEADWATER_HTTP_PORT: 'off' }, { cwd }).http.port).toBeNull();
    expect(loadConfig({ HEADWATER_HTTP_PORT: '0' }, { cwd }).http.port).toBeNull();
    expect(loadConfig({}, { cwd, file: writeJson({ http: { port: false } }) }).http.port).toBeNull();
    expect(configError(() => loadConfig({ HEADWATER_HTTP_PORT: '70000' }, { cwd })).message).toContain('HEADWATER_HTTP_PORT must be an integer 1-65535, or 0/"off" to disable');
  });

  test('the file is read; environment variables override it; relative paths follow their source', () => {
    const file = writeJson({
      $schema: './schema.json',
      dataDir: 'data',
      rtmp: { port: 2935, app: 'ingest' },
      s3: { bucket: 'from-file', endpoint: 'https://s3.example.com', forcePathStyle: false },
      auth: { webhookTimeoutMs: 500 },
      limits: { maxConnections: 5, maxMessageBytes: '2MiB' },
      archive: { spoolDir: null },
    });
    const dir = path.dirname(file);
    const fromFile = loadConfig({}, { cwd, file });
    expect(fromFile.dataDir).toBe(path.join(dir, 'data'));
    expect(fromFile.rtmp).toEqual({ port: 2935, app: 'ingest' });
    expect(fromFile.s3).toMatchObject({ bucket: 'from-file', endpoint: 'https://s3.example.com', forcePathStyle: false });
    expect(fromFile.auth.webhookTimeoutMs).toBe(500);
    expect(fromFile.limits).toMatchObject({ maxConnections: 5, maxMessageBytes: 2 * 1024 * 1024 });
    expect(fromFile.archive.spoolDir).toBe(path.join(dir, 'data', 'spool'));

    const both = loadConfig({ HEADWATER_CONFIG: file, HEADWATER_RTMP_PORT: '3935', HEADWATER_DATA_DIR: 'env-data' }, { cwd });
    expect(both.rtmp).toEqual({ port: 3935, app: 'ingest' });
    expect(both.dataDir).toBe('/srv/hw/env-data');
    expect(both.s3.bucket).toBe('from-file');
  });

  test('opts.file wins over HEADWATER_CONFIG', () => {
    const a = writeJson({ rtmp: { port: 1111 } });
    const b = writeJson({ rtmp: { port: 2222 } });
    expect(loadConfig({ HEADWATER_CONFIG: a }, { cwd, file: b }).rtmp.port).toBe(2222);
  });

  test('errors name the setting as written and show non-secret values', () => {
    expect(configError(() => loadConfig({ HEADWATER_RTMP_PORT: 'abc' }, { cwd })).message).toBe(
      'HEADWATER_RTMP_PORT must be an integer 1-65535, got "abc"',
    );
    const file = writeJson({ rtmp: { port: 70000 }, logLevel: 'loud' });
    const err = configError(() => loadConfig({}, { cwd, file }));
    expect(err.issues.map((i) => i.setting)).toEqual(['logLevel', 'rtmp.port']);
    expect(err.message).toContain(`logLevel in ${file} must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"`);
    expect(err.message).toContain(`rtmp.port in ${file} must be an integer 1-65535, got 70000`);
  });

  test.each([
    ['HEADWATER_RTMP_PORT', '0'],
    ['HEADWATER_RTMP_PORT', '1.5'],
    ['HEADWATER_RTMP_PORT', '-1'],
    ['HEADWATER_RTMPS_PORT', 'on'],
    ['HEADWATER_LIMITS_MAX_MESSAGE_BYTES', '16MiB'],
    ['HEADWATER_LIMITS_MAX_MESSAGE_BYTES', '3 MB'],
    ['HEADWATER_ARCHIVE_PART_BYTES', '1MiB'],
    ['HEADWATER_ARCHIVE_ENABLED', 'maybe'],
    ['HEADWATER_AUTH_MODE', 'none'],
    ['HEADWATER_S3_BUCKET', 'Bad_Bucket'],
    ['HEADWATER_RTMP_APP', '/live'],
    ['HEADWATER_HOST', 'has space'],
    ['HEADWATER_S3_ENDPOINT', 'ftp://x'],
    ['HEADWATER_DATA_DIR', 'a\nb'],
  ])('%s=%j is rejected by name', (name, value) => {
    const err = configError(() => loadConfig({ [name]: value }, { cwd }));
    expect(err.issues).toHaveLength(1);
    expect(err.message.startsWith(`${name} must be `)).toBe(true);
  });

  test('secret values are never echoed', () => {
    const bad = [
      { HEADWATER_AUTH_HMAC_SECRET: 'short-secret' },
      { HEADWATER_S3_SECRET_ACCESS_KEY: 'has a space secret' },
      { HEADWATER_S3_ACCESS_KEY_ID: 'has a space secret' },
      { HEADWATER_REDIS_URL: `http://:${SECRET}@redis` },
      { HEADWATER_AUTH_WEBHOOK_URL: `notaurl${SECRET}` },
    ];
    for (const env of bad) {
      const err = configError(() => loadConfig(env, { cwd }));
      const [name, value] = Object.entries(env)[0] ?? ['', ''];
      expect(err.message).toContain(name);
      expect(err.message).toContain('(value not shown)');
      expect(err.message).not.toContain(value);
      expect(err.message).not.toContain('secret');
      expect(err.message).not.toContain(SECRET);
    }
  });

  test('a secret in a malformed config file is not quoted by the JSON error', () => {
    const file = writeJson(undefined, `{ "auth": { "hmacSecret": "${SECRET}" }, oops }`);
    const err = configError(() => loadConfig({}, { cwd, file }));
    expect(err.message).toMatch(/is not valid JSON \(line 1, column \d+\)/);
    expect(err.message).not.toContain(SECRET);
  });

  test('config file problems', () => {
    expect(configError(() => loadConfig({}, { cwd, file: '/nonexistent/headwater.json' })).message).toBe(
      'config file /nonexistent/headwater.json cannot be read (ENOENT)',
    );
    const arr = writeJson([1]);
    expect(configError(() => loadConfig({}, { cwd, file: arr })).message).toBe(`config file ${arr} must contain a JSON object`);
    const typo = writeJson({ rtmp: { prot: 1 }, s3: 'x', nope: true });
    const err = configError(() => loadConfig({}, { cwd, file: typo }));
    expect(err.issues.map((i) => i.message)).toEqual([
      `unknown setting "rtmp.prot" in ${typo}`,
      `unknown setting "s3" in ${typo}`,
      `unknown setting "nope" in ${typo}`,
    ]);
  });

  test('cross-setting rules', () => {
    const msg = (env: Record<string, string>): string => configError(() => loadConfig(env, { cwd })).message;
    expect(msg({ HEADWATER_AUTH_MODE: 'hmac' })).toBe('HEADWATER_AUTH_HMAC_SECRET (auth.hmacSecret) is required when auth.mode is "hmac"');
    expect(msg({ HEADWATER_AUTH_MODE: 'webhook' })).toBe('HEADWATER_AUTH_WEBHOOK_URL (auth.webhookUrl) is required when auth.mode is "webhook"');
    expect(msg({ HEADWATER_RTMPS_CERT_FILE: 'c.pem' })).toContain('HEADWATER_RTMPS_KEY_FILE (rtmps.keyFile) is required');
    expect(msg({ HEADWATER_S3_SECRET_ACCESS_KEY: SECRET })).toContain('HEADWATER_S3_ACCESS_KEY_ID (s3.accessKeyId) is required');
    expect(msg({ HEADWATER_S3_SECRET_ACCESS_KEY: SECRET })).not.toContain(SECRET);
    expect(msg({ HEADWATER_AUTH_FAIL_DELAY_MS: '5000' })).toBe('HEADWATER_AUTH_MAX_FAIL_DELAY_MS (auth.maxFailDelayMs) must be at least auth.failDelayMs (5000), got 4000');
    expect(msg({ HEADWATER_RTMPS_PORT: '1935' })).toBe('HEADWATER_RTMPS_PORT (rtmps.port) must differ from rtmp.port (1935)');
    expect(msg({ HEADWATER_HTTP_PORT: '1936' })).toBe('HEADWATER_HTTP_PORT (http.port) must differ from rtmp.port and rtmps.port (1936 is taken)');
    // Several problems are reported together.
    expect(configError(() => loadConfig({ HEADWATER_RTMP_PORT: 'x', HEADWATER_TCP: '1', HEADWATER_HOST: '', HEADWATER_LOG_LEVEL: 'x' }, { cwd })).issues).toHaveLength(2);
  });
});

describe('redactConfig', () => {
  test('replaces set secrets only', () => {
    const c = loadConfig({ HEADWATER_REDIS_URL: 'redis://:pw@r:6379', HEADWATER_AUTH_MODE: 'hmac', HEADWATER_AUTH_HMAC_SECRET: SECRET }, { cwd });
    const r = redactConfig(c);
    expect(r.redis.url).toBe('[redacted]');
    expect(r.auth.hmacSecret).toBe('[redacted]');
    expect(r.s3.secretAccessKey).toBeUndefined();
    expect(r.rtmp.port).toBe(1935);
    expect(c.auth.hmacSecret).toBe(SECRET);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });
});

describe('CONFIG_DOCS', () => {
  test('documents every setting with its env name, default and secrecy', () => {
    const byName = new Map(CONFIG_DOCS.map((d) => [d.name, d]));
    expect(byName.get('rtmp.port')).toEqual({
      name: 'rtmp.port',
      env: 'HEADWATER_RTMP_PORT',
      default: '1935',
      description: 'Plain RTMP listener port.',
      secret: false,
    });
    expect(byName.get('archive.partBytes')?.default).toBe('8 MiB');
    expect(CONFIG_DOCS.filter((d) => d.secret).map((d) => d.name).sort()).toEqual([
      'api.adminToken',
      'auth.hmacSecret',
      'redis.url',
      's3.accessKeyId',
      's3.secretAccessKey',
      'webhooks.secret',
    ]);
    for (const d of CONFIG_DOCS) {
      expect(d.env).toBe(envName(d.name));
      expect(d.description.length).toBeGreaterThan(10);
    }
    expect(CONFIG_DOCS).toHaveLength(47);
  });
});
