import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from './config-error.js';
import type { ConfigIssue } from './config-error.js';
import { INVALID, SETTINGS } from './settings.js';
import type { AuthMode, LogLevel, Setting, SettingPath, SettingValue } from './settings.js';

/**
 * The validated configuration. Every setting is present; optional ones are `undefined` when
 * unset, which selects the embedded default described in `CONFIG_DOCS`. Paths are absolute.
 */
export interface HeadwaterConfig {
  /** @defaultValue `./.headwater`, resolved */
  dataDir: string;
  /** Bind address. @defaultValue `0.0.0.0` */
  host: string;
  /** Host in printed URLs. @defaultValue `localhost` */
  publicHost: string;
  /** @defaultValue `info` */
  logLevel: LogLevel;
  rtmp: {
    /** @defaultValue 1935 */
    port: number;
    /** @defaultValue `live` */
    app: string;
  };
  rtmps: {
    /** `null` = RTMPS disabled. @defaultValue 1936 */
    port: number | null;
    /** Unset: the service generates a self-signed pair under dataDir. */
    certFile: string | undefined;
    keyFile: string | undefined;
  };
  http: {
    /** API, dashboard, playback and metrics port of the `api` role; `null` = disabled. @defaultValue 8080 */
    port: number | null;
  };
  metrics: {
    /** `/metrics` port of processes without the API; `null` = disabled. @defaultValue 9464 */
    port: number | null;
  };
  api: {
    /** Unset: generated under dataDir on first start. Secret. */
    adminToken: string | undefined;
  };
  /** This process's name (live sessions, metrics). @defaultValue the host name */
  nodeId: string;
  webhooks: {
    /** @defaultValue none */
    urls: readonly string[];
    /** Required when urls is non-empty. Secret. */
    secret: string | undefined;
  };
  redis: {
    /** Unset: embedded redis-server (see `startEmbeddedRedis`). Secret. */
    url: string | undefined;
  };
  s3: {
    /** Unset: embedded S3 server. */
    endpoint: string | undefined;
    /** Endpoint browsers reach (presigned downloads). Unset: `endpoint`. */
    publicEndpoint: string | undefined;
    /** @defaultValue `headwater` */
    bucket: string;
    /** @defaultValue `us-east-1` */
    region: string;
    /** Secret. */
    accessKeyId: string | undefined;
    /** Secret. */
    secretAccessKey: string | undefined;
    /** @defaultValue true */
    forcePathStyle: boolean;
  };
  auth: {
    /** @defaultValue `keys` */
    mode: AuthMode;
    /** Required when mode is `hmac`. Secret. */
    hmacSecret: string | undefined;
    /** Required when mode is `webhook`. */
    webhookUrl: string | undefined;
    /** @defaultValue 2000 */
    webhookTimeoutMs: number;
    /** @defaultValue 1000 */
    failDelayMs: number;
    /** @defaultValue 4000 */
    maxFailDelayMs: number;
    /** 0 disables. @defaultValue 10 */
    maxFailuresPerIpPerMinute: number;
  };
  limits: {
    /** @defaultValue 1000 */
    maxConnections: number;
    /** @defaultValue 20 */
    maxConnectionsPerIp: number;
    /** @defaultValue 10000 */
    handshakeTimeoutMs: number;
    /** @defaultValue 30000 */
    idleTimeoutMs: number;
    /** @defaultValue 8 MiB */
    maxMessageBytes: number;
    /** @defaultValue 64 */
    maxChunkStreams: number;
    /** @defaultValue 16 */
    maxTracks: number;
    /** @defaultValue 32 MiB */
    maxPendingBytesPerConnection: number;
    /** @defaultValue true */
    publishTakeover: boolean;
  };
  archive: {
    /** @defaultValue true */
    enabled: boolean;
    /** @defaultValue 8 MiB */
    partBytes: number;
    /** @defaultValue `<dataDir>/spool` */
    spoolDir: string;
  };
  transcode: {
    /** @defaultValue true */
    enabled: boolean;
    /** @defaultValue 2000 */
    segmentDurationMs: number;
    /** @defaultValue 30000 */
    reconnectGraceMs: number;
    /** @defaultValue 1 */
    workerConcurrency: number;
    /** 0 = ffmpeg's choice. @defaultValue 0 */
    ffmpegThreads: number;
  };
}

export interface LoadConfigOptions {
  /** JSON config file; overrides `HEADWATER_CONFIG`. Environment variables override its values. */
  file?: string;
  /** Base for relative paths from the environment and defaults. @defaultValue `process.cwd()` */
  cwd?: string;
}

/** The environment variable naming the JSON config file. */
export const CONFIG_FILE_ENV = 'HEADWATER_CONFIG';

const MAX_SHOWN_CHARS = 60;

type Source = { kind: 'env' } | { kind: 'file'; file: string } | { kind: 'default' };

/**
 * Reads and validates the configuration: defaults, then the JSON config file (`opts.file` or
 * `HEADWATER_CONFIG`; nested objects by dotted path, e.g. `{ "rtmp": { "port": 1935 } }`), then
 * `HEADWATER_*` environment variables (an empty variable counts as unset). Unknown keys in the
 * file are errors (typos); unknown `HEADWATER_*` variables are ignored.
 *
 * @throws ConfigError listing every bad setting by the name the operator used, never echoing
 *   secret values.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env, opts: LoadConfigOptions = {}): HeadwaterConfig {
  const cwd = opts.cwd ?? process.cwd();
  const issues: ConfigIssue[] = [];
  const fileOpt = opts.file ?? nonEmpty(env[CONFIG_FILE_ENV]);
  const file = fileOpt === undefined ? undefined : path.resolve(cwd, fileOpt);
  const fileValues = file === undefined ? new Map<string, unknown>() : readConfigFile(file, issues);

  const values = new Map<string, unknown>();
  for (const s of Object.values(SETTINGS) as Setting<unknown>[]) {
    let raw: unknown;
    let source: Source;
    const fromEnv = nonEmpty(env[s.env]);
    if (fromEnv !== undefined) {
      raw = fromEnv;
      source = { kind: 'env' };
    } else if (file !== undefined && fileValues.has(s.path)) {
      raw = fileValues.get(s.path);
      source = { kind: 'file', file };
      // `null` in the file means "unset" for optional settings; port-or-off parses it as "off".
      if (raw === null && s.kind !== 'port-or-off') {
        values.set(s.path, s.default);
        continue;
      }
    } else {
      values.set(s.path, s.kind === 'path' && typeof s.default === 'string' ? path.resolve(cwd, s.default) : s.default);
      continue;
    }
    const parsed = s.parse(raw);
    if (parsed === INVALID) {
      issues.push({ setting: s.path, message: `${label(s, source)} must be ${s.expects}${shown(s, raw)}` });
      continue;
    }
    const base = source.kind === 'file' ? path.dirname(source.file) : cwd;
    values.set(s.path, s.kind === 'path' && typeof parsed === 'string' ? path.resolve(base, parsed) : parsed);
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const v = <P extends SettingPath>(p: P): SettingValue<P> => values.get(p) as SettingValue<P>;
  const dataDir = v('dataDir');
  const config: HeadwaterConfig = {
    dataDir,
    host: v('host'),
    publicHost: v('publicHost'),
    logLevel: v('logLevel'),
    rtmp: { port: v('rtmp.port'), app: v('rtmp.app') },
    rtmps: { port: v('rtmps.port'), certFile: v('rtmps.certFile'), keyFile: v('rtmps.keyFile') },
    http: { port: v('http.port') },
    metrics: { port: v('metrics.port') },
    api: { adminToken: v('api.adminToken') },
    nodeId: v('nodeId') ?? hostNodeId(),
    webhooks: { urls: v('webhooks.urls'), secret: v('webhooks.secret') },
    redis: { url: v('redis.url') },
    s3: {
      endpoint: v('s3.endpoint'),
      publicEndpoint: v('s3.publicEndpoint'),
      bucket: v('s3.bucket'),
      region: v('s3.region'),
      accessKeyId: v('s3.accessKeyId'),
      secretAccessKey: v('s3.secretAccessKey'),
      forcePathStyle: v('s3.forcePathStyle'),
    },
    auth: {
      mode: v('auth.mode'),
      hmacSecret: v('auth.hmacSecret'),
      webhookUrl: v('auth.webhookUrl'),
      webhookTimeoutMs: v('auth.webhookTimeoutMs'),
      failDelayMs: v('auth.failDelayMs'),
      maxFailDelayMs: v('auth.maxFailDelayMs'),
      maxFailuresPerIpPerMinute: v('auth.maxFailuresPerIpPerMinute'),
    },
    limits: {
      maxConnections: v('limits.maxConnections'),
      maxConnectionsPerIp: v('limits.maxConnectionsPerIp'),
      handshakeTimeoutMs: v('limits.handshakeTimeoutMs'),
      idleTimeoutMs: v('limits.idleTimeoutMs'),
      maxMessageBytes: v('limits.maxMessageBytes'),
      maxChunkStreams: v('limits.maxChunkStreams'),
      maxTracks: v('limits.maxTracks'),
      maxPendingBytesPerConnection: v('limits.maxPendingBytesPerConnection'),
      publishTakeover: v('limits.publishTakeover'),
    },
    archive: {
      enabled: v('archive.enabled'),
      partBytes: v('archive.partBytes'),
      spoolDir: v('archive.spoolDir') ?? path.join(dataDir, 'spool'),
    },
    transcode: {
      enabled: v('transcode.enabled'),
      segmentDurationMs: v('transcode.segmentDurationMs'),
      reconnectGraceMs: v('transcode.reconnectGraceMs'),
      workerConcurrency: v('transcode.workerConcurrency'),
      ffmpegThreads: v('transcode.ffmpegThreads'),
    },
  };
  crossCheck(config, issues);
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

/** The host name, cut to a valid node id. */
function hostNodeId(): string {
  const name = os.hostname().replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return name === '' ? 'node' : name;
}

/** Rules involving several settings. */
function crossCheck(c: HeadwaterConfig, issues: ConfigIssue[]): void {
  const need = (p: SettingPath, why: string): void => {
    issues.push({ setting: p, message: `${SETTINGS[p].env} (${p}) is required ${why}` });
  };
  if (c.webhooks.urls.length > 0 && c.webhooks.secret === undefined) need('webhooks.secret', 'when webhooks.urls is set');
  if (c.metrics.port !== null && [c.rtmp.port, c.rtmps.port, c.http.port].includes(c.metrics.port)) {
    issues.push({ setting: 'metrics.port', message: `${SETTINGS['metrics.port'].env} (metrics.port) must differ from rtmp.port, rtmps.port and http.port (${c.metrics.port} is taken)` });
  }
  if (c.auth.mode === 'hmac' && c.auth.hmacSecret === undefined) need('auth.hmacSecret', 'when auth.mode is "hmac"');
  if (c.auth.mode === 'webhook' && c.auth.webhookUrl === undefined) need('auth.webhookUrl', 'when auth.mode is "webhook"');
  if ((c.rtmps.certFile === undefined) !== (c.rtmps.keyFile === undefined)) {
    need(c.rtmps.certFile === undefined ? 'rtmps.certFile' : 'rtmps.keyFile', 'when the other of rtmps.certFile/rtmps.keyFile is set');
  }
  if ((c.s3.accessKeyId === undefined) !== (c.s3.secretAccessKey === undefined)) {
    need(c.s3.accessKeyId === undefined ? 's3.accessKeyId' : 's3.secretAccessKey', 'when the other of s3.accessKeyId/s3.secretAccessKey is set');
  }
  if (c.auth.maxFailDelayMs < c.auth.failDelayMs) {
    issues.push({
      setting: 'auth.maxFailDelayMs',
      message: `${SETTINGS['auth.maxFailDelayMs'].env} (auth.maxFailDelayMs) must be at least auth.failDelayMs (${c.auth.failDelayMs}), got ${c.auth.maxFailDelayMs}`,
    });
  }
  if (c.http.port !== null && (c.http.port === c.rtmp.port || c.http.port === c.rtmps.port)) {
    issues.push({ setting: 'http.port', message: `${SETTINGS['http.port'].env} (http.port) must differ from rtmp.port and rtmps.port (${c.http.port} is taken)` });
  }
  if (c.rtmps.port === c.rtmp.port) {
    issues.push({ setting: 'rtmps.port', message: `${SETTINGS['rtmps.port'].env} (rtmps.port) must differ from rtmp.port (${c.rtmp.port})` });
  }
}

/** The file's settings by dotted path; problems go to `issues`. */
function readConfigFile(file: string, issues: ConfigIssue[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    issues.push({ setting: 'config', message: `config file ${file} cannot be read (${code})` });
    return out;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // Node's JSON errors quote the text around the problem, which may be a secret: give the position only.
    const pos = /position (\d+)/.exec((err as Error).message)?.[1];
    issues.push({ setting: 'config', message: `config file ${file} is not valid JSON${pos === undefined ? '' : ` (${lineCol(text, Number(pos))})`}` });
    return out;
  }
  if (!isObject(json)) {
    issues.push({ setting: 'config', message: `config file ${file} must contain a JSON object` });
    return out;
  }
  const known = new Set<string>(Object.keys(SETTINGS));
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [k, val] of Object.entries(obj)) {
      if (prefix === '' && k.startsWith('$')) continue; // "$schema", "$comment"
      const p = prefix + k;
      if (known.has(p)) out.set(p, val);
      else if (isObject(val) && [...known].some((s) => s.startsWith(`${p}.`))) walk(val, `${p}.`);
      else issues.push({ setting: p, message: `unknown setting "${p}" in ${file}` });
    }
  };
  walk(json, '');
  return out;
}

function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

function label(s: Setting<unknown>, source: Source): string {
  switch (source.kind) {
    case 'env':
      return s.env;
    case 'file':
      return `${s.path} in ${source.file}`;
    case 'default':
      return s.path;
  }
}

/** `, got "abc"` for plain values; secrets and URLs (which may carry credentials) are never echoed. */
function shown(s: Setting<unknown>, raw: unknown): string {
  if (s.secret || s.kind === 'url') return ' (value not shown)';
  let text = typeof raw === 'string' ? raw : (JSON.stringify(raw) ?? String(raw));
  if (text.length > MAX_SHOWN_CHARS) text = `${text.slice(0, MAX_SHOWN_CHARS)}…`;
  return typeof raw === 'string' ? `, got ${JSON.stringify(text)}` : `, got ${text}`;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A copy of `config` safe to print or log: every secret setting that is set becomes `[redacted]`.
 */
export function redactConfig(config: HeadwaterConfig): HeadwaterConfig {
  const copy = structuredClone(config);
  for (const s of Object.values(SETTINGS) as Setting<unknown>[]) {
    if (!s.secret) continue;
    const parts = s.path.split('.');
    const leaf = parts.pop() ?? '';
    let node: Record<string, unknown> = copy as unknown as Record<string, unknown>;
    for (const p of parts) node = node[p] as Record<string, unknown>;
    if (node[leaf] !== undefined) node[leaf] = '[redacted]';
  }
  return copy;
}
