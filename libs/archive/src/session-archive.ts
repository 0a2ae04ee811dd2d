import { randomUUID } from 'node:crypto';
import { open } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { ArchiveError, ArchiveErrorCode } from './archive-error.js';
import { silentArchiveLogger } from './archive-logger.js';
import type { ArchiveLogger, ArchiveResult } from './archive-logger.js';
import { spoolPath } from './archive-manifest.js';
import type { ArchiveManifest } from './archive-manifest.js';
import { ArchiveUploader } from './archive-uploader.js';
import { markLive, unmarkLive } from './live-archives.js';
import { DEFAULT_PART_BYTES, MAX_PART_BYTES, MIN_PART_BYTES } from './part-plan.js';
import type { RetryOptions } from './retry.js';
import { safeErrorInfo } from './safe-error.js';
import { SPOOL_FLUSH_BYTES, SpoolWriter } from './spool-writer.js';

/**
 * Default memory for staging spool writes, per session: two halves of {@link SPOOL_FLUSH_BYTES}
 * (one filling while the other is written).
 */
export const DEFAULT_BUFFER_BYTES = 2 * SPOOL_FLUSH_BYTES;
export const MIN_BUFFER_BYTES = 4 * 1024;
export const MAX_BUFFER_BYTES = 64 * 1024 * 1024;
/** Parts uploaded at once per session: one, streamed from the spool file. */
export const MAX_PARTS_IN_FLIGHT = 1;

const ID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export interface SessionArchiveOptions {
  /** Local directory for `<id>.spool` and `<id>.json` (created if missing). */
  spoolDir: string;
  s3: S3Client;
  bucket: string;
  /** Object key, chosen by the caller; it must never contain a stream key. */
  key: string;
  /** Size of the first parts (doubles every 1,000 parts). Minimum 5 MiB (S3's floor). @defaultValue 8 MiB */
  partBytes?: number;
  /**
   * Memory for staging spool writes; a session never holds more than this in memory (two halves:
   * one filling while the other is written). @defaultValue 128 KiB
   */
  bufferBytes?: number;
  /** Stored as the object's Content-Type. @defaultValue 'application/octet-stream' */
  contentType?: string;
  /** Spool file base name. @defaultValue a random UUID */
  id?: string;
  /** Backoff for S3 calls (retried until the session ends). */
  retry?: RetryOptions;
  logger?: ArchiveLogger;
}

/**
 * `open`: accepting writes; `finishing`: `finish()` running; `completed`: object stored, files gone;
 * `aborted`: discarded; `closed`: left on disk for `recoverArchives`; `failed`: the spool could not
 * be written (what reached it stays on disk for `recoverArchives`).
 */
export type SessionArchiveState = 'open' | 'finishing' | 'completed' | 'aborted' | 'closed' | 'failed';

/** A snapshot for metrics and tests. */
export interface ArchiveStats {
  state: SessionArchiveState;
  /** Bytes accepted by `write()` (dropped ones excluded). */
  writtenBytes: number;
  /** Bytes in memory not yet in the spool file; at most bufferBytes. */
  bufferedBytes: number;
  /** Contiguous bytes in the spool file. */
  spooledBytes: number;
  /** Write calls made to the spool file so far (`spooledBytes / spoolWrites`: bytes per syscall). */
  spoolWrites: number;
  /** Bytes in parts S3 has acknowledged (all bytes once completed). */
  uploadedBytes: number;
  /** `writtenBytes - uploadedBytes`: what a crash would leave to `recoverArchives`. */
  lagBytes: number;
  partsUploaded: number;
  /** 0 or 1 (see {@link MAX_PARTS_IN_FLIGHT}). */
  partsInFlight: number;
  /** The current S3 call failed and waits for its next attempt. */
  retrying: boolean;
  /** Bytes dropped because the spool file could not be written. */
  droppedBytes: number;
}

/**
 * The archive of one publish session: bytes go to a local spool file at once and to S3 as a
 * multipart upload in the background, so a slow or absent S3 never slows the stream and never
 * costs memory (the spool grows instead, and the upload catches up when S3 returns).
 *
 * Every step is recorded in `<id>.json` beside the spool; after a crash `recoverArchives`
 * completes the object from there.
 *
 * Crash semantics: every byte written to the spool file survives a crash of the process (SIGKILL)
 * and is recovered; nothing is fsynced, so a crash of the machine may lose what the OS had not
 * written back yet. Writes to the spool are coalesced: a syscall once {@link SPOOL_FLUSH_BYTES}
 * are staged, or `SPOOL_FLUSH_DELAY_MS` (200 ms) after the first staged byte. So the last bytes
 * accepted by `write()` (at most `bufferBytes`, normally under 200 ms old; older only while the
 * disk is slower than the stream) are only in memory and are lost on SIGKILL; `stats()` tells
 * them apart (`writtenBytes - spooledBytes`). `finish()`, `close()` and `abort()` write them first.
 */
export class SessionArchive {
  private state: SessionArchiveState = 'open';
  private pumping: Promise<void> | null = null;
  /** The background uploader hit a non-S3 error; finish() still tries from the manifest. */
  private uploaderStopped = false;
  private finishing: Promise<ArchiveResult> | null = null;
  private readonly stop = new AbortController();
  private readonly uploader: ArchiveUploader;
  private readonly writer: SpoolWriter;
  private readonly logger: ArchiveLogger;

  private constructor(
    private readonly options: SessionArchiveOptions,
    manifest: ArchiveManifest,
    fd: number,
    bufferBytes: number,
  ) {
    this.logger = options.logger ?? silentArchiveLogger;
    this.uploader = new ArchiveUploader({
      s3: options.s3,
      spoolDir: options.spoolDir,
      manifest,
      logger: this.logger,
      retry: options.retry ?? {},
      signal: this.stop.signal,
    });
    this.writer = new SpoolWriter(
      fd,
      bufferBytes,
      () => this.kick(),
      (err) => this.onSpoolError(err),
    );
  }

  /** Create the spool file and its manifest. Never talks to S3 (which may be down). */
  static async create(options: SessionArchiveOptions): Promise<SessionArchive> {
    const partBytes = options.partBytes ?? DEFAULT_PART_BYTES;
    checkRange('partBytes', partBytes, MIN_PART_BYTES, MAX_PART_BYTES);
    const bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    checkRange('bufferBytes', bufferBytes, MIN_BUFFER_BYTES, MAX_BUFFER_BYTES);
    const id = options.id ?? randomUUID();
    if (!ID_PATTERN.test(id)) throw new ArchiveError(ArchiveErrorCode.BadOption, 'id must be 1-128 of [A-Za-z0-9._-], not starting with a dot');
    if (options.bucket === '' || options.key === '') throw new ArchiveError(ArchiveErrorCode.BadOption, 'bucket and key must not be empty');

    await mkdir(options.spoolDir, { recursive: true });
    const file = spoolPath(options.spoolDir, id);
    // 'wx': never reuse a spool that another session (or a crash awaiting recovery) owns.
    // A plain fd, not a FileHandle: a FileHandle closes its fd when garbage-collected.
    const fd = await new Promise<number>((resolve, reject) => open(file, 'wx', (err, n) => (err ? reject(err) : resolve(n))));
    const manifest: ArchiveManifest = {
      version: 1,
      id,
      bucket: options.bucket,
      key: options.key,
      contentType: options.contentType ?? 'application/octet-stream',
      partBytes,
      state: 'writing',
      bytes: null,
      uploadId: null,
      parts: [],
      createdAt: new Date().toISOString(),
    };
    const archive = new SessionArchive(options, manifest, fd, bufferBytes);
    try {
      await archive.uploader.persist();
    } catch (err) {
      await archive.writer.close().catch(() => undefined);
      throw err;
    }
    markLive(file);
    return archive;
  }

  /** Spool file base name (also the manifest's). */
  get id(): string {
    return this.uploader.manifest.id;
  }

  get bucket(): string {
    return this.options.bucket;
  }

  get key(): string {
    return this.options.key;
  }

  /** Absolute or relative path of the spool file, as given by `spoolDir`. */
  get spoolPath(): string {
    return spoolPath(this.options.spoolDir, this.id);
  }

  /**
   * Append bytes. Synchronous and cheap: copies into the staging buffer (the pieces of an array
   * one after the other, not joined first); never waits for S3 and never throws because of it.
   * Waits for the local disk only if it is a whole buffer behind. Throws {@link ArchiveError}
   * `archive-closed` after finish/abort/close. After a spool failure the bytes are dropped (see
   * `stats().droppedBytes`).
   */
  write(chunks: Uint8Array | readonly Uint8Array[]): void {
    if (this.state !== 'open' && this.state !== 'failed') {
      throw new ArchiveError(ArchiveErrorCode.Closed, `archive ${this.id} is ${this.state}`);
    }
    this.writer.append(chunks);
  }

  stats(): ArchiveStats {
    const written = this.writer.acceptedBytes;
    const uploaded = this.state === 'completed' ? written : this.uploader.uploadedBytes;
    return {
      state: this.state,
      writtenBytes: written,
      bufferedBytes: this.writer.bufferedBytes,
      spooledBytes: this.writer.durableBytes,
      spoolWrites: this.writer.writes,
      uploadedBytes: uploaded,
      lagBytes: written - uploaded,
      partsUploaded: this.uploader.partsUploaded,
      partsInFlight: this.uploader.partsInFlight,
      retrying: this.uploader.retrying,
      droppedBytes: this.writer.droppedBytes,
    };
  }

  /**
   * End of stream: flush the spool, upload what is left (the last part may be under 5 MiB; a
   * session under one part is a single PutObject), complete the upload, delete the local files.
   * Waits (retrying) as long as S3 is unreachable; `close()` or `abort()` end the wait.
   * Rejects with `archive-aborted`/`archive-closed` if ended that way, `spool-failed` after a
   * spool write error.
   */
  finish(): Promise<ArchiveResult> {
    if (this.finishing !== null) return this.finishing;
    if (this.state === 'failed') {
      return Promise.reject(new ArchiveError(ArchiveErrorCode.SpoolFailed, `archive ${this.id}: the spool file could not be written`));
    }
    if (this.state !== 'open') return Promise.reject(new ArchiveError(ArchiveErrorCode.Closed, `archive ${this.id} is ${this.state}`));
    this.state = 'finishing';
    this.finishing = this.runFinish();
    return this.finishing;
  }

  /**
   * Discard the session: stop uploading, abort the multipart upload (best effort), delete the
   * spool and manifest. A pending `finish()` rejects with `archive-aborted`.
   */
  async abort(): Promise<void> {
    if (this.state === 'aborted' || this.state === 'completed' || this.state === 'closed') return;
    this.state = 'aborted';
    this.stop.abort(new ArchiveError(ArchiveErrorCode.Aborted, `archive ${this.id} aborted`));
    await this.settle();
    const uploadId = this.uploader.manifest.uploadId;
    if (uploadId !== null) await this.uploader.abortUpload(uploadId);
    await this.uploader.removeFiles();
    unmarkLive(this.spoolPath);
    this.logger.info({ archiveId: this.id, bucket: this.bucket, objectKey: this.key }, 'archive: aborted');
  }

  /**
   * Stop without completing and keep the spool and manifest for `recoverArchives` (e.g. shutting
   * down while S3 is unreachable). Everything written so far is flushed to the spool first.
   * A pending `finish()` rejects with `archive-closed`.
   */
  async close(): Promise<void> {
    if (this.state === 'aborted' || this.state === 'completed' || this.state === 'closed') return;
    const wasFailed = this.state === 'failed';
    this.state = 'closed';
    this.stop.abort(new ArchiveError(ArchiveErrorCode.Closed, `archive ${this.id} closed`));
    await this.settle();
    const m = this.uploader.manifest;
    if (!wasFailed && this.writer.failed === null && m.state === 'writing') {
      // The spool holds the whole stream and no torn tail: recovery must not "repair" it.
      m.state = 'finished';
      m.bytes = this.writer.durableBytes;
      await this.uploader.persist();
    }
    unmarkLive(this.spoolPath);
    this.logger.info({ archiveId: this.id, bucket: this.bucket, objectKey: this.key, lagBytes: this.stats().lagBytes }, 'archive: closed; left for recovery');
  }

  private async runFinish(): Promise<ArchiveResult> {
    try {
      await this.writer.close();
      await this.pumping;
      this.stop.signal.throwIfAborted();
      const m = this.uploader.manifest;
      const total = this.writer.durableBytes;
      m.state = 'finished';
      m.bytes = total;
      await this.uploader.persist();
      const result = await this.uploader.finalize(total);
      if (this.state === 'finishing') this.state = 'completed';
      unmarkLive(this.spoolPath);
      return result;
    } catch (err) {
      if (this.stop.signal.aborted) throw this.stop.signal.reason as Error;
      this.state = 'failed';
      if (err instanceof ArchiveError) throw err;
      // Local I/O (spool or manifest): S3 trouble never gets here, it is retried.
      throw new ArchiveError(ArchiveErrorCode.SpoolFailed, `archive ${this.id}: local spool I/O failed: ${safeErrorInfo(this.writer.failed ?? err).message}`);
    }
  }

  /** Let the writer flush and any upload or finish stop; never rejects. */
  private async settle(): Promise<void> {
    await this.writer.close().catch(() => undefined);
    await this.pumping;
    await this.finishing?.catch(() => undefined);
  }

  /** Start the background uploader if a full part is spooled and none is running. */
  private kick(): void {
    if (this.pumping !== null || this.state !== 'open' || this.uploaderStopped) return;
    if (this.writer.durableBytes - this.uploader.uploadedBytes < this.uploader.nextPartBytes()) return;
    this.pumping = this.pump()
      .catch((err: unknown) => this.onUploaderError(err))
      .finally(() => {
        this.pumping = null;
        this.kick();
      });
  }

  private async pump(): Promise<void> {
    while (this.state === 'open' && this.writer.durableBytes - this.uploader.uploadedBytes >= this.uploader.nextPartBytes()) {
      await this.uploader.uploadNextPart(this.uploader.nextPartBytes());
    }
  }

  private onUploaderError(err: unknown): void {
    if (this.stop.signal.aborted) return;
    this.uploaderStopped = true;
    // Not S3 trouble (that is retried forever): a manifest write failed or the part limit was hit.
    // The spool keeps growing; finish() retries the upload from the manifest.
    this.logger.error({ archiveId: this.id, bucket: this.bucket, objectKey: this.key, err: safeErrorInfo(err) }, 'archive: background upload stopped');
  }

  private onSpoolError(err: Error): void {
    if (this.state === 'open') this.state = 'failed';
    this.logger.error(
      { archiveId: this.id, bucket: this.bucket, objectKey: this.key, spooledBytes: this.writer.durableBytes, err: safeErrorInfo(err) },
      'archive: spool write failed; later bytes are dropped, the spooled prefix is kept for recovery',
    );
  }
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ArchiveError(ArchiveErrorCode.BadOption, `${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}
