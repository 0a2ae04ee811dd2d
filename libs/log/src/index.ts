export { createLogger, REDACT_PATHS } from './create-logger.js';
export type { Logger, LogLevel, LogDestination, CreateLoggerOptions } from './create-logger.js';
export {
  REDACTED,
  SECRET_KEY_NAMES,
  MAX_REDACT_DEPTH,
  isSecretKeyName,
  redactKey,
  redactUrl,
  redactUrlsInText,
  redactDeep,
} from './redact.js';
