import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_PART_BYTES, SessionArchive, createS3Client } from '@headwater/archive';
import { startS3Server, type S3Server } from '@headwater/testkit';
import { MAX_LAG_MARKS, archiveMonitor, type ArchiveSource, type ArchiveStatsSample } from './archive-monitor.js';
import { createMetrics } from './create-metrics.js';
import { parseExposition, value, type Sample } from './testing/exposition.js';

function setup() {
  const clock = { now: 1_000_000 };
  const m = createMetrics({ nodeId: 'ingest-1', defaultMetrics: false, nowMs: () => clock.now });
  const monitor = archiveMonitor(m);
  const scrape = async (): Promise<Sample[]> => parseExposition(await m.registry.metrics());
  return { clock, monitor, scrape };
}

/** An archive whose stats the test sets. */
function source(id: string, st: Partial<ArchiveStatsSample>): ArchiveSource & { st: ArchiveStatsSample } {
  const s = { st: { writtenBytes: 0, spooledBytes: 0, uploadedBytes: 0, retrying: false, ...st }, id, stats: () => s.st };
  return s;
}

async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('archiveMonitor', () => {
  it('sums spool and lag bytes, takes the worst lag age, counts retries', async () => {
    const { clock, monitor, scrape } = setup();
    const a = source('a', { writtenBytes: 100, spooledBytes: 90, uploadedBytes: 0 });
    const b = source('b', { writtenBytes: 50, spooledBytes: 50, uploadedBytes: 50, retrying: true });
    monitor.sampleArchives([a, b]);
    let all = await scrape();
    expect(value(all, 'headwater_archive_sessions')).toBe(2);
    expect(value(all, 'headwater_archive_spool_bytes')).toBe(140);
    expect(value(all, 'headwater_archive_upload_lag_bytes')).toBe(100);
    expect(value(all, 'headwater_archive_upload_lag_seconds')).toBe(0);
    expect(value(all, 'headwater_archive_uploads_retrying')).toBe(1);

    // a's first 100 bytes stay pending: they have waited at least since the first look.
    clock.now += 5000;
    a.st = { ...a.st, writtenBytes: 300, spooledBytes: 300 };
    monitor.sampleArchives([a, b]);
    all = await scrape();
    expect(value(all, 'headwater_archive_upload_lag_seconds')).toBe(5);
    expect(value(all, 'headwater_archive_upload_lag_bytes')).toBe(300);

    // The first 100 go up: the oldest pending byte (#100) was written after the first look.
    clock.now += 3000;
    a.st = { ...a.st, uploadedBytes: 100 };
    monitor.sampleArchives([a, b]);
    expect(value(await scrape(), 'headwater_archive_upload_lag_seconds')).toBe(8);
    // Byte #300 was not written at the second look (t+5 s): pending since then at most.
    clock.now += 1000;
    a.st = { ...a.st, writtenBytes: 400, uploadedBytes: 300 };
    monitor.sampleArchives([a, b]);
    expect(value(await scrape(), 'headwater_archive_upload_lag_seconds')).toBe(4);
    a.st = { ...a.st, uploadedBytes: 400 };
    monitor.sampleArchives([a]);
    all = await scrape();
    expect(value(all, 'headwater_archive_upload_lag_seconds')).toBe(0);
    expect(value(all, 'headwater_archive_sessions')).toBe(1);
    monitor.sampleArchives([]);
    all = await scrape();
    expect(value(all, 'headwater_archive_sessions')).toBe(0);
    expect(value(all, 'headwater_archive_spool_bytes')).toBe(0);
  });

  it('keeps bounded marks through a long outage and never underestimates the lag', async () => {
    const { clock, monitor, scrape } = setup();
    const start = clock.now;
    const a = source('a', {});
    const samples = 3 * MAX_LAG_MARKS;
    for (let i = 0; i < samples; i++) {
      a.st = { ...a.st, writtenBytes: (i + 1) * 1000, spooledBytes: (i + 1) * 1000 };
      monitor.sampleArchives([a]);
      clock.now += 1000;
    }
    // Nothing uploaded: the whole outage, up to the last sample.
    expect(value(await scrape(), 'headwater_archive_upload_lag_seconds')).toBe(samples - 1);
    // Half uploaded: byte #(samples/2 * 1000) first appeared at sample samples/2.
    const half = (samples / 2) * 1000;
    a.st = { ...a.st, uploadedBytes: half };
    monitor.sampleArchives([a]);
    const trueAgeS = (clock.now - (start + (samples / 2) * 1000)) / 1000;
    const lag = value(await scrape(), 'headwater_archive_upload_lag_seconds') ?? -1;
    expect(lag).toBeGreaterThanOrEqual(trueAgeS);
    expect(lag).toBeLessThanOrEqual(trueAgeS + 8); // thinned twice: marks 4 s apart at worst
  });

  describe('with a real SessionArchive and s3rver', () => {
    let server: S3Server;
    let s3: S3Client;
    let spoolDir: string;
    beforeAll(async () => {
      server = await startS3Server({ buckets: ['metrics-archive'] });
      s3 = createS3Client(server);
      spoolDir = await mkdtemp(path.join(tmpdir(), 'headwater-metrics-spool-'));
    });
    afterAll(async () => {
      s3?.destroy();
      await server?.stop();
      await rm(spoolDir, { recursive: true, force: true });
    });

    it('reports spool, lag and retries from stats()', async () => {
      const { clock, monitor, scrape } = setup();
      const archive = await SessionArchive.create({ spoolDir, s3, bucket: 'metrics-archive', key: 'archives/ch/s.flv', partBytes: MIN_PART_BYTES, retry: { initialDelayMs: 20, maxDelayMs: 100 } });
      const archives = new Set<ArchiveSource>([archive]);
      const chunk = randomBytes(MIN_PART_BYTES + 1024 * 1024);
      archive.write(chunk);
      await until(() => archive.stats().uploadedBytes === MIN_PART_BYTES, 'first part uploaded');
      monitor.sampleArchives(archives);
      let all = await scrape();
      expect(value(all, 'headwater_archive_sessions')).toBe(1);
      expect(value(all, 'headwater_archive_spool_bytes')).toBe(chunk.length);
      expect(value(all, 'headwater_archive_upload_lag_bytes')).toBe(1024 * 1024);
      clock.now += 4000;
      monitor.sampleArchives(archives);
      expect(value(await scrape(), 'headwater_archive_upload_lag_seconds')).toBe(4);

      await server.pause();
      try {
        archive.write(randomBytes(MIN_PART_BYTES));
        await until(() => archive.stats().retrying, 'upload retrying');
        monitor.sampleArchives(archives);
        all = await scrape();
        expect(value(all, 'headwater_archive_uploads_retrying')).toBe(1);
        expect(value(all, 'headwater_archive_upload_lag_bytes')).toBe(1024 * 1024 + MIN_PART_BYTES);
      } finally {
        await server.restart();
      }
      const finishing = archive.finish();
      monitor.sampleArchives(archives); // still live while it finishes
      expect(value(await scrape(), 'headwater_archive_sessions')).toBe(1);
      await finishing;
      archives.delete(archive);
      monitor.sampleArchives(archives);
      all = await scrape();
      expect(value(all, 'headwater_archive_sessions')).toBe(0);
      expect(value(all, 'headwater_archive_upload_lag_bytes')).toBe(0);
    });
  });
});
