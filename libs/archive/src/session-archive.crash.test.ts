import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startS3Server } from '@headwater/testkit';
import type { S3Server } from '@headwater/testkit';
import { readManifest } from './archive-manifest.js';
import { recoverArchives } from './recover-archives.js';
import { createS3Client } from './s3-client.js';
import type { ArchiveStats } from './session-archive.js';

const MiB = 1024 * 1024;
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = path.resolve(packageDir, '../..');
const childScript = path.join(packageDir, 'fixtures/crash-writer.mjs');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let server: S3Server;
let s3: S3Client;
let work: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  // The child runs the built package, as the product does (no TypeScript loader is installed).
  await promisify(execFile)('npx', ['tsc', '-b', 'libs/archive'], { cwd: repoRoot });
  server = await startS3Server({ buckets: ['crash'] });
  s3 = createS3Client(server);
  work = await mkdtemp(path.join(tmpdir(), 'headwater-crash-'));
}, 120_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  s3?.destroy();
  await server?.stop();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

test('SIGKILL mid-stream: recoverArchives stores exactly the bytes that reached the spool', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'crash-recovery' }));
  const source = randomBytes(48 * MiB);
  const sourceFile = path.join(work, 'source.bin');
  await writeFile(sourceFile, source);
  const spoolDir = path.join(work, 'spool');

  const writer = spawn(process.execPath, [childScript, spoolDir, sourceFile, server.endpoint, 'crash-recovery', 'crashed.flv'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = writer;
  let stderr = '';
  writer.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(writer, 'exit');

  // Kill once at least one part is in S3 and well more than a part is spooled: recovery must then
  // both reuse uploaded parts and upload the rest.
  let last: ArchiveStats | undefined;
  for await (const line of createInterface({ input: writer.stdout })) {
    last = JSON.parse(line) as ArchiveStats;
    if (last.partsUploaded >= 1 && last.spooledBytes >= 13 * MiB) {
      writer.kill('SIGKILL');
      break;
    }
  }
  const [code, signal] = (await exited) as [number | null, string | null];
  expect({ code, signal, stderr }).toMatchObject({ code: null, signal: 'SIGKILL' });
  if (last === undefined) throw new Error('child printed nothing');
  expect(last.spooledBytes).toBeLessThan(source.length); // killed mid-stream

  const spool = await readFile(path.join(spoolDir, 'crashed-session.spool'));
  const manifest = await readManifest(path.join(spoolDir, 'crashed-session.json'));
  expect(manifest.state).toBe('writing');
  expect(manifest.parts.length).toBeGreaterThanOrEqual(1);
  // Everything the child saw as spooled is there, and it is the source's prefix.
  expect(spool.length).toBeGreaterThanOrEqual(last.spooledBytes);
  expect(spool.equals(source.subarray(0, spool.length))).toBe(true);

  const repaired: number[] = [];
  const results = await recoverArchives({
    spoolDir,
    s3,
    retry: { initialDelayMs: 20, maxDelayMs: 200 },
    repair: async (file) => {
      const length = (await readFile(file)).length;
      repaired.push(length);
      return length; // bytes are opaque here; the FLV-aware repair is the ingest's
    },
  });
  expect(repaired).toEqual([spool.length]);
  expect(results).toEqual([{ bucket: 'crash-recovery', key: 'crashed.flv', bytes: spool.length, parts: Math.ceil(spool.length / (5 * MiB)) }]);

  const res = await s3.send(new GetObjectCommand({ Bucket: 'crash-recovery', Key: 'crashed.flv' }));
  const stored = Buffer.from(await res.Body!.transformToByteArray());
  expect(sha256(stored)).toBe(sha256(spool));
  expect(await readdir(spoolDir)).toEqual([]);
}, 60_000);
