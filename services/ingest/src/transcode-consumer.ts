import type { S3Client } from '@aws-sdk/client-s3';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { claimContinuation, offerContinuation, takeExpiredContinuations } from '@headwater/jobs';
import type { Continuation } from '@headwater/jobs';
import type { LadderConfig } from '@headwater/ladder';
import type { Logger } from '@headwater/log';
import { SegmentFeed, endPlayback } from './segment-feed.js';
import type { PlaybackSession } from './segment-feed.js';
import type { EndReason, MediaConsumer, MediaTag, SessionInfo } from './tee.js';
import { errorSummary } from './tee.js';

/** Source segments cut but not yet uploaded and enqueued; beyond it the feed detaches (S3 or Redis too slow). */
export const DEFAULT_MAX_PENDING_SEGMENTS = 16;
/**
 * How long a playback session waits for its publisher to come back before it becomes a VOD.
 * OBS retries after 2 s by default, backing off; 30 s covers a few retries and a network blip
 * without leaving a truly finished stream "live" for long.
 */
export const DEFAULT_RECONNECT_GRACE_MS = 30_000;
/** Longest a new publish waits for the channel's previous publish (taken over in this process) to hand over. */
const HANDOVER_WAIT_MS = 5_000;

/** Ends that may be followed by the same publisher coming back: only an explicit unpublish or a kick is final. */
const CONTINUABLE: ReadonlySet<EndReason> = new Set<EndReason>(['disconnected', 'taken-over', 'protocol-error', 'shutdown']);

export interface TranscodeConsumerOptions {
  s3: S3Client;
  bucket: string;
  /** Holds the packaging state and the continuations. */
  redis: Redis;
  /** The segment queue (`SEGMENT_QUEUE_NAME`) workers consume. */
  queue: Queue;
  logger: Logger;
  /** Ladder settings; `segmentDurationMs` is also the segmenter's target. */
  ladder?: Partial<LadderConfig>;
  /** @defaultValue {@link DEFAULT_MAX_PENDING_SEGMENTS} */
  maxPendingSegments?: number;
  /** 0 ends every playback session at its publisher's end. @defaultValue {@link DEFAULT_RECONNECT_GRACE_MS} */
  reconnectGraceMs?: number;
  /** Where a publish's renditions go (its own playback session, or the one it continues). */
  onPlayback?: (sourceSessionId: string, playback: PlaybackSession) => void;
}

/**
 * The transcoder feed of live publishes: a {@link SegmentFeed} per publish. A publisher that
 * drops (rather than unpublishes) leaves its playback session open for the reconnect grace
 * period; the channel's next publish within it continues the same playlists after a
 * discontinuity. Sessions whose grace ran out are ended by whichever ingest notices first
 * (a timer here, or the sweep at the next publish anywhere).
 */
export function transcodeConsumerFactory(opts: TranscodeConsumerOptions) {
  const maxPending = opts.maxPendingSegments ?? DEFAULT_MAX_PENDING_SEGMENTS;
  const graceMs = opts.reconnectGraceMs ?? DEFAULT_RECONNECT_GRACE_MS;
  /** Per channel, the end of the publish this process is (or was just) feeding. */
  const endings = new Map<string, Promise<void>>();

  const sweep = async (): Promise<void> => {
    try {
      for (const c of await takeExpiredContinuations(opts.redis, Date.now())) {
        await endPlayback(opts, c, c.segmentCount)
          .then(() => opts.logger.info({ channelId: c.channelId, playbackSessionId: c.sessionId }, 'publisher did not come back: playback session ended'))
          .catch((err: unknown) => opts.logger.error({ channelId: c.channelId, err: errorSummary(err) }, 'playback session not ended'));
      }
    } catch (err) {
      opts.logger.warn({ err: errorSummary(err) }, 'continuation sweep failed');
    }
  };
  // Sessions left open by an ingest that died during their grace period.
  void sweep();

  const continuationFor = (channelId: string, previousEnd: Promise<void> | undefined) => async (): Promise<Continuation | null> => {
    if (graceMs <= 0) return null;
    // A takeover: the old publish offers its continuation while ending; give it time to.
    if (previousEnd) await Promise.race([previousEnd, new Promise((r) => setTimeout(r, HANDOVER_WAIT_MS))]);
    const claimed = await claimContinuation(opts.redis, channelId, Date.now());
    if (claimed === null) return null;
    if (!claimed.expired) return claimed.continuation;
    await endPlayback(opts, claimed.continuation, claimed.continuation.segmentCount);
    return null;
  };

  return (info: SessionInfo): MediaConsumer => {
    const { sessionId, channelId } = info;
    void sweep();
    const previousEnd = endings.get(channelId);
    let ended!: () => void;
    const ending = new Promise<void>((resolve) => (ended = resolve));
    endings.set(channelId, ending);
    const feed = new SegmentFeed({
      ...opts,
      channelId,
      sourceSessionId: sessionId,
      startedAtMs: info.startedAt.getTime(),
      continuation: continuationFor(channelId, previousEnd),
      onPlaced: (playback) => opts.onPlayback?.(sessionId, playback),
    });

    const finish = async (reason: EndReason): Promise<void> => {
      const result = await feed.finish();
      if (result === null) return;
      if (graceMs > 0 && CONTINUABLE.has(reason)) {
        await offerContinuation(opts.redis, { channelId, ...result.playback, segmentCount: result.segmentCount, nextStartMs: result.nextStartMs, renditionsKey: result.renditionsKey, deadlineMs: Date.now() + graceMs });
        setTimeout(() => void sweep(), graceMs + 250).unref();
        opts.logger.info({ sessionId, channelId, segments: result.segmentCount, reason, graceMs }, 'transcode feed paused: waiting for the publisher to come back');
        return;
      }
      await endPlayback(opts, result.playback, result.segmentCount);
      opts.logger.info({ sessionId, channelId, segments: result.segmentCount, reason }, 'transcode feed ended');
    };

    return {
      name: 'transcode',
      start() {},
      tag(tag: MediaTag) {
        feed.push(tag);
        // Throwing detaches this consumer only (see Tee): ingest and the archive go on.
        if (feed.pending > maxPending) throw new Error(`transcoder feed is ${feed.pending} segments behind`);
      },
      async end(reason: EndReason) {
        try {
          await finish(reason);
        } finally {
          ended();
          if (endings.get(channelId) === ending) endings.delete(channelId);
        }
      },
    };
  };
}
