#!/usr/bin/env node
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
