#!/usr/bin/env node
// The publisher of the ladder bench, as its own process (never measured): the project's
// publisher (`publishTags`), one connection, at the file's real-time pace or as fast as the
// server reads. Protocol (the URL holds a stream key: stdin, never argv):
//   stdin  → {"fixture": path, "url": "rtmp://…", "realtime": bool}
//   stdout ← {"ready": true, "tags": n, "fixtureMs": ms}
//   stdin  → go
//   stdout ← {"firstTagAt": epochMs}             the first media tag is written
//   stdout ← {"result": {ok, bytes, tags, durationMs, error?}}
import { createInterface } from 'node:readline';
import { publishTags, readFlvTags } from '@headwater/cli';

const line = (fields) => process.stdout.write(`${JSON.stringify(fields)}\n`);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function nextLine() {
  const { value, done } = await lines.next();
  if (done) throw new Error('stdin closed');
  return value;
}

const job = JSON.parse(await nextLine());
const tags = await readFlvTags(job.fixture);
line({ ready: true, tags: tags.length, fixtureMs: (tags.at(-1)?.timestampMs ?? 0) - (tags[0]?.timestampMs ?? 0) });
if ((await nextLine()).trim() !== 'go') throw new Error('expected "go"');
let sent = 0;
let result;
try {
  const r = await publishTags({
    url: job.url,
    tags,
    realtime: job.realtime,
    onProgress: (b) => {
      if (sent === 0) line({ firstTagAt: Date.now() });
      sent = b;
    },
  });
  result = { ok: true, bytes: r.bytes, tags: r.tags, durationMs: Math.round(r.durationMs) };
} catch (err) {
  // Messages carry the server's status code, never the URL.
  result = { ok: false, bytes: sent, tags: 0, durationMs: 0, error: err instanceof Error ? err.message : String(err) };
}
line({ result });
process.exit(0);
