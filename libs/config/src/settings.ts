/**
 * The table of every setting: dotted path, default, validation and docs. `loadConfig` reads it,
 * `CONFIG_DOCS` is generated from it, so a setting cannot be documented and parsed differently.
 */

/** Returned by a parser for a value it rejects. */
export const INVALID: unique symbol = Symbol('invalid');
type Parsed<T> = T | typeof INVALID;

/** How a setting's raw value is interpreted; `path` values are resolved to absolute paths. */
export type SettingKind = 'int' | 'bytes' | 'bool' | 'string' | 'enum' | 'url' | 'url-list' | 'path' | 'port-or-off';

export interface Setting<T> {
  /** Dotted path: the key in the config file and in `HeadwaterConfig`. */
  readonly path: string;
  /** Environment variable: `HEADWATER_` + the path in upper snake case. */
  readonly env: string;
  readonly kind: SettingKind;
  /** Used when neither the environment nor the file sets it; `undefined` = unset or derived. */
  readonly default: T;
  /** The default as written in the docs. */
  readonly defaultText: string;
  readonly description: string;
  /** Secret values are never echoed in errors and are redacted by `redactConfig`. */
  readonly secret: boolean;
  /** What is accepted, completing "must be …". */
  readonly expects: string;
  /** Parses a raw value: a string from the environment or a JSON value from the file. */
  readonly parse: (raw: unknown) => Parsed<T>;
}

/** `rtmp.maxFailuresPerIp` → `HEADWATER_RTMP_MAX_FAILURES_PER_IP`. */
export function envName(path: string): string {
  return `HEADWATER_${path.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase()}`;
}

interface Common<T> {
  default: T;
  defaultText?: string;
  description: string;
  secret?: boolean;
}

function setting<T>(path: string, kind: SettingKind, expects: string, parse: (raw: unknown) => Parsed<T>, c: Common<T>): Setting<T> {
  return {
    path,
    env: envName(path),
    kind,
    default: c.default,
    defaultText: c.defaultText ?? (c.default === undefined ? '(unset)' : String(c.default)),
    description: c.description,
    secret: c.secret ?? false,
    expects,
    parse,
  };
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function parseInteger(raw: unknown, units: boolean): Parsed<number> {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : INVALID;
  if (typeof raw !== 'string') return INVALID;
  const m = (units ? /^(\d{1,16})\s*(KiB|MiB|GiB)?$/ : /^(\d{1,16})$/).exec(raw.trim());
  if (!m) return INVALID;
  const scale = m[2] === 'GiB' ? GiB : m[2] === 'MiB' ? MiB : m[2] === 'KiB' ? KiB : 1;
  const n = Number(m[1]) * scale;
  return Number.isSafeInteger(n) ? n : INVALID;
}

function bytesText(n: number): string {
  if (n % GiB === 0) return `${n / GiB} GiB`;
  if (n % MiB === 0) return `${n / MiB} MiB`;
  if (n % KiB === 0) return `${n / KiB} KiB`;
  return String(n);
}

function int(path: string, min: number, max: number, c: Common<number>): Setting<number> {
  return setting(path, 'int', `an integer ${min}-${max}`, (raw) => {
    const n = parseInteger(raw, false);
    return n !== INVALID && n >= min && n <= max ? n : INVALID;
  }, c);
}

function bytes(path: string, min: number, max: number, c: Common<number>): Setting<number> {
  const expects = `a number of bytes ${bytesText(min)}-${bytesText(max)} (an integer, optionally with KiB, MiB or GiB)`;
  return setting(path, 'bytes', expects, (raw) => {
    const n = parseInteger(raw, true);
    return n !== INVALID && n >= min && n <= max ? n : INVALID;
  }, { ...c, defaultText: c.defaultText ?? bytesText(c.default) });
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function bool(path: string, c: Common<boolean>): Setting<boolean> {
  return setting(path, 'bool', 'a boolean (true/false, 1/0, yes/no, on/off)', (raw) => {
    if (typeof raw === 'boolean') return raw;
    if (typeof raw !== 'string') return INVALID;
    const s = raw.trim().toLowerCase();
    return TRUE.has(s) ? true : FALSE.has(s) ? false : INVALID;
  }, c);
}

function str<T extends string | undefined>(path: string, pattern: RegExp, expects: string, c: Common<T>): Setting<T> {
  return setting(path, 'string', expects, (raw) => (typeof raw === 'string' && pattern.test(raw) ? (raw as T) : INVALID), c);
}

function oneOf<const V extends string>(path: string, values: readonly V[], c: Common<V>): Setting<V> {
  const expects = `one of ${values.map((v) => `"${v}"`).join(', ')}`;
  return setting(path, 'enum', expects, (raw) => (typeof raw === 'string' && (values as readonly string[]).includes(raw) ? (raw as V) : INVALID), c);
}

function url(path: string, schemes: readonly string[], c: Common<string | undefined>): Setting<string | undefined> {
  const expects = `a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}`;
  return setting(path, 'url', expects, (raw) => {
    if (typeof raw !== 'string' || !URL.canParse(raw)) return INVALID;
    const u = new URL(raw);
    return schemes.includes(u.protocol.slice(0, -1)) && u.hostname !== '' ? raw : INVALID;
  }, c);
}

/** Comma-separated URLs (a JSON array in the config file); empty = none. */
function urlList(path: string, schemes: readonly string[], c: Common<readonly string[]>): Setting<readonly string[]> {
  const expects = `comma-separated URLs starting with ${schemes.map((s) => `${s}://`).join(' or ')}`;
  const one = (u: unknown): u is string => typeof u === 'string' && URL.canParse(u) && schemes.includes(new URL(u).protocol.slice(0, -1)) && new URL(u).hostname !== '';
  return setting(path, 'url-list', expects, (raw) => {
    const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((u) => u.trim()).filter((u) => u !== '') : null;
    if (list === null || list.length > 32 || !list.every(one)) return INVALID;
    return Object.freeze([...list]);
  }, { ...c, defaultText: c.defaultText ?? '(none)' });
}

function dir<T extends string | undefined>(path: string, c: Common<T>): Setting<T> {
  // A control character in a path is a typo (or an injection attempt), not a path.
  const ok = (raw: unknown): raw is string => typeof raw === 'string' && raw !== '' && ![...raw].some((ch) => ch.charCodeAt(0) < 0x20);
  return setting(path, 'path', 'a file system path', (raw) => (ok(raw) ? (raw as T) : INVALID), c);
}

/** A TCP port, or `0`/`off`/`false` to disable the listener (→ `null`). */
function portOrOff(path: string, c: Common<number | null>): Setting<number | null> {
  return setting(path, 'port-or-off', 'an integer 1-65535, or 0/"off" to disable', (raw) => {
    if (raw === null || raw === false || raw === 0) return null;
    if (typeof raw === 'string' && ['off', 'false', 'disabled', '0'].includes(raw.trim().toLowerCase())) return null;
    const n = parseInteger(raw, false);
    return n !== INVALID && n >= 1 && n <= 65535 ? n : INVALID;
  }, c);
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[?[0-9A-Fa-f:.]+(?:%[A-Za-z0-9]+)?\]?)$/;
const HOST_EXPECTS = 'a host name or IP address';

/** pino's levels; the same strings `@headwater/log` accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How stream keys are checked on `publish`. */
export const AUTH_MODES = ['keys', 'hmac', 'webhook'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** Every setting, keyed by dotted path. */
export const SETTINGS = {
  dataDir: dir<string>('dataDir', {
    default: './.headwater',
    description: 'Directory for local state: embedded Redis data, embedded S3 data, generated TLS certificates, the archive spool. Resolved to an absolute path (relative to the config file when set there, else to the working directory).',
  }),
  host: str<string>('host', HOST, HOST_EXPECTS, { default: '0.0.0.0', description: 'Address the RTMP/RTMPS listeners (and the playback HTTP server) bind to.' }),
  publicHost: str<string>('publicHost', HOST, HOST_EXPECTS, { default: 'localhost', description: 'Host name printed in the publish URLs shown to users (not used for binding).' }),
  logLevel: oneOf('logLevel', LOG_LEVELS, { default: 'info', description: 'Least severe level written to the log (`silent` writes nothing).' }),

  'rtmp.port': int('rtmp.port', 1, 65535, { default: 1935, description: 'Plain RTMP listener port.' }),
  'rtmp.app': str<string>('rtmp.app', /^[A-Za-z0-9._~-]{1,64}(?:\/[A-Za-z0-9._~-]{1,64}){0,3}$/, 'an RTMP app name like "live" or "a/b" (letters, digits, . _ ~ -)', {
    default: 'live',
    description: 'RTMP application name publishers connect to (`rtmp://host/<app>`); other apps are refused.',
  }),
  'rtmps.port': portOrOff('rtmps.port', { default: 1936, description: 'RTMPS (RTMP over TLS) listener port; `0` or `off` disables RTMPS.' }),
  'rtmps.certFile': dir<string | undefined>('rtmps.certFile', {
    default: undefined,
    defaultText: '(unset: a self-signed certificate generated under dataDir)',
    description: 'PEM certificate (chain) for RTMPS. Set together with rtmps.keyFile.',
  }),
  'rtmps.keyFile': dir<string | undefined>('rtmps.keyFile', {
    default: undefined,
    defaultText: '(unset: generated with the self-signed certificate)',
    description: 'PEM private key for RTMPS. Set together with rtmps.certFile.',
  }),
  'http.port': portOrOff('http.port', {
    default: 8080,
    description: 'HTTP port of the `api` role: control API (`/api/v1`), dashboard (`/`), playback (HLS/DASH outputs under `/streams/<channel>/<session>/`, CORS open) and `/metrics`; `0` or `off` disables it. Binds to `host`.',
  }),
  'metrics.port': portOrOff('metrics.port', {
    default: 9464,
    description: 'Prometheus `/metrics` (and `/healthz`) port of a process that runs no `api` role (`headwater start ingest` or `worker`); with the API, `/metrics` is on http.port. `0` or `off` disables it.',
  }),
  'api.adminToken': str<string | undefined>('api.adminToken', /^[\x21-\x7e]{16,256}$/, 'at least 16 printable characters without spaces', {
    default: undefined,
    defaultText: '(unset: generated on first start, kept in dataDir/admin-token and printed once)',
    description: 'Bearer token of the control API and dashboard (`Authorization: Bearer <token>`).',
    secret: true,
  }),
  'nodeId': str<string | undefined>('nodeId', /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (up to 64)', {
    default: undefined,
    defaultText: '(unset: the host name)',
    description: 'This process\'s name in live-session listings and metrics (the ingest node a publisher is on).',
  }),

  'redis.url': url('redis.url', ['redis', 'rediss'], {
    default: undefined,
    defaultText: '(unset: an embedded redis-server on a free loopback port, data under dataDir/redis)',
    description: 'Redis connection URL (stream keys, channels). May contain a password, so it is treated as a secret.',
    secret: true,
  }),
  's3.endpoint': url('s3.endpoint', ['http', 'https'], {
    default: undefined,
    defaultText: '(unset: an embedded S3 server, data under dataDir/s3)',
    description: 'S3-compatible endpoint URL for the archive (e.g. `https://s3.us-east-1.amazonaws.com`, a MinIO URL).',
  }),
  's3.publicEndpoint': url('s3.publicEndpoint', ['http', 'https'], {
    default: undefined,
    defaultText: '(unset: s3.endpoint)',
    description: 'S3 endpoint as browsers reach it, for the presigned recording download URLs the API hands out, when s3.endpoint is internal (e.g. `http://minio:9000`).',
  }),
  's3.bucket': str<string>('s3.bucket', /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)', {
    default: 'headwater',
    description: 'Bucket the FLV archive and renditions are written to.',
  }),
  's3.region': str<string>('s3.region', /^[A-Za-z0-9-]{1,64}$/, 'a region name like "us-east-1"', { default: 'us-east-1', description: 'S3 region (used for request signing).' }),
  's3.accessKeyId': str<string | undefined>('s3.accessKeyId', /^\S{1,256}$/, 'a non-empty string without spaces', {
    default: undefined,
    defaultText: '(unset: the AWS SDK default credential chain, or the embedded server\'s credentials)',
    description: 'S3 access key id. Set together with s3.secretAccessKey.',
    secret: true,
  }),
  's3.secretAccessKey': str<string | undefined>('s3.secretAccessKey', /^\S{1,256}$/, 'a non-empty string without spaces', {
    default: undefined,
    description: 'S3 secret access key. Set together with s3.accessKeyId.',
    secret: true,
  }),
  's3.forcePathStyle': bool('s3.forcePathStyle', {
    default: true,
    description: 'Use path-style bucket addressing (`endpoint/bucket/key`), which the embedded server, MinIO and most S3-compatible stores need; set false for AWS virtual-hosted style.',
  }),

  'auth.mode': oneOf('auth.mode', AUTH_MODES, {
    default: 'keys',
    description: '`keys`: per-channel random stream keys stored hashed in Redis (`headwater channel create`); `hmac`: self-expiring keys signed with auth.hmacSecret; `webhook`: ask auth.webhookUrl.',
  }),
  'auth.hmacSecret': str<string | undefined>('auth.hmacSecret', /^[\s\S]{32,1024}$/, 'at least 32 characters', {
    default: undefined,
    description: 'Signing secret for `hmac` mode (at least 32 characters; e.g. `openssl rand -hex 32`). Required in that mode.',
    secret: true,
  }),
  'auth.webhookUrl': url('auth.webhookUrl', ['http', 'https'], {
    default: undefined,
    description: 'Authorizer URL for `webhook` mode: receives a JSON POST per publish and answers `{ "allow": true, "channelId": "…" }`. Required in that mode.',
  }),
  'auth.webhookTimeoutMs': int('auth.webhookTimeoutMs', 1, 60_000, { default: 2000, description: 'Webhook answer deadline; no answer in time means deny (`timeout`).' }),
  'auth.failDelayMs': int('auth.failDelayMs', 0, 60_000, {
    default: 1000,
    description: 'Delay before answering a failed publish attempt; doubles with each recent failure from the same IP, up to auth.maxFailDelayMs.',
  }),
  'auth.maxFailDelayMs': int('auth.maxFailDelayMs', 0, 60_000, { default: 4000, description: 'Cap of the failed-attempt delay.' }),
  'auth.maxFailuresPerIpPerMinute': int('auth.maxFailuresPerIpPerMinute', 0, 1_000_000, {
    default: 10,
    description: 'Failed attempts per client IP (IPv6: per /64) in a sliding minute after which publishes from it are refused without checking the key (`rate-limited`); 0 disables.',
  }),

  'limits.maxConnections': int('limits.maxConnections', 1, 1_000_000, { default: 1000, description: 'Open RTMP/RTMPS connections, all clients together.' }),
  'limits.maxConnectionsPerIp': int('limits.maxConnectionsPerIp', 1, 1_000_000, { default: 20, description: 'Open connections per client IP.' }),
  'limits.handshakeTimeoutMs': int('limits.handshakeTimeoutMs', 100, 600_000, {
    default: 10_000,
    description: 'Time allowed from TCP accept to a completed RTMP handshake and `publish`.',
  }),
  'limits.idleTimeoutMs': int('limits.idleTimeoutMs', 1000, 3_600_000, { default: 30_000, description: 'A connection that sends nothing for this long is closed.' }),
  'limits.maxMessageBytes': bytes('limits.maxMessageBytes', 1 * KiB, 16 * MiB - 1, {
    default: 8 * MiB,
    description: 'Largest RTMP message accepted (the wire allows 16 MiB - 1); larger ones close the connection.',
  }),
  'limits.maxChunkStreams': int('limits.maxChunkStreams', 2, 65_599, { default: 64, description: 'Distinct RTMP chunk stream ids one connection may use.' }),
  'limits.maxTracks': int('limits.maxTracks', 1, 256, { default: 16, description: 'Enhanced RTMP multitrack: tracks per media type one stream may carry.' }),
  'limits.maxPendingBytesPerConnection': bytes('limits.maxPendingBytesPerConnection', 64 * KiB, 1 * GiB, {
    default: 32 * MiB,
    description: 'Backpressure bound: bytes received but not yet archived/forwarded per connection; above it the connection is paused, then closed.',
  }),
  'limits.publishTakeover': bool('limits.publishTakeover', {
    default: true,
    description: 'A new publish with a channel that is already live replaces the old connection (encoder reconnects); false refuses the newcomer.',
  }),

  'archive.enabled': bool('archive.enabled', { default: true, description: 'Write every published stream, byte for byte, as FLV to S3.' }),
  'archive.partBytes': bytes('archive.partBytes', 5 * MiB, 5 * GiB, {
    default: 8 * MiB,
    description: 'S3 multipart part size (S3 requires at least 5 MiB per part).',
  }),
  'archive.spoolDir': dir<string | undefined>('archive.spoolDir', {
    default: undefined,
    defaultText: 'dataDir/spool',
    description: 'Local directory where archive parts wait while S3 is slow or unreachable.',
  }),

  'webhooks.urls': urlList('webhooks.urls', ['http', 'https'], {
    default: Object.freeze([]),
    description: 'Endpoints that receive signed JSON events (publish started/stopped, session archived, renditions ready, transcode failed, auth denied), delivered with retries through the queue.',
  }),
  'webhooks.secret': str<string | undefined>('webhooks.secret', /^[\s\S]{16,1024}$/, 'at least 16 characters', {
    default: undefined,
    description: 'HMAC-SHA256 key signing each webhook delivery (`Headwater-Signature: t=<unix s>,v1=<hex>` over `<t>.<body>`). Required when webhooks.urls is set.',
    secret: true,
  }),

  'transcode.enabled': bool('transcode.enabled', {
    default: true,
    description: 'Cut every published stream into source segments and enqueue them for the transcode workers (adaptive HLS + DASH).',
  }),
  'transcode.segmentDurationMs': int('transcode.segmentDurationMs', 500, 20_000, {
    default: 2000,
    description: 'Target source segment (and HLS/DASH segment) duration; segments are cut at the first key frame after it, never inside a GOP.',
  }),
  'transcode.reconnectGraceMs': int('transcode.reconnectGraceMs', 0, 600_000, {
    default: 30_000,
    description: 'A publisher that drops (rather than unpublishes) and comes back within this long continues the same playlists after a discontinuity; `0` ends the playback at once.',
  }),
  'transcode.ffmpegThreads': int('transcode.ffmpegThreads', 0, 64, {
    default: 0,
    description: 'Threads for each ffmpeg decoder, filter graph and encoder of a segment job; `0` lets ffmpeg decide. On workers that run as many jobs at once as they have cores, `1` saves about a tenth of the CPU per segment (bench:ladder).',
  }),
  'transcode.workerConcurrency': int('transcode.workerConcurrency', 0, 64, {
    default: 1,
    description: 'Segment jobs the worker in `headwater start` runs at once; `0` runs no worker in that process (workers run elsewhere).',
  }),
} as const;

export type SettingPath = keyof typeof SETTINGS;
/** The parsed value type of one setting. */
export type SettingValue<P extends SettingPath> = (typeof SETTINGS)[P] extends Setting<infer T> ? T : never;

/** One row of the settings reference (for the README and `headwater config --help`). */
export interface ConfigDoc {
  /** Dotted path, as used in the JSON config file. */
  readonly name: string;
  readonly env: string;
  readonly default: string;
  readonly description: string;
  readonly secret: boolean;
}

/** Every setting, in documentation order. */
export const CONFIG_DOCS: readonly ConfigDoc[] = Object.values(SETTINGS).map((s: Setting<unknown>) => ({
  name: s.path,
  env: s.env,
  default: s.defaultText,
  description: s.description,
  secret: s.secret,
}));
