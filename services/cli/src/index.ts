export { startPipeline } from './pipeline.js';
export type { Pipeline, PipelineOptions } from './pipeline.js';
export { startInfrastructure, connectRedisForCommand } from './infrastructure.js';
export type { Infrastructure } from './infrastructure.js';
export { publishTags, readFlvTags, parsePublishUrl, PublishRejectedError } from './publisher.js';
export type { PublishOptions, PublishResult, PublishTarget } from './publisher.js';
export { startOutputServer, routeRequest } from './output-server.js';
export type { OutputServer, OutputServerOptions } from './output-server.js';
