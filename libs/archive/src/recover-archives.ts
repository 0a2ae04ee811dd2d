import { readdir, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { silentArchiveLogger } from './archive-logger.js';
import type { ArchiveLogger, ArchiveResult } from './archive-logger.js';
import { MANIFEST_SUFFIX, manifestPath, readManifest, spoolPath, writeManifest } from './archive-manifest.js';
import type { ArchiveManifest } from './archive-manifest.js';
import { ArchiveUploader } from './archive-uploader.js';
import { isLive } from './live-archives.js';
import type { RetryOptions } from './retry.js';
import { safeErrorInfo } from './safe-error.js';

export interface RecoverArchivesOptions {
  spoolDir: string;
  s3: S3Client;
  logger?: ArchiveLogger;
  /**
   * Length of the valid prefix of a spool whose session did not end cleanly (manifest still
   * `writing`: the process died mid-write, so the tail may be a torn record). The spool is cut to
   * that length before upload. The ingest passes an FLV-aware one (last whole tag). Without it the
   * whole file is kept.
   */
  repair?: (spoolFile: string) => Promise<number>;
  retry?: RetryOptions;
  /** Stop waiting for S3; unfinished archives stay on disk for the next run. */
  signal?: AbortSignal;
}

/**
 * Complete every archive left in `spoolDir` by an earlier process (crash, kill, `close()`):
 * upload the parts still missing (restarting from byte 0 if S3 forgot the multipart upload),
 * complete the object, delete the local files. Archives are done one after another; S3 calls are
 * retried until `signal` aborts. Spools of live sessions of this process are skipped; two
 * processes must not share a spool directory.
 *
 * Resolves with the archives stored (including ones whose object was already complete and only
 * needed their files removed). Manifests that cannot be read, and spools missing their data, are
 * logged and left in place.
 */
export async function recoverArchives(options: RecoverArchivesOptions): Promise<ArchiveResult[]> {
  const logger = options.logger ?? silentArchiveLogger;
  let names: string[];
  try {
    names = await readdir(options.spoolDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  // A function, not a narrowed expression: the signal may abort during any await below.
  const aborted = (): boolean => options.signal?.aborted === true;
  const results: ArchiveResult[] = [];
  for (const name of names.filter((n) => n.endsWith(MANIFEST_SUFFIX)).sort()) {
    if (aborted()) break;
    const file = path.join(options.spoolDir, name);
    let manifest: ArchiveManifest;
    try {
      manifest = await readManifest(file);
    } catch (err) {
      logger.error({ manifest: name, err: safeErrorInfo(err) }, 'archive recovery: unreadable manifest left in place');
      continue;
    }
    if (manifestPath(options.spoolDir, manifest.id) !== file) {
      logger.error({ manifest: name }, 'archive recovery: manifest id does not match its file name; left in place');
      continue;
    }
    if (isLive(spoolPath(options.spoolDir, manifest.id))) continue;
    try {
      const result = await recoverOne(manifest, options, logger);
      if (result !== null) results.push(result);
    } catch (err) {
      if (aborted()) break;
      logger.error({ archiveId: manifest.id, bucket: manifest.bucket, objectKey: manifest.key, err: safeErrorInfo(err) }, 'archive recovery failed; left in place');
    }
  }
  return results;
}

async function recoverOne(manifest: ArchiveManifest, options: RecoverArchivesOptions, logger: ArchiveLogger): Promise<ArchiveResult | null> {
  const fields = { archiveId: manifest.id, bucket: manifest.bucket, objectKey: manifest.key };
  const file = spoolPath(options.spoolDir, manifest.id);
  const uploader = (): ArchiveUploader =>
    new ArchiveUploader({
      s3: options.s3,
      spoolDir: options.spoolDir,
      manifest,
      logger,
      retry: options.retry ?? {},
      signal: options.signal ?? new AbortController().signal,
    });

  if (manifest.state === 'completed') {
    // Crashed between completing the object and deleting the files.
    await uploader().removeFiles();
    return { bucket: manifest.bucket, key: manifest.key, bytes: manifest.bytes ?? 0, parts: manifest.parts.length };
  }

  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    logger.error({ ...fields, err: safeErrorInfo(err) }, 'archive recovery: spool file missing; manifest left in place');
    return null;
  }

  let total: number;
  if (manifest.state === 'finished' && manifest.bytes !== null) {
    if (size < manifest.bytes) {
      logger.error({ ...fields, spoolBytes: size, expectedBytes: manifest.bytes }, 'archive recovery: spool shorter than recorded; left in place');
      return null;
    }
    total = manifest.bytes;
  } else {
    total = size;
    if (options.repair !== undefined) {
      const valid = await options.repair(file);
      if (Number.isSafeInteger(valid) && valid >= 0 && valid < size) {
        await truncate(file, valid);
        total = valid;
        logger.warn({ ...fields, spoolBytes: size, keptBytes: valid }, 'archive recovery: cut a torn tail off the spool');
      }
    }
    // Parts reaching past the kept length hold cut bytes: drop them (and re-upload from there).
    let end = 0;
    const firstBad = manifest.parts.findIndex((p) => (end += p.bytes) > total);
    if (firstBad !== -1) manifest.parts = manifest.parts.slice(0, firstBad);
    manifest.state = 'finished';
    manifest.bytes = total;
    await writeManifest(options.spoolDir, manifest);
  }

  logger.info({ ...fields, bytes: total, partsDone: manifest.parts.length }, 'archive recovery: completing');
  return uploader().finalize(total);
}
