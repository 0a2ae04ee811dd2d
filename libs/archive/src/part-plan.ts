/** S3's floor for every part but the last (AWS S3 User Guide, "Multipart upload limits"). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's ceiling for one part. */
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;
/** S3's ceiling for part numbers. */
export const MAX_PARTS = 10_000;
/** Default size of the first parts. */
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
/** Parts per size step: the part size doubles after each step. */
export const PARTS_PER_SIZE_STEP = 1_000;

/**
 * Size of part `partNumber` (1-based) for a session whose first parts are `basePartBytes`.
 * The size doubles every {@link PARTS_PER_SIZE_STEP} parts so that the 10,000-part limit is never
 * what ends an archive: with 8 MiB the first 1,000 parts hold 7.8 GiB, and 10,000 parts hold far
 * more than S3's 5 TiB object limit. Parts are streamed from the spool file, so a larger part costs
 * no memory.
 */
export function partBytesFor(partNumber: number, basePartBytes: number): number {
  const step = Math.floor((partNumber - 1) / PARTS_PER_SIZE_STEP);
  return Math.min(MAX_PART_BYTES, basePartBytes * 2 ** step);
}
