/**
 * The logging the archive needs: pino-shaped `(fields, message)` calls, so a `@headwater/log`
 * logger fits as is. Fields never hold credentials; the object key is logged as `objectKey`.
 */
export interface ArchiveLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentArchiveLogger: ArchiveLogger = { info() {}, warn() {}, error() {} };

/** What a completed archive produced. */
export interface ArchiveResult {
  bucket: string;
  key: string;
  /** Object length in bytes. */
  bytes: number;
  /** Multipart parts the object was assembled from; 0 when a single PutObject stored it. */
  parts: number;
}
