import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ArchiveError, ArchiveErrorCode } from './archive-error.js';

/**
 * Where a session is in its life, as recorded on disk:
 * - `writing`: the spool may still grow; after a crash its tail may be a torn write (recovery repairs it);
 * - `finished`: `finish()` flushed the whole stream; `bytes` is final;
 * - `completed`: the object exists in S3; only the local files remain to be deleted.
 */
export type ArchiveState = 'writing' | 'finished' | 'completed';

/** One uploaded part. Parts are contiguous from byte 0 in part-number order. */
export interface ManifestPart {
  partNumber: number;
  etag: string;
  bytes: number;
}

/** The `<id>.json` file kept beside `<id>.spool`; rewritten atomically (temp + rename) at each step. */
export interface ArchiveManifest {
  version: 1;
  id: string;
  bucket: string;
  /** Object key (chosen by the caller; never holds a stream key). */
  key: string;
  /** Content-Type the object is stored with. */
  contentType: string;
  /** Size of the first parts; see `partBytesFor`. */
  partBytes: number;
  state: ArchiveState;
  /** Final length of the spool once `finished`; null while `writing`. */
  bytes: number | null;
  /** The multipart upload in progress, or null before the first part (and for single PutObject). */
  uploadId: string | null;
  parts: ManifestPart[];
  createdAt: string;
}

export const MANIFEST_SUFFIX = '.json';
export const SPOOL_SUFFIX = '.spool';
const TEMP_SUFFIX = '.tmp';

export function manifestPath(spoolDir: string, id: string): string {
  return path.join(spoolDir, `${id}${MANIFEST_SUFFIX}`);
}

export function spoolPath(spoolDir: string, id: string): string {
  return path.join(spoolDir, `${id}${SPOOL_SUFFIX}`);
}

/** Write `manifest` so that a crash leaves either the old or the new file, never a torn one. */
export async function writeManifest(spoolDir: string, manifest: ArchiveManifest): Promise<void> {
  const target = manifestPath(spoolDir, manifest.id);
  const temp = `${target}${TEMP_SUFFIX}`;
  await writeFile(temp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(temp, target);
}

export async function readManifest(file: string): Promise<ArchiveManifest> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ArchiveError(ArchiveErrorCode.BadManifest, `${path.basename(file)}: ${(err as Error).message}`);
  }
  if (!isManifest(value)) {
    throw new ArchiveError(ArchiveErrorCode.BadManifest, `${path.basename(file)}: not an archive manifest`);
  }
  return value;
}

const STATES: readonly string[] = ['writing', 'finished', 'completed'] satisfies ArchiveState[];

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isManifest(v: unknown): v is ArchiveManifest {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    m['version'] === 1 &&
    typeof m['id'] === 'string' &&
    typeof m['bucket'] === 'string' &&
    typeof m['key'] === 'string' &&
    typeof m['contentType'] === 'string' &&
    isCount(m['partBytes']) &&
    typeof m['state'] === 'string' &&
    STATES.includes(m['state']) &&
    (m['bytes'] === null || isCount(m['bytes'])) &&
    (m['uploadId'] === null || typeof m['uploadId'] === 'string') &&
    typeof m['createdAt'] === 'string' &&
    Array.isArray(m['parts']) &&
    m['parts'].every(
      (p: unknown, i: number) =>
        typeof p === 'object' &&
        p !== null &&
        (p as ManifestPart).partNumber === i + 1 &&
        typeof (p as ManifestPart).etag === 'string' &&
        isCount((p as ManifestPart).bytes),
    )
  );
}
