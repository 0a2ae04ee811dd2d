export { loadConfig, redactConfig, CONFIG_FILE_ENV } from './load-config.js';
export type { HeadwaterConfig, LoadConfigOptions } from './load-config.js';
export { ConfigError } from './config-error.js';
export type { ConfigIssue } from './config-error.js';
export { CONFIG_DOCS, LOG_LEVELS, AUTH_MODES, envName } from './settings.js';
export type { ConfigDoc, AuthMode, LogLevel } from './settings.js';
export { startEmbeddedRedis, freePort, EmbeddedRedisError } from './embedded-redis.js';
export type { EmbeddedRedis, EmbeddedRedisOptions } from './embedded-redis.js';
