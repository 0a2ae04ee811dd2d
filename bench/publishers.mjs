#!/usr/bin/env node
// The load generator, run as its own process so its CPU is never counted against a server.
// It is the project's publisher (`headwater publish` = `publishTags` from @headwater/cli) driving
// one connection per URL, each at the fixture's real-time pace.
//
// Protocol with bench/ingest.mjs (one JSON line each way, URLs on stdin because headwater's
// contain stream keys, which must not show up in `ps`):
//   stdin  → {"fixture": path, "urls": [...], "loops": n}
//   stdout ← {"ready": true, "tags": n, "fixtureMs": ms}   fixture loaded, no connection yet
//   stdin  → go                                  the bench has taken its "before" readings
//   stdout ← {"results": [{ok, bytes, tags, durationMs, error?}, ...]}
import { createInterface } from 'node:readline';
import { publishTags, readFlvTags } from '@headwater/cli';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function nextLine() {
  const { value, done } = await lines.next();
  if (done) throw new Error('stdin closed');
  return value;
}

const job = JSON.parse(await nextLine());
const tags = await readFlvTags(job.fixture);
const fixtureMs = (tags.at(-1)?.timestampMs ?? 0) - (tags[0]?.timestampMs ?? 0);
process.stdout.write(`${JSON.stringify({ ready: true, tags: tags.length, fixtureMs })}\n`);
if ((await nextLine()).trim() !== 'go') throw new Error('expected "go"');

const results = await Promise.all(
  job.urls.map(async (url) => {
    let sent = 0;
    try {
      const r = await publishTags({ url, tags, loops: job.loops, realtime: true, onProgress: (b) => (sent = b) });
      return { ok: true, bytes: r.bytes, tags: r.tags, durationMs: Math.round(r.durationMs) };
    } catch (err) {
      // Messages carry the server's status code, never the URL (which holds the key).
      return { ok: false, bytes: sent, tags: 0, durationMs: 0, error: err instanceof Error ? err.message : String(err) };
    }
  }),
);
process.stdout.write(`${JSON.stringify({ results })}\n`);
process.exit(0);
