/** What we log about a failed S3 or fs call: never the request, its headers or its signature. */
export interface SafeErrorInfo {
  name: string;
  code?: string;
  httpStatus?: number;
  message: string;
}

const MAX_MESSAGE_CHARS = 300;

// SigV4 material that could appear in a message that echoes a URL or a header
// (presigned query parameters, the Authorization header's fields).
const SIGNATURE_MATERIAL =
  /\b(X-Amz-(?:Signature|Credential|Security-Token)|Signature|Credential|AWSAccessKeyId|SignedHeaders)=[^\s&,;"']*/gi;
const AUTH_HEADER = /\bAWS4-HMAC-SHA256\b[^\n]*/g;

/**
 * Reduce any thrown value to name, code, HTTP status and a trimmed, scrubbed message.
 * AWS SDK errors carry `$response`, `$metadata` and request details that must not reach logs.
 */
export function safeErrorInfo(err: unknown): SafeErrorInfo {
  if (!(err instanceof Error)) return { name: 'NonError', message: scrub(String(err)) };
  const e = err as Error & { code?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const info: SafeErrorInfo = { name: e.name, message: scrub(e.message) };
  const code = typeof e.code === 'string' ? e.code : typeof e.Code === 'string' ? e.Code : undefined;
  if (code !== undefined) info.code = code;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') info.httpStatus = status;
  return info;
}

function scrub(message: string): string {
  const cleaned = message.replace(AUTH_HEADER, 'AWS4-HMAC-SHA256 [redacted]').replace(SIGNATURE_MATERIAL, '$1=[redacted]');
  return cleaned.length > MAX_MESSAGE_CHARS ? `${cleaned.slice(0, MAX_MESSAGE_CHARS)}…` : cleaned;
}

/** True when S3 itself answered (as opposed to a connection, DNS or timeout failure). */
export function isServiceResponse(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number';
}

/** S3 says the multipart upload id is unknown (aborted, expired by a lifecycle rule, or already completed). */
export function isNoSuchUpload(err: unknown): boolean {
  return err instanceof Error && (err.name === 'NoSuchUpload' || (err as { Code?: unknown }).Code === 'NoSuchUpload');
}
