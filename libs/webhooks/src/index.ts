export { WEBHOOK_EVENT_TYPES, createWebhookEvent, isWebhookEventType } from './webhook-event.js';
export type {
  AuthDeniedData,
  PublishStartedData,
  PublishStoppedData,
  RenditionsReadyData,
  SessionArchivedData,
  TranscodeFailedData,
  TypedWebhookEvent,
  WebhookEvent,
  WebhookEventDataMap,
  WebhookEventType,
} from './webhook-event.js';
export { firstPublish } from './first-publish.js';
export { DEFAULT_TOLERANCE_S, MAX_SIGNATURE_HEADER_LENGTH, SIGNATURE_HEADER, SIGNATURE_SCHEME, WebhookSignatureError, signWebhook, verifyWebhook } from './webhook-signature.js';
export type { VerifyWebhookOptions } from './webhook-signature.js';
export {
  DEFAULT_WEBHOOK_ATTEMPTS,
  DEFAULT_WEBHOOK_BACKOFF_MS,
  MAX_WEBHOOK_BODY_BYTES,
  MAX_WEBHOOK_URL_LENGTH,
  WEBHOOK_QUEUE_NAME,
  WebhookJobError,
  parseWebhookJob,
  parseWebhookUrl,
  urlOrigin,
} from './webhook-job.js';
export type { WebhookJob } from './webhook-job.js';
export { DEFAULT_CLOSE_TIMEOUT_MS, DEFAULT_MAX_BACKLOG, WebhookEmitter } from './webhook-emitter.js';
export type { WebhookEmitterOptions } from './webhook-emitter.js';
export {
  DEFAULT_WEBHOOK_CONCURRENCY,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  MAX_WEBHOOK_REDIRECTS,
  WEBHOOK_USER_AGENT,
  WebhookDeliveryError,
  deliverWebhook,
  startWebhookDelivery,
} from './webhook-delivery.js';
export type { DeliverWebhookOptions, WebhookDelivery, WebhookDeliveryOptions } from './webhook-delivery.js';
