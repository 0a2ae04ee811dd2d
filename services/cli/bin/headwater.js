#!/usr/bin/env -S node --max-semi-space-size=1
// --max-semi-space-size=1: ingest garbage is short-lived; a small young generation keeps RSS per stream flat
// (bench:ingest: 0.8 MiB vs 2.5 MiB per stream, no CPU cost). bench/lib/servers.mjs and `npm start` use it too.
import { main } from '../dist/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0 || process.argv[2] !== 'start') process.exit(code);
  },
  (err) => {
    console.error(`headwater: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
