/** One bad setting. `message` names the setting and never contains a secret value. */
export interface ConfigIssue {
  /** Dotted setting path, e.g. `rtmp.port`; `config` for problems with the config file itself. */
  readonly setting: string;
  readonly message: string;
}

/**
 * Thrown by `loadConfig` when the configuration is invalid. The message lists every problem,
 * one per line, each naming the setting as the operator wrote it (`HEADWATER_RTMP_PORT` or
 * `rtmp.port in /etc/headwater.json`); secret values are never echoed.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(issues.map((i) => i.message).join('\n'));
  }
}
