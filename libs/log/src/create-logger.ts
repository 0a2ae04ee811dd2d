import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger, LevelWithSilent } from 'pino';
import { REDACTED, redactDeep, redactUrlsInText } from './redact.js';

/** The logger every Headwater package takes: a pino logger. */
export type Logger = PinoLogger;

/** pino levels, plus `silent`. */
export type LogLevel = LevelWithSilent;

/** Where log lines go: anything with `write(line: string)` (pino's destination contract). */
export type LogDestination = DestinationStream;

export interface CreateLoggerOptions {
  /** @defaultValue `'info'` */
  level?: LogLevel;
  /** Added to every line as `name` (e.g. the service name). */
  name?: string;
  /** @defaultValue stdout */
  destination?: LogDestination;
}

const REDACTED_NAMES = [
  'streamKey',
  'key',
  'publishName',
  'password',
  'secret',
  'hmacSecret',
  'secretAccessKey',
  'accessKeyId',
  'token',
  'authorization',
  'credentials',
];

/**
 * pino `redact` paths. They only reach the top level and one level down (pino has no recursive
 * wildcard), so {@link createLogger} also walks every logged object and binding with
 * `redactDeep`; these paths stay as a second net, e.g. for values added by serializers.
 */
export const REDACT_PATHS: readonly string[] = [
  ...REDACTED_NAMES,
  ...REDACTED_NAMES.map((n) => `*.${n}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/**
 * A pino logger that never writes secrets: properties named like secrets are replaced by
 * `[redacted]` at any depth (in logged objects, child bindings and errors), and every URL in the
 * final line, message text included, goes through `redactUrl` (stream key path, user info and
 * query strings removed). Log channel ids, never keys.
 */
export function createLogger(opts: CreateLoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? 'info',
    ...(opts.name === undefined ? {} : { name: opts.name }),
    // Errors were already turned into redacted plain objects by `formatters.log`.
    serializers: { err: (v: unknown) => (v instanceof Error ? redactDeep(v) : v) },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    formatters: {
      log: (obj: Record<string, unknown>) => redactDeep(obj) as Record<string, unknown>,
      bindings: (bindings: Record<string, unknown>) => redactDeep(bindings) as Record<string, unknown>,
    },
    hooks: {
      // Last net: the serialized line, message text and error stacks included.
      streamWrite: (line: string) => redactUrlsInText(line),
    },
  };
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination);
}
