import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  SEGMENT_JOB_VERSION,
  createPackaging,
  outputPrefix,
  publishPlaylists,
  renditionSpecs,
  segmentJobId,
  sourceSegmentKey,
  updatePackaging,
} from '@headwater/jobs';
import type { Continuation, SegmentJob } from '@headwater/jobs';
import { planLadder } from '@headwater/ladder';
import type { LadderConfig, LadderPlan, LadderSource } from '@headwater/ladder';
import type { Logger } from '@headwater/log';
import { SourceSegmenter } from '@headwater/mkv';
import type { SourceSegment } from '@headwater/mkv';
import { applyDiscontinuity, applyEnd, applySegmentFailed, applySourceSegment, createPackagingState } from '@headwater/packager';
import type { MediaTag } from './tee.js';
import { errorSummary } from './tee.js';

/** BullMQ attempts per segment job (a worker crash or a transient error; undecodable input is not retried). */
export const SEGMENT_JOB_ATTEMPTS = 5;

/** Where a feed's segments go, and what the next publish needs to continue them. */
export interface PlaybackSession {
  readonly sessionId: string;
  readonly outputPrefix: string;
}

/** What a finished feed produced. */
export interface FeedResult {
  readonly playback: PlaybackSession;
  /** Segments in the playback session so far (this publish's and any it continued). */
  readonly segmentCount: number;
  /** Where a continuation's first segment would start on the playback timeline. */
  readonly nextStartMs: number;
  readonly renditionsKey: string;
}

export interface SegmentFeedOptions {
  s3: S3Client;
  bucket: string;
  redis: Redis;
  /** The segment queue workers consume. */
  queue: Queue;
  logger: Logger;
  channelId: string;
  /** The publish (or archive) session: a fresh playback session takes its id. */
  sourceSessionId: string;
  /** Wall clock (Unix ms) at source time 0. */
  startedAtMs: number;
  /** Ladder settings; `segmentDurationMs` is also the segmenter's target. */
  ladder?: Partial<LadderConfig>;
  /** BullMQ priority of the jobs (1 = highest; unset runs before any prioritized job). VOD sets it so live goes first. */
  priority?: number;
  /**
   * Called once, at the first segment: a playback session of the channel this feed may continue
   * (publisher reconnect). Its ladder must match the new one, else it is ended and a fresh
   * session starts.
   */
  continuation?: () => Promise<Continuation | null>;
  /** Told where this source's segments go, once known (at the first segment). */
  onPlaced?: (playback: PlaybackSession) => void;
}

/** Identifies a ladder's rendition set for continuation: ids, sizes and codec families. */
export function renditionsKeyOf(plan: LadderPlan): string {
  return renditionSpecs(plan)
    .map((r) => (r.kind === 'video' ? `${r.id}:${r.width}x${r.height}:${r.codecs.slice(0, 4)}` : `${r.id}:${r.codecs.slice(0, 4)}:${r.channels}`))
    .join('|');
}

/**
 * What the planner needs, from a source segment: the default tracks, plus the extra video
 * tracks of a multitrack publish (an encoder-side ladder, offered as passthrough renditions).
 */
export function ladderSourceOf(segment: SourceSegment): LadderSource {
  const video = segment.video.find((t) => t.flvTrackId === 0);
  const audio = segment.audio.find((t) => t.flvTrackId === 0);
  const rate = (frameRate: number | undefined) => (frameRate === undefined ? {} : { frameRate });
  // Video tracks are numbered in the segment file in the order of `segment.video`.
  const extras = segment.video
    .map((t, streamIndex) => ({ t, streamIndex }))
    .filter(({ t }) => t.flvTrackId !== 0 && t.startsWithKeyframe)
    .map(({ t, streamIndex }) => ({ trackId: t.flvTrackId, description: t.description, bitrateBps: t.bitrateBps, streamIndex, ...rate(t.frameRate) }));
  return {
    ...(video ? { video: { ...video.description, bitrateBps: video.bitrateBps, streamIndex: segment.video.indexOf(video), ...rate(video.frameRate) } } : {}),
    ...(audio ? { audio: { ...audio.description, bitrateBps: audio.bitrateBps } } : {}),
    ...(extras.length > 0 ? { extraVideoTracks: extras } : {}),
  };
}

/** Ends a playback session: no segment after `segmentCount`; the playlists turn VOD once every segment is in. */
export async function endPlayback(deps: { s3: S3Client; bucket: string; redis: Redis }, playback: PlaybackSession, segmentCount: number): Promise<void> {
  await persistently(() => updatePackaging(deps.redis, playback.sessionId, (s) => applyEnd(s, { segmentCount })));
  // Every segment may be in already (a grace period ended, or the last job beat us here): no
  // worker would rewrite the playlists, so write them now.
  await persistently(() => publishPlaylists(deps, playback.sessionId, playback.outputPrefix));
}

interface Placement {
  playback: PlaybackSession;
  /** Playback index of this publish's segment 0. */
  baseIndex: number;
  /** Playback timeline minus this publish's clock. */
  offsetMs: number;
  plan: LadderPlan;
  renditionsKey: string;
}

/**
 * Cuts one source (a live publish or an archived session) into Matroska source segments at key
 * frames, uploads each to S3 and enqueues one segment job for it, in order. The ladder is
 * planned and the packaging state created (or a previous session continued) at the first
 * segment. `push()` only runs the in-memory segmenter; uploads run behind it, and `pending`
 * says how far behind.
 */
export class SegmentFeed {
  private readonly segmenter: SourceSegmenter;
  private placement: Placement | null = null;
  /** Set when planning failed: nothing to transcode. */
  private disabledReason: string | null = null;
  private segmentCount = 0;
  private nextStartMs = 0;
  private chain: Promise<void> = Promise.resolve();
  private pendingCount = 0;
  private readonly drained: (() => void)[] = [];
  private readonly log: { sessionId: string; channelId: string };

  constructor(private readonly opts: SegmentFeedOptions) {
    // Extra tracks too: a multitrack encoder's own ladder becomes passthrough renditions.
    this.segmenter = new SourceSegmenter({ targetDurationMs: opts.ladder?.segmentDurationMs ?? 2000, includeExtraTracks: true });
    this.log = { sessionId: opts.sourceSessionId, channelId: opts.channelId };
  }

  /** Segments cut but not yet uploaded and enqueued. */
  get pending(): number {
    return this.pendingCount;
  }

  /** Whether the source cannot be transcoded (no ladder for it). */
  get disabled(): boolean {
    return this.disabledReason !== null;
  }

  push(tag: MediaTag): void {
    if (this.disabledReason === null) this.enqueue(this.segmenter.push(tag), false);
  }

  /** Resolves once at most `count` segments are pending (backpressure for sources that can wait). */
  async pendingAtMost(count: number): Promise<void> {
    while (this.pendingCount > count) await new Promise<void>((resolve) => this.drained.push(resolve));
  }

  /** Cuts the last segment, waits for every upload and job, and says what the playback session holds (null: nothing was transcoded). */
  async finish(): Promise<FeedResult | null> {
    if (this.disabledReason === null) this.enqueue(this.segmenter.flush(), true);
    await this.chain;
    const placement = this.placement;
    if (placement === null || this.disabledReason !== null) return null;
    return { playback: placement.playback, segmentCount: placement.baseIndex + this.segmentCount, nextStartMs: this.nextStartMs, renditionsKey: placement.renditionsKey };
  }

  private enqueue(segments: readonly SourceSegment[], final: boolean): void {
    segments.forEach((segment, i) => {
      const isLast = final && i === segments.length - 1;
      this.pendingCount++;
      this.chain = this.chain
        .then(() => this.handle(segment, isLast))
        // Never let the chain reject: a rejection would stop every later segment (and be unhandled).
        .catch((err: unknown) => this.opts.logger.error({ ...this.log, index: segment.index, err: errorSummary(err) }, 'transcode feed step failed'))
        .finally(() => {
          this.pendingCount--;
          for (const wake of this.drained.splice(0)) wake();
        });
    });
  }

  private async place(segment: SourceSegment): Promise<Placement | null> {
    const { opts } = this;
    let plan: LadderPlan;
    // Open GOPs (leading pictures that reference the next key frame) cannot be cut at our key
    // frames without re-encoding: a copied segment would need the next one's key frame. The
    // first cut shows it (x265's default; hardware encoders use closed GOPs).
    const openGop = segment.trailingReference;
    if (openGop) opts.logger.info(this.log, 'open-GOP video: no passthrough rendition, every rung is transcoded');
    try {
      plan = planLadder(ladderSourceOf(segment), { ...opts.ladder, ...(openGop ? { passthrough: false } : {}) });
    } catch (err) {
      this.disabledReason = errorSummary(err).message;
      opts.logger.warn({ ...this.log, err: errorSummary(err) }, 'no ladder for this source: not transcoding');
      return null;
    }
    const renditionsKey = renditionsKeyOf(plan);
    const previous = opts.continuation
      ? await opts.continuation().catch((err: unknown) => {
          // Redis down at the first cut: start a fresh session rather than drop the segment.
          opts.logger.warn({ ...this.log, err: errorSummary(err) }, 'continuation lookup failed: starting a new playback session');
          return null;
        })
      : null;
    if (previous !== null) {
      if (previous.renditionsKey === renditionsKey) {
        const continued = await this.continueSession(previous, segment, plan, renditionsKey);
        if (continued !== null) return continued;
      } else {
        opts.logger.info({ ...this.log, playbackSessionId: previous.sessionId }, 'publisher came back with another ladder: ending the previous playback session');
        await endPlayback(opts, previous, previous.segmentCount).catch((err: unknown) =>
          opts.logger.error({ ...this.log, err: errorSummary(err) }, 'previous playback session not ended'),
        );
      }
    }
    const playback = { sessionId: opts.sourceSessionId, outputPrefix: outputPrefix(opts.channelId, opts.sourceSessionId) };
    const initial = createPackagingState({ sessionId: playback.sessionId, channelId: opts.channelId, startedAtMs: opts.startedAtMs, renditions: renditionSpecs(plan) });
    // Retried through a short Redis outage: without the state no segment can be recorded. If it
    // never gets in, the session is placed anyway so segment numbering stays right; its
    // segments then fail to record and nothing waits on them (there are no playlists).
    await persistently(() => createPackaging(opts.redis, initial)).catch((err: unknown) =>
      opts.logger.error({ ...this.log, err: errorSummary(err) }, 'packaging state not created: this session will have no playlists'),
    );
    opts.logger.info({ ...this.log, renditions: renditionSpecs(plan).map((r) => r.id) }, 'transcoding session');
    return { playback, baseIndex: 0, offsetMs: 0, plan, renditionsKey };
  }

  private async continueSession(previous: Continuation, segment: SourceSegment, plan: LadderPlan, renditionsKey: string): Promise<Placement | null> {
    const { opts } = this;
    try {
      await updatePackaging(opts.redis, previous.sessionId, (s) =>
        applyDiscontinuity(s, { atIndex: previous.segmentCount, wallClockMs: Math.round(opts.startedAtMs + segment.startMs) }),
      );
    } catch (err) {
      // Gone (expired state) or already ended: start afresh rather than lose the stream.
      opts.logger.warn({ ...this.log, err: errorSummary(err) }, 'previous playback session cannot be continued');
      return null;
    }
    opts.logger.info({ ...this.log, playbackSessionId: previous.sessionId, atIndex: previous.segmentCount }, 'publisher reconnected: continuing the playback session');
    return {
      playback: { sessionId: previous.sessionId, outputPrefix: previous.outputPrefix },
      baseIndex: previous.segmentCount,
      offsetMs: previous.nextStartMs - segment.startMs,
      plan,
      renditionsKey,
    };
  }

  private async handle(segment: SourceSegment, isLast: boolean): Promise<void> {
    const { opts } = this;
    if (this.disabledReason !== null) return;
    if (this.placement === null) {
      this.placement = await this.place(segment);
      if (this.placement === null) return;
      opts.onPlaced?.(this.placement.playback);
    }
    const { playback, baseIndex, offsetMs, plan } = this.placement;
    const index = baseIndex + segment.index;
    this.segmentCount = Math.max(this.segmentCount, segment.index + 1);
    this.nextStartMs = Math.max(this.nextStartMs, segment.endMs + offsetMs);
    const key = sourceSegmentKey(opts.channelId, playback.sessionId, index);
    try {
      await opts.s3.send(new PutObjectCommand({ Bucket: opts.bucket, Key: key, Body: segment.bytes, ContentType: 'video/x-matroska' }));
      await updatePackaging(opts.redis, playback.sessionId, (s) => applySourceSegment(s, { index, durationMs: segment.durationMs }));
      const job: SegmentJob = {
        version: SEGMENT_JOB_VERSION,
        sessionId: playback.sessionId,
        channelId: opts.channelId,
        index,
        startMs: segment.startMs + offsetMs,
        durationMs: segment.durationMs,
        ...(offsetMs === 0 ? {} : { inputOffsetMs: offsetMs }),
        isLast,
        sourceKey: key,
        // The audio preroll comes from the same publish only: across a reconnect the clocks differ.
        ...(segment.index > 0 ? { previousSourceKey: sourceSegmentKey(opts.channelId, playback.sessionId, index - 1) } : {}),
        plan,
        outputPrefix: playback.outputPrefix,
      };
      await opts.queue.add('segment', job, {
        jobId: segmentJobId(playback.sessionId, index),
        attempts: SEGMENT_JOB_ATTEMPTS,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: true,
        removeOnFail: 1000,
        ...(opts.priority === undefined ? {} : { priority: opts.priority }),
      });
    } catch (err) {
      // The segment never reaches a worker: a gap, so the playlists do not wait for it forever.
      opts.logger.error({ ...this.log, index, err: errorSummary(err) }, 'source segment not enqueued');
      // Retried: the failure is often the Redis outage itself, and an unmarked segment would
      // hold the playlists back forever.
      await persistently(() => updatePackaging(opts.redis, playback.sessionId, (s) => applySegmentFailed(s, { index, durationMs: segment.durationMs }))).catch((e: unknown) =>
        opts.logger.error({ ...this.log, index, err: errorSummary(e) }, 'gap not recorded'),
      );
    }
  }
}

/** Attempts of {@link persistently}: 250 ms doubling to 8 s, about a minute in all. */
const PERSIST_ATTEMPTS = 10;

/** Runs `fn` until it succeeds, backing off, for state changes that must not be lost to a short outage. */
export async function persistently<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= PERSIST_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** (attempt - 1), 8000)));
    }
  }
}
