import { stdSerializers } from 'pino';

/** What every redacted value is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Property names whose values are secrets wherever they appear, compared after lower-casing and
 * dropping `_`/`-` (so `stream_key`, `Stream-Key` and `streamKey` all match). In RTMP the publish
 * name *is* the stream key, hence `publishName`/`streamName`.
 */
export const SECRET_KEY_NAMES: readonly string[] = [
  'streamkey',
  'key',
  'publishname',
  'streamname',
  'password',
  'passwd',
  'secret',
  'hmacsecret',
  'secretaccesskey',
  'accesskeyid',
  'sessiontoken',
  'token',
  'accesstoken',
  'refreshtoken',
  'apikey',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'credentials',
  'privatekey',
];

const secretNames = new Set(SECRET_KEY_NAMES);

/** True when a property with this name holds a secret (see {@link SECRET_KEY_NAMES}). */
export function isSecretKeyName(name: string): boolean {
  return secretNames.has(name.toLowerCase().replace(/[-_]/g, ''));
}

/**
 * Always returns {@link REDACTED}: not even a prefix of a stream key is ever logged, because
 * prefixes of many keys add up. Log the channel id instead.
 */
export function redactKey(_key: string): string {
  return REDACTED;
}

/**
 * A URL safe to log. For `rtmp:`/`rtmps:` everything after the first path segment (the app) is
 * the stream key and is replaced (`rtmp://host/live/KEY?x` → `rtmp://host/live/[redacted]`).
 * For every scheme, user info becomes `[redacted]@` and the query string and fragment are
 * dropped (they carry tokens and signatures). Something that does not parse as a URL is
 * replaced as a whole, since we cannot tell which part is secret.
 */
export function redactUrl(url: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(url);
  if (!m) return '[redacted-url]';
  const scheme = m[1] ?? '';
  let authority = m[2] ?? '';
  let path = m[3] ?? '';
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = `${REDACTED}@${authority.slice(at + 1)}`;
  if (/^rtmp[set]*$/i.test(scheme)) {
    // Path = "/<app>/<stream key...>"; keep only "/<app>".
    const second = path.indexOf('/', 1);
    if (second >= 0 && second < path.length - 1) path = `${path.slice(0, second)}/${REDACTED}`;
    else if (second >= 0) path = path.slice(0, second);
  }
  return `${scheme}://${authority}${path}`;
}

/** Matches URLs inside free text (and inside serialized JSON, where they stop at a quote or backslash). */
const URL_IN_TEXT = /\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'\\<>]+/g;

/** Rewrites every URL found in `text` with {@link redactUrl}. */
export function redactUrlsInText(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (u) => redactUrl(u));
}

/** Objects nested deeper than this are replaced rather than walked. */
export const MAX_REDACT_DEPTH = 12;

/**
 * A copy of `value` in which every property named like a secret (see {@link isSecretKeyName}) is
 * replaced by {@link REDACTED}, at any depth, through plain objects, arrays, Maps and Errors
 * (an Error becomes pino's `{ type, message, stack, ...own props }`). Strings containing URLs are
 * rewritten with {@link redactUrl}. Cycles become `[Circular]`; beyond {@link MAX_REDACT_DEPTH}
 * levels objects become `[Truncated]`. Other objects (Buffers, Dates, class instances) are kept
 * as they are.
 */
export function redactDeep(value: unknown): unknown {
  return walk(value, 0, new Set());
}

function walk(value: unknown, depth: number, stack: Set<object>): unknown {
  if (typeof value === 'string') return redactUrlsInText(value);
  if (value === null || typeof value !== 'object') return value;
  if (stack.has(value)) return '[Circular]';
  const isError = value instanceof Error;
  const isMap = value instanceof Map;
  if (!isError && !isMap && !Array.isArray(value) && !isPlainObject(value)) return value;
  if (depth >= MAX_REDACT_DEPTH) return '[Truncated]';
  stack.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, stack));
    let entries: [string, unknown][];
    if (isMap) entries = [...value.entries()].map(([k, v]) => [String(k), v]);
    // pino's serializer gives type, message and stack with causes, aggregate errors and own props.
    else if (isError) entries = Object.entries(stdSerializers.err(value)).filter(([k]) => k !== 'raw');
    else entries = Object.entries(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      out[k] = isSecretKeyName(k) && v !== undefined && v !== null ? REDACTED : walk(v, depth + 1, stack);
    }
    return out;
  } finally {
    stack.delete(value);
  }
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
