#!/usr/bin/env node
// The ingest of the ladder bench, as its own process (measured from /proc with its children).
// It is `startPipeline` (what `headwater start` runs) with the transcoder feed added the way
// pipeline.ts adds it, but with a ladder config: the pipeline has no setting for one yet, so
// `transcode.enabled` stays off here and the same `transcodeConsumerFactory` is passed as an
// extra consumer. Settings: HEADWATER_* from the bench, plus BENCH_LADDER_INGEST (JSON
// { ladder, maxPendingSegments }). No segment worker runs in this process.
//
// stdout: one JSON line per event, {"bench": "ready"} once listening, then
// {"bench": "session", sessionId, channelId} when a publish starts. Logs go to stderr.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startPipeline } from '@headwater/cli';
import { loadConfig } from '@headwater/config';
import { transcodeConsumerFactory } from '@headwater/ingest';
import { SEGMENT_QUEUE_NAME } from '@headwater/jobs';
import { createLogger } from '@headwater/log';

const line = (fields) => process.stdout.write(`${JSON.stringify(fields)}\n`);
const opts = JSON.parse(process.env.BENCH_LADDER_INGEST ?? '{}');
const config = loadConfig(process.env);
const logger = createLogger({ level: config.logLevel, name: 'headwater' }, process.stderr);

let feed;
const pipeline = await startPipeline(config, logger, {
  consumers: [
    (info) => {
      line({ bench: 'session', sessionId: info.sessionId, channelId: info.channelId });
      return feed(info);
    },
  ],
});
// As pipeline.ts does with transcode.enabled: BullMQ's own connection, retrying forever.
const queueConnection = new Redis(pipeline.infra.redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue(SEGMENT_QUEUE_NAME, { connection: queueConnection });
feed = transcodeConsumerFactory({
  s3: pipeline.infra.s3,
  bucket: pipeline.infra.bucket,
  redis: pipeline.infra.redis,
  queue,
  logger,
  ladder: opts.ladder,
  ...(opts.maxPendingSegments === undefined ? {} : { maxPendingSegments: opts.maxPendingSegments }),
});
line({ bench: 'ready', rtmpPort: pipeline.ingest.rtmpPort });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await pipeline.stop({ graceMs: 2000 });
  await queue.close();
  queueConnection.disconnect();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
