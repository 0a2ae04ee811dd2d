/** Stable error codes of the control API (the `error.code` of every 4xx/5xx body). */
export type ApiErrorCode =
  | 'invalid-request'
  | 'unauthorized'
  | 'not-found'
  | 'channel-not-found'
  | 'recording-not-found'
  | 'vod-not-found'
  | 'archive-not-transcodable'
  | 'too-many-requests'
  | 'unsupported-media-type'
  | 'payload-too-large'
  | 'object-store-unavailable'
  | 'timeout'
  | 'internal';

/** Body of every error response: `{ error: { code, message } }`. */
export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string };
}

/** An error the API answers as is: HTTP status, stable code, a message safe to show (no secrets). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(code: ApiErrorCode, message: string): ApiErrorBody {
  return { error: { code, message } };
}
