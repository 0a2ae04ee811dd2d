/**
 * The one error type our pure parsers throw. `code` is stable and machine-readable
 * (kebab-case, e.g. `truncated`, `limit-exceeded`); `message` is for humans and never
 * contains secrets or payload bytes.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Throws a `limit-exceeded` ProtocolError when `value` is above `limit` (or is NaN): call before
 * allocating.
 */
export function checkLimit(what: string, value: number, limit: number): void {
  // Written as !(<=) so that a NaN value fails closed instead of slipping through.
  if (!(value <= limit)) throw new ProtocolError('limit-exceeded', `${what} ${value} exceeds the limit ${limit}`);
}
