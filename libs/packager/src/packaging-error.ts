/** Stable, machine-readable reasons a packaging event or rendition description is refused. */
export type PackagingErrorCode =
  | 'invalid-session'
  | 'invalid-rendition'
  | 'unknown-rendition'
  | 'invalid-index'
  | 'invalid-duration'
  | 'unknown-duration'
  | 'duration-mismatch'
  | 'invalid-bytes'
  | 'invalid-discontinuity'
  | 'invalid-end'
  | 'invalid-media'
  | 'after-end'
  | 'invalid-option'
  | 'corrupt-state'
  | 'limit-exceeded';

/**
 * The one error the packager throws. Events come from job payloads that crossed Redis, so
 * they are checked like wire input: a bad one is refused with a stable `code` and the state is
 * left as it was (reducers are pure). Messages never carry stream keys; the packager never sees them.
 */
export class PackagingError extends Error {
  override readonly name = 'PackagingError';
  constructor(
    readonly code: PackagingErrorCode,
    message: string,
  ) {
    super(message);
  }
}
