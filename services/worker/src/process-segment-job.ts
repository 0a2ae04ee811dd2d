import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import { CONTENT_TYPES, publishPlaylists, putObject as put, readPackaging, updatePackaging } from '@headwater/jobs';
import type { SegmentJob } from '@headwater/jobs';
import { FfmpegArgsError, ffmpegArgsForSegment, planRenditionIds, segmentOutputs } from '@headwater/ladder';
import { fragmentFrameRate, readFragmentTiming, readInitSegment } from '@headwater/mp4';
import type { InitSegmentInfo } from '@headwater/mp4';
import {
  PackagingError,
  applyRenditionMedia,
  applySegmentDone,
  applySegmentFailed,
  initFileName,
  initVersionAt,
  renditionPath,
  segmentFileName,
} from '@headwater/packager';
import type { PackagingState, RenditionMediaEvent } from '@headwater/packager';
import { FfmpegError } from './ffmpeg-runner.js';
import type { ArgvFfmpegRunner } from './ffmpeg-runner.js';

/** What {@link processSegmentJob} works with. */
export interface SegmentJobDeps {
  s3: S3Client;
  bucket: string;
  /** Holds the packaging state (see `@headwater/jobs`). */
  redis: Redis;
  runner: ArgvFfmpegRunner;
  /** Scratch space; each job uses its own subdirectory and deletes it. */
  workDir: string;
  /** ffmpeg threads per decoder/encoder (unset = ffmpeg's choice). */
  threads?: number;
  /** Aborting kills ffmpeg (worker shutdown). */
  signal?: AbortSignal;
}

/** What one successful job did (a failed one throws). */
export interface SegmentJobResult {
  /** `.m4s` bytes per rendition. */
  bytes: Record<string, number>;
  /** Published prefix after this job. */
  publishedCount: number;
}

async function download(deps: S3Deps, key: string, file: string): Promise<void> {
  const res = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
  if (!res.Body) throw new Error('empty S3 response body');
  await writeFile(file, await res.Body.transformToByteArray());
}

type S3Deps = Pick<SegmentJobDeps, 's3' | 'bucket'>;

/**
 * What the rendition's real outputs say: codec string, picture size and audio layout from the
 * init segment, frame rate from the fragment's sample count and durations, for the playlists to
 * advertise instead of the plan's prediction. Undefined when the init cannot be read or has no
 * track of the rendition's kind: the planned values then stay, rather than turning a playable
 * segment into a gap.
 */
function measuredMedia(rendition: string, kind: 'video' | 'audio', index: number, init: Uint8Array, segment: Uint8Array): RenditionMediaEvent | undefined {
  let info: InitSegmentInfo;
  try {
    info = readInitSegment(init);
  } catch {
    // Only ProtocolError is expected (bytes we do not understand); either way the plan stands.
    return undefined;
  }
  const track = info.tracks.find((t) => t.kind === kind);
  if (track === undefined) return undefined;
  const base = { rendition, index, codecs: track.codecString };
  if (track.kind === 'video') {
    let frameRate: number | null = null;
    try {
      frameRate = fragmentFrameRate(readFragmentTiming(segment), track.timescale);
    } catch {
      // A fragment we cannot read keeps the planned rate.
    }
    return { ...base, width: track.width, height: track.height, ...(frameRate === null ? {} : { frameRate }) };
  }
  return { ...base, sampleRateHz: track.sampleRate, ...(track.channels === undefined ? {} : { channels: track.channels }) };
}

/** Records a measurement; one the packager refuses (say, a size past its limits) leaves the planned values. */
function withMedia(state: PackagingState, event: RenditionMediaEvent | undefined): PackagingState {
  if (event === undefined) return state;
  try {
    return applyRenditionMedia(state, event);
  } catch (err) {
    if (err instanceof PackagingError) return state;
    throw err;
  }
}

/** Whether ffmpeg (or its arguments) refused the input itself, so a retry would fail the same way. */
function isUnrecoverable(err: unknown): boolean {
  // A numeric exit code means ffmpeg ran and gave up; a signal or a failed start may be the
  // machine (OOM killer, shutdown), so those are retried.
  return err instanceof FfmpegArgsError || (err instanceof FfmpegError && err.exitCode !== null);
}

/**
 * Records the job's segment as failed in every rendition still pending (an `EXT-X-GAP` in the
 * playlists) and republishes them, so the playlists move past a segment that will never come.
 */
export async function markSegmentGap(job: SegmentJob, deps: Pick<SegmentJobDeps, 's3' | 'bucket' | 'redis'>): Promise<void> {
  await updatePackaging(deps.redis, job.sessionId, (s) => applySegmentFailed(s, { index: job.index, durationMs: job.durationMs }));
  await publishPlaylists(deps, job.sessionId, job.outputPrefix);
}

/**
 * Transcodes one source segment into every rendition of the job's plan, uploads the CMAF init
 * and segment of each rendition (a retry overwrites the same keys), records them in the
 * packaging state and republishes the playlists. Input ffmpeg cannot decode becomes a gap
 * (every pending rendition of the segment marked failed) and an `UnrecoverableError`, so BullMQ
 * does not retry it and the stream goes on.
 */
export async function processSegmentJob(job: SegmentJob, deps: SegmentJobDeps): Promise<SegmentJobResult> {
  await mkdir(deps.workDir, { recursive: true });
  const dir = await mkdtemp(path.join(deps.workDir, `seg-${job.index}-`));
  try {
    const input = path.join(dir, 'source.mkv');
    await download(deps, job.sourceKey, input);
    let previous: string | undefined;
    // The previous segment is only the transcoded audio's preroll: copied audio needs none.
    if (job.previousSourceKey !== undefined && job.plan.audio?.kind === 'transcode') {
      previous = path.join(dir, 'previous.mkv');
      await download(deps, job.previousSourceKey, previous);
    }
    const outputDir = path.join(dir, 'out');
    const ids = planRenditionIds(job.plan);
    const outputs = segmentOutputs(ids, outputDir, job.index);
    for (const o of outputs) await mkdir(o.dir, { recursive: true });

    try {
      const argv = ffmpegArgsForSegment(job.plan, 'all', {
        input,
        outputDir,
        segmentIndex: job.index,
        startMs: job.startMs,
        // A continued session (publisher reconnect): this publish's clock onto the playback timeline.
        ...(job.inputOffsetMs === undefined ? {} : { inputOffsetMs: job.inputOffsetMs }),
        durationMs: job.durationMs,
        isLast: job.isLast,
        ...(previous === undefined ? {} : { previous: { input: previous } }),
        ...(deps.threads === undefined ? {} : { threads: deps.threads }),
      });
      await deps.runner.runArgv(argv, { env: { SVT_LOG: '1' }, ...(deps.signal ? { signal: deps.signal } : {}) });
    } catch (err) {
      if (!isUnrecoverable(err)) throw err;
      await markSegmentGap(job, deps);
      // The message names the segment, never paths or argv (they could carry more than ids).
      throw new UnrecoverableError(`segment ${job.index} cannot be transcoded: ${err instanceof FfmpegError ? err.message : 'bad arguments'}`);
    }

    const read = await readPackaging(deps.redis, job.sessionId);
    const initVersion = read === null ? 0 : initVersionAt(read.state, job.index);
    const bytes: Record<string, number> = {};
    const media: Record<string, RenditionMediaEvent | undefined> = {};
    const videoIds = new Set(job.plan.video.map((r) => r.id));
    await Promise.all(
      outputs.map(async (o) => {
        const segment = await readFile(o.segment);
        const init = await readFile(o.init);
        bytes[o.renditionId] = segment.byteLength;
        media[o.renditionId] = measuredMedia(o.renditionId, videoIds.has(o.renditionId) ? 'video' : 'audio', job.index, init, segment);
        await put(deps, `${job.outputPrefix}${renditionPath(o.renditionId, initFileName(initVersion))}`, init, CONTENT_TYPES.init);
        await put(deps, `${job.outputPrefix}${renditionPath(o.renditionId, segmentFileName(job.index))}`, segment, CONTENT_TYPES.segment);
      }),
    );
    await rm(dir, { recursive: true, force: true });

    // The measured media rides in the same update as the segment: no extra Redis round trip, and
    // the playlists published next already show the real CODECS and RESOLUTION.
    const state = await updatePackaging(deps.redis, job.sessionId, (s) =>
      ids.reduce(
        (acc, rendition) =>
          applySegmentDone(withMedia(acc, media[rendition]), { rendition, index: job.index, durationMs: job.durationMs, bytes: bytes[rendition] ?? 0 }),
        s,
      ),
    );
    await publishPlaylists(deps, job.sessionId, job.outputPrefix);
    return { bytes, publishedCount: state.publishedCount };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
