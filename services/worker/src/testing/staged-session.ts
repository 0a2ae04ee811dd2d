import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Redis } from 'ioredis';
import { SEGMENT_JOB_VERSION, createPackaging, outputPrefix, renditionSpecs, sourceSegmentKey, updatePackaging } from '@headwater/jobs';
import type { SegmentJob } from '@headwater/jobs';
import type { LadderPlan } from '@headwater/ladder';
import type { SourceSegment } from '@headwater/mkv';
import { applyEnd, applySourceSegment, createPackagingState } from '@headwater/packager';

/** Where a staged session goes, and what it is made of. */
export interface StageOptions {
  s3: S3Client;
  bucket: string;
  redis: Redis;
  channelId: string;
  sessionId: string;
  segments: readonly SourceSegment[];
  plan: LadderPlan;
  /** Indices uploaded as garbage (undecodable). */
  corrupt?: ReadonlySet<number>;
  /** Indices not uploaded at all. */
  missing?: ReadonlySet<number>;
}

/**
 * What the ingest's segment feed leaves for the workers, without an ingest: the source segments
 * in S3 (bar `missing`, `corrupt` ones as garbage), the packaging state holding every segment and
 * ended, and one job payload per segment (not enqueued).
 */
export async function stageSession(opts: StageOptions): Promise<SegmentJob[]> {
  const { channelId, sessionId, segments, plan } = opts;
  for (const s of segments) {
    if (opts.missing?.has(s.index)) continue;
    const body = opts.corrupt?.has(s.index) ? new Uint8Array(s.bytes.length).fill(0x5a) : s.bytes;
    await opts.s3.send(new PutObjectCommand({ Bucket: opts.bucket, Key: sourceSegmentKey(channelId, sessionId, s.index), Body: body }));
  }
  await createPackaging(opts.redis, createPackagingState({ sessionId, channelId, startedAtMs: Date.now(), renditions: renditionSpecs(plan) }));
  await updatePackaging(opts.redis, sessionId, (state) =>
    applyEnd(
      segments.reduce((acc, s) => applySourceSegment(acc, { index: s.index, durationMs: s.durationMs }), state),
      { segmentCount: segments.length },
    ),
  );
  return segments.map((s): SegmentJob => ({
    version: SEGMENT_JOB_VERSION,
    sessionId,
    channelId,
    index: s.index,
    startMs: s.startMs,
    durationMs: s.durationMs,
    isLast: s.index === segments.length - 1,
    sourceKey: sourceSegmentKey(channelId, sessionId, s.index),
    ...(s.index > 0 ? { previousSourceKey: sourceSegmentKey(channelId, sessionId, s.index - 1) } : {}),
    plan,
    outputPrefix: outputPrefix(channelId, sessionId),
  }));
}
