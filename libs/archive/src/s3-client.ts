import { S3Client } from '@aws-sdk/client-s3';

/** What {@link createS3Client} needs. The credentials go to the SDK's signer and nowhere else. */
export interface S3ClientConfig {
  /** e.g. `http://127.0.0.1:4568` for s3rver/MinIO; omit for AWS S3 (the SDK derives it from the region). */
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /**
   * `http://host/bucket/key` URLs, which s3rver, MinIO and most S3-compatible stores need. The
   * default lets an embedded or test server handle (endpoint, region, credentials) be passed as is.
   * @defaultValue true
   */
  forcePathStyle?: boolean;
  /** Give up connecting after this long (the archive then retries with backoff). @defaultValue 5000 */
  connectionTimeoutMs?: number;
  /** Fail a request whose socket stays idle this long (a black-holed connection). @defaultValue 60000 */
  socketTimeoutMs?: number;
}

const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
const DEFAULT_SOCKET_TIMEOUT_MS = 60_000;

// The SDK falls back to `console` for some warnings when it has no logger (e.g. "An error was
// encountered in a non-retryable streaming request" on every failed streamed UploadPart). The
// archive logs its own sanitized line for each failure, so the SDK's are dropped.
const silentLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * An S3 client that works against AWS S3 and s3rver alike.
 *
 * `requestChecksumCalculation: 'WHEN_REQUIRED'` is required: since SDK v3.729 the default
 * (`WHEN_SUPPORTED`) sends streamed bodies (`PutObject`/`UploadPart` with a `Readable`) with
 * `aws-chunked` encoding and a trailing CRC32. s3rver does not decode `aws-chunked`: it stores the
 * chunk framing as object bytes (the object comes back ~900 bytes longer per 6 MiB, silently
 * corrupt). `Buffer` bodies are unaffected either way. `responseChecksumValidation: 'WHEN_REQUIRED'`
 * is the matching read side (s3rver sends no checksum headers, so validation would be a no-op; it
 * is set so both directions behave the same on every S3-compatible store).
 */
export function createS3Client(config: S3ClientConfig): S3Client {
  return new S3Client({
    ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
    region: config.region,
    forcePathStyle: config.forcePathStyle ?? true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: config.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      socketTimeout: config.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS,
    },
    logger: silentLogger,
  });
}
