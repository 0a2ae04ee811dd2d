export { fixturesDir, fixturePath, listFlvFixtures } from './fixtures.js';
export { startRedisServer } from './redis-server.js';
export type { RedisServer, RedisServerOptions } from './redis-server.js';
export { startS3Server } from './s3-server.js';
export type { S3Server, S3ServerOptions } from './s3-server.js';
