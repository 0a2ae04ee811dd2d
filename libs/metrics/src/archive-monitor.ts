import type { Metrics } from './create-metrics.js';
import { sourcesOf } from './metric-sources.js';

/**
 * What the monitor reads of an archive: the fields of @headwater/archive's `ArchiveStats` it
 * needs (`SessionArchive` satisfies {@link ArchiveSource} as it is).
 */
export interface ArchiveStatsSample {
  /** Bytes accepted by write(). */
  writtenBytes: number;
  /** Bytes in the spool file. */
  spooledBytes: number;
  /** Bytes S3 has acknowledged. */
  uploadedBytes: number;
  /** The current S3 call failed and waits for its next attempt. */
  retrying: boolean;
}

/** A live archive: an id stable for its life and its stats. */
export interface ArchiveSource {
  readonly id: string;
  stats(): ArchiveStatsSample;
}

/** Byte marks kept per archive for the lag estimate; thinned (every other one dropped) beyond this. */
export const MAX_LAG_MARKS = 256;

interface Mark {
  atMs: number;
  writtenBytes: number;
}

/** The archive adapter: call {@link ArchiveMonitor.sampleArchives} every few seconds. */
export interface ArchiveMonitor {
  /**
   * Sets the archive gauges from the archives live now (being written, or finishing their
   * upload): their count, spool bytes, bytes not yet in S3, the upload lag in seconds (worst
   * archive) and how many are retrying S3. Archives not listed are forgotten.
   */
  sampleArchives(archives: Iterable<ArchiveSource>): void;
}

/**
 * Archive metrics from successive `stats()` samples. `ArchiveStats` has no clock, so the upload
 * lag in seconds is estimated here: each sample records when `writtenBytes` reached its value;
 * the oldest byte not in S3 (byte number `uploadedBytes`) was written after the last mark at or
 * below it, so its age is at most now minus that mark's time (an overestimate by at most one
 * sampling period; 0 when nothing is pending). Normal operation shows about one part's worth of
 * stream time (parts are uploaded once full); a rising line means S3 is slow or down.
 */
export function archiveMonitor(m: Metrics): ArchiveMonitor {
  const { nowMs } = sourcesOf(m);
  const marks = new Map<string, Mark[]>();

  const lagSeconds = (id: string, st: ArchiveStatsSample, now: number): number => {
    let list = marks.get(id);
    if (list === undefined) {
      // First look: an archive created before us; its bytes' times are unknown, so the first
      // estimate counts from now and grows from here.
      list = [];
      marks.set(id, list);
    }
    const last = list[list.length - 1];
    if (last === undefined || st.writtenBytes > last.writtenBytes) list.push({ atMs: now, writtenBytes: st.writtenBytes });
    // Keep only the newest mark at or below the uploaded offset, and what follows it.
    let keepFrom = 0;
    for (let i = 0; i < list.length; i++) if (list[i]!.writtenBytes <= st.uploadedBytes) keepFrom = i;
    if (keepFrom > 0) list.splice(0, keepFrom);
    if (list.length > MAX_LAG_MARKS) {
      // Thin the middle: the first mark (the estimate) and the newest stay.
      const thinned = list.filter((_, i) => i === 0 || i === list!.length - 1 || i % 2 === 0);
      list.length = 0;
      list.push(...thinned);
    }
    if (st.uploadedBytes >= st.writtenBytes) return 0;
    const head = list[0]!;
    return Math.max(0, now - head.atMs) / 1000;
  };

  return {
    sampleArchives(archives) {
      const now = nowMs();
      const seen = new Set<string>();
      let count = 0;
      let spool = 0;
      let lagBytes = 0;
      let lagS = 0;
      let retrying = 0;
      for (const a of archives) {
        const st = a.stats();
        seen.add(a.id);
        count++;
        spool += st.spooledBytes;
        lagBytes += Math.max(0, st.writtenBytes - st.uploadedBytes);
        lagS = Math.max(lagS, lagSeconds(a.id, st, now));
        if (st.retrying) retrying++;
      }
      for (const id of marks.keys()) if (!seen.has(id)) marks.delete(id);
      m.archive.sessions.set(count);
      m.archive.spoolBytes.set(spool);
      m.archive.uploadLagBytes.set(lagBytes);
      m.archive.uploadLagSeconds.set(lagS);
      m.archive.uploadsRetrying.set(retrying);
    },
  };
}
