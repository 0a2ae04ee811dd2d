/** Stable codes of {@link ArchiveError}. */
export const ArchiveErrorCode = {
  /** `write()`/`finish()` after `finish()`, `abort()` or `close()`. */
  Closed: 'archive-closed',
  /** The session was aborted while `finish()` was waiting. */
  Aborted: 'archive-aborted',
  /** Local I/O on the spool file or its manifest failed (disk full, I/O error); what reached the disk stays there for `recoverArchives`. */
  SpoolFailed: 'spool-failed',
  /** A manifest in the spool directory could not be read or is not one of ours. */
  BadManifest: 'bad-manifest',
  /** An option is out of range. */
  BadOption: 'bad-option',
  /** The object would need more parts than S3 allows (10,000). */
  TooManyParts: 'too-many-parts',
} as const;
export type ArchiveErrorCode = (typeof ArchiveErrorCode)[keyof typeof ArchiveErrorCode];

/** The only error this package throws or rejects with. Messages never carry credentials. */
export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
  constructor(
    readonly code: ArchiveErrorCode,
    message: string,
  ) {
    super(message);
  }
}
