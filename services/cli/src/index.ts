export { startPipeline } from './pipeline.js';
export type { Pipeline, PipelineOptions } from './pipeline.js';
export { startInfrastructure, connectRedisForCommand } from './infrastructure.js';
export type { Infrastructure } from './infrastructure.js';
export { publishTags, readFlvTags, parsePublishUrl, PublishRejectedError } from './publisher.js';
export type { PublishOptions, PublishResult, PublishTarget } from './publisher.js';
