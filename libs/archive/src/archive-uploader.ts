import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { ArchiveError, ArchiveErrorCode } from './archive-error.js';
import type { ArchiveLogger, ArchiveResult } from './archive-logger.js';
import { manifestPath, spoolPath, writeManifest } from './archive-manifest.js';
import type { ArchiveManifest } from './archive-manifest.js';
import { MAX_PARTS, partBytesFor } from './part-plan.js';
import { retryUntilAborted } from './retry.js';
import type { RetryOptions } from './retry.js';
import { isNoSuchUpload, isServiceResponse, safeErrorInfo } from './safe-error.js';

/**
 * Consecutive CompleteMultipartUpload failures answered by the server (not network errors) after
 * which the upload is restarted from byte 0. s3rver answers 500 InternalError, not NoSuchUpload,
 * when the upload id is unknown; real S3 answers NoSuchUpload, which restarts at once.
 */
export const COMPLETE_FAILURES_BEFORE_RESTART = 5;

export interface ArchiveUploaderOptions {
  s3: S3Client;
  spoolDir: string;
  /** Owned and updated by the uploader (parts, uploadId, state). */
  manifest: ArchiveManifest;
  logger: ArchiveLogger;
  retry: RetryOptions;
  /** Aborting stops every retry loop and in-flight request; the spool and manifest stay. */
  signal: AbortSignal;
}

/**
 * Moves bytes of one spool file to one S3 object: parts in order, one request in flight, each part
 * streamed from the file (no part-sized buffer), the manifest rewritten after every step so a
 * restart resumes where this left off. Shared by the live session and by crash recovery.
 */
export class ArchiveUploader {
  private uploaded: number;
  private recordedParts: number;
  private inFlight = 0;
  private failing = false;
  private persisting: Promise<void> = Promise.resolve();
  private readonly spoolFile: string;

  constructor(private readonly options: ArchiveUploaderOptions) {
    this.uploaded = options.manifest.parts.reduce((sum, p) => sum + p.bytes, 0);
    this.recordedParts = options.manifest.parts.length;
    this.spoolFile = spoolPath(options.spoolDir, options.manifest.id);
  }

  get manifest(): ArchiveManifest {
    return this.options.manifest;
  }

  /** Bytes from the start of the spool that are in uploaded (and recorded) parts. */
  get uploadedBytes(): number {
    return this.uploaded;
  }

  /** Parts acknowledged by S3 and recorded in the manifest. */
  get partsUploaded(): number {
    return this.recordedParts;
  }

  /** Requests in flight: 0 or 1. */
  get partsInFlight(): number {
    return this.inFlight;
  }

  /** True while the current S3 call has failed and is waiting to be tried again. */
  get retrying(): boolean {
    return this.failing;
  }

  /** Size of the next full part. */
  nextPartBytes(): number {
    return partBytesFor(this.manifest.parts.length + 1, this.manifest.partBytes);
  }

  /** Rewrite the manifest (serialized: writes never overlap). */
  persist(): Promise<void> {
    const run = this.persisting.then(() => writeManifest(this.options.spoolDir, this.manifest));
    this.persisting = run.catch(() => undefined);
    return run;
  }

  /**
   * Upload spool bytes `[uploadedBytes, uploadedBytes + bytes)` as the next part, creating the
   * multipart upload first if needed. If S3 no longer knows the upload, start over from byte 0
   * (the whole stream is still in the spool) and return: the caller's loop goes on from there.
   */
  async uploadNextPart(bytes: number): Promise<void> {
    const uploadId = await this.ensureUpload();
    const partNumber = this.manifest.parts.length + 1;
    if (partNumber > MAX_PARTS) {
      throw new ArchiveError(ArchiveErrorCode.TooManyParts, `archive ${this.manifest.id} needs more than ${MAX_PARTS} parts`);
    }
    const start = this.uploaded;
    let etag: string;
    this.inFlight++;
    try {
      etag = await this.withRetry(
        'UploadPart',
        async (signal) => {
          const body = createReadStream(this.spoolFile, { start, end: start + bytes - 1 });
          try {
            const res = await this.options.s3.send(
              new UploadPartCommand({
                Bucket: this.manifest.bucket,
                Key: this.manifest.key,
                UploadId: uploadId,
                PartNumber: partNumber,
                Body: body,
                ContentLength: bytes,
              }),
              { abortSignal: signal },
            );
            if (res.ETag === undefined) throw new Error('UploadPart answered without an ETag');
            return res.ETag;
          } finally {
            body.destroy();
          }
        },
        { partNumber },
        isNoSuchUpload,
      );
    } catch (err) {
      if (!this.options.signal.aborted && isNoSuchUpload(err)) {
        await this.restart('S3 no longer knows the multipart upload');
        return;
      }
      throw err;
    } finally {
      this.inFlight--;
    }
    this.manifest.parts.push({ partNumber, etag, bytes });
    await this.persist();
    // Counted once recorded, so stats never claim a part that a crash would forget.
    this.uploaded += bytes;
    this.recordedParts = this.manifest.parts.length;
  }

  /**
   * Store spool bytes `[0, totalBytes)` as the object: upload what is missing, complete the
   * multipart upload (or PutObject a session smaller than one part), mark the manifest
   * `completed`, then delete the spool and the manifest.
   */
  async finalize(totalBytes: number): Promise<ArchiveResult> {
    const m = this.manifest;
    for (;;) {
      if (m.parts.length === 0 && (totalBytes === 0 || totalBytes <= m.partBytes)) {
        await this.putWhole(totalBytes);
        break;
      }
      while (this.uploaded < totalBytes) {
        await this.uploadNextPart(Math.min(this.nextPartBytes(), totalBytes - this.uploaded));
      }
      if (this.uploaded > totalBytes) {
        // Only reachable if the spool was cut below uploaded parts (recovery repairs do that
        // before calling here); start over rather than complete an object that is too long.
        await this.restart('uploaded parts extend past the end of the spool');
        continue;
      }
      if (await this.complete()) break;
    }
    m.state = 'completed';
    await this.persist();
    await this.removeFiles();
    const parts = m.parts.length;
    this.options.logger.info(
      { archiveId: m.id, bucket: m.bucket, objectKey: m.key, bytes: totalBytes, parts },
      'archive: object stored',
    );
    return { bucket: m.bucket, key: m.key, bytes: totalBytes, parts };
  }

  /** Forget every uploaded part and start a new multipart upload from byte 0. */
  async restart(reason: string): Promise<void> {
    const m = this.manifest;
    const old = m.uploadId;
    this.options.logger.warn(
      { archiveId: m.id, bucket: m.bucket, objectKey: m.key, partsDropped: m.parts.length },
      `archive: restarting the upload from byte 0: ${reason}`,
    );
    m.uploadId = null;
    m.parts = [];
    this.uploaded = 0;
    this.recordedParts = 0;
    await this.persist();
    if (old !== null) await this.abortUpload(old);
  }

  /**
   * One AbortMultipartUpload attempt; failures are only logged (a bucket lifecycle rule for
   * incomplete uploads is the backstop; s3rver answers 405 to this call).
   */
  async abortUpload(uploadId: string): Promise<void> {
    const m = this.manifest;
    try {
      await this.options.s3.send(new AbortMultipartUploadCommand({ Bucket: m.bucket, Key: m.key, UploadId: uploadId }));
    } catch (err) {
      this.options.logger.warn(
        { archiveId: m.id, bucket: m.bucket, objectKey: m.key, err: safeErrorInfo(err) },
        'archive: could not abort a multipart upload (left to the bucket lifecycle rule)',
      );
    }
  }

  /** Delete the spool, then the manifest (a manifest without its spool is never left `writing`). */
  async removeFiles(): Promise<void> {
    await this.persisting;
    await rm(this.spoolFile, { force: true });
    await rm(manifestPath(this.options.spoolDir, this.manifest.id), { force: true });
  }

  private async ensureUpload(): Promise<string> {
    const m = this.manifest;
    if (m.uploadId !== null) return m.uploadId;
    const res = await this.withRetry('CreateMultipartUpload', (signal) =>
      this.options.s3.send(
        new CreateMultipartUploadCommand({ Bucket: m.bucket, Key: m.key, ContentType: m.contentType }),
        { abortSignal: signal },
      ),
    );
    if (res.UploadId === undefined) throw new Error('CreateMultipartUpload answered without an UploadId');
    m.uploadId = res.UploadId;
    await this.persist();
    return res.UploadId;
  }

  private async putWhole(totalBytes: number): Promise<void> {
    const m = this.manifest;
    this.inFlight++;
    try {
      await this.withRetry('PutObject', async (signal) => {
        const body = totalBytes > 0 ? createReadStream(this.spoolFile, { start: 0, end: totalBytes - 1 }) : new Uint8Array(0);
        try {
          await this.options.s3.send(
            new PutObjectCommand({ Bucket: m.bucket, Key: m.key, Body: body, ContentLength: totalBytes, ContentType: m.contentType }),
            { abortSignal: signal },
          );
        } finally {
          if (!(body instanceof Uint8Array)) body.destroy();
        }
      });
    } finally {
      this.inFlight--;
    }
    this.uploaded = totalBytes;
    if (m.uploadId !== null) {
      const stale = m.uploadId;
      m.uploadId = null;
      await this.persist();
      await this.abortUpload(stale);
    }
  }

  /** True when completed; false when the upload had to be restarted (the caller loops). */
  private async complete(): Promise<boolean> {
    const m = this.manifest;
    const uploadId = m.uploadId;
    if (uploadId === null) throw new Error('complete() without a multipart upload');
    let serverFailures = 0;
    const giveUp = (err: unknown): boolean => {
      if (isNoSuchUpload(err)) return true;
      serverFailures = isServiceResponse(err) ? serverFailures + 1 : 0;
      return serverFailures >= COMPLETE_FAILURES_BEFORE_RESTART;
    };
    try {
      await this.withRetry(
        'CompleteMultipartUpload',
        (signal) =>
          this.options.s3.send(
            new CompleteMultipartUploadCommand({
              Bucket: m.bucket,
              Key: m.key,
              UploadId: uploadId,
              MultipartUpload: { Parts: m.parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
            }),
            { abortSignal: signal },
          ),
        {},
        giveUp,
      );
      return true;
    } catch (err) {
      if (this.options.signal.aborted) throw err;
      if (isNoSuchUpload(err) || serverFailures >= COMPLETE_FAILURES_BEFORE_RESTART) {
        await this.restart(`CompleteMultipartUpload failed (${safeErrorInfo(err).name})`);
        return false;
      }
      throw err;
    }
  }

  private async withRetry<T>(
    operation: string,
    op: (signal: AbortSignal) => Promise<T>,
    fields: object = {},
    giveUp?: (err: unknown, failures: number) => boolean,
  ): Promise<T> {
    const m = this.manifest;
    try {
      return await retryUntilAborted(op, {
        signal: this.options.signal,
        retry: this.options.retry,
        onFailure: (failures, delayMs, err) => {
          this.failing = true;
          this.options.logger.warn(
            { archiveId: m.id, bucket: m.bucket, objectKey: m.key, operation, ...fields, failures, delayMs: Math.round(delayMs), err: safeErrorInfo(err) },
            'archive: S3 call failed; retrying',
          );
        },
        onRecovered: (failures) => {
          this.options.logger.info({ archiveId: m.id, operation, ...fields, failures }, 'archive: S3 call succeeded after retries');
        },
        ...(giveUp !== undefined ? { giveUp } : {}),
      });
    } finally {
      this.failing = false;
    }
  }
}
