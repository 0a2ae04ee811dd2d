import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { HeadwaterConfig } from '@headwater/config';
import { transcodeArchive } from '@headwater/ingest';
import { SEGMENT_QUEUE_NAME, getPackaging } from '@headwater/jobs';
import type { Logger } from '@headwater/log';
import { sessionPhase } from '@headwater/packager';
import { startWorker } from '@headwater/worker';
import { connectRedisForCommand, connectS3ForCommand } from './infrastructure.js';

export interface VodCommandOptions {
  /** Archive object key; or, with `list`, a channel id whose archives to list. */
  target: string;
  list: boolean;
  /** Wait for the playlists to turn VOD (running a worker here if none is connected). */
  wait: boolean;
  sessionId?: string;
  out: (line: string) => void;
  /** Progress of a long wait (overwritten in place on a terminal). */
  progress?: (line: string) => void;
}

/**
 * `headwater vod`: lists a channel's archives, or transcodes one into the HLS + DASH ladder
 * through the segment queue (every connected worker takes part).
 */
export async function vodCommand(cfg: HeadwaterConfig, logger: Logger, opts: VodCommandOptions): Promise<number> {
  const { s3, close: closeS3 } = await connectS3ForCommand(cfg);
  try {
    if (opts.list) {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: cfg.s3.bucket, Prefix: `archives/${opts.target}/` }));
      const objects = listed.Contents ?? [];
      if (objects.length === 0) opts.out(`no archives for channel ${opts.target}`);
      for (const o of objects) opts.out(`${o.Key ?? ''}  ${((o.Size ?? 0) / 1e6).toFixed(1)} MB`);
      return 0;
    }
    const { redis, url, close: closeRedis } = await connectRedisForCommand(cfg);
    // BullMQ connections retry forever (maxRetriesPerRequest: null), unlike the command's own.
    const queueRedis = new Redis(url, { maxRetriesPerRequest: null });
    const queue = new Queue(SEGMENT_QUEUE_NAME, { connection: queueRedis });
    let worker: ReturnType<typeof startWorker> | undefined;
    try {
      const started = performance.now();
      const result = await transcodeArchive({
        s3,
        bucket: cfg.s3.bucket,
        redis,
        queue,
        logger,
        archiveKey: opts.target,
        ladder: { segmentDurationMs: cfg.transcode.segmentDurationMs },
        ...(opts.sessionId === undefined ? {} : { sessionId: opts.sessionId }),
      });
      opts.out(`session ${result.sessionId}: ${result.segmentCount} segments (${(result.durationMs / 1000).toFixed(1)} s) queued`);
      opts.out(`outputs: s3://${cfg.s3.bucket}/${result.outputPrefix}master.m3u8 and manifest.mpd`);
      if (!opts.wait) return 0;
      if ((await queue.getWorkers()).length === 0) {
        opts.out('no worker is connected: transcoding in this process');
        worker = startWorker({ connection: queueRedis, concurrency: Math.max(1, cfg.transcode.workerConcurrency), s3, bucket: cfg.s3.bucket, handleSignals: false, ...(cfg.transcode.ffmpegThreads > 0 ? { threads: cfg.transcode.ffmpegThreads } : {}) });
      }
      let shown = -1;
      for (;;) {
        const state = await getPackaging(redis, result.sessionId);
        if (state !== null && state.publishedCount !== shown) {
          shown = state.publishedCount;
          opts.progress?.(`${shown}/${result.segmentCount} segments transcoded, ${((performance.now() - started) / 1000).toFixed(0)} s`);
        }
        if (state !== null && sessionPhase(state) === 'vod') {
          const seconds = (performance.now() - started) / 1000;
          const gaps = state.segments.filter((s) => s?.outputs.some((o) => o?.status === 'failed')).length;
          opts.out(`done in ${seconds.toFixed(1)} s (${(result.durationMs / 1000 / seconds).toFixed(1)}× real time)${gaps > 0 ? `, ${gaps} segment(s) left as gaps` : ''}`);
          return gaps > 0 ? 1 : 0;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await worker?.close();
      await queue.close();
      queueRedis.disconnect();
      await closeRedis();
    }
  } finally {
    await closeS3();
  }
}
