#!/usr/bin/env node
// node-media-server 4 doing plain RTMP ingest only, for bench/ingest.mjs.
// Usage: node bench/nms-server.mjs <port> <dataDir>
//
// v4's config differs from v2's: top-level `bind`, `rtmp.port`; HTTP/HTTPS/RTMPS listeners start
// only when their `port` is set; the record service only with `record.path`; the admin API only
// with `auth.jwt`; the webhook only with `notify.url`. Its small JSON store (stream history) is
// part of every v4 server, so it stays, under dataDir.
import path from 'node:path';
import NodeMediaServer from 'node-media-server';
// No "exports" map in the package: its logger singleton can be reached to quiet it.
import logger from 'node-media-server/src/core/logger.js';

const [portArg, dataDir] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || port < 1 || port > 65535 || !dataDir) {
  console.error('usage: node bench/nms-server.mjs <port> <dataDir>');
  process.exit(2);
}

const nms = new NodeMediaServer(
  {
    bind: '127.0.0.1',
    rtmp: { port },
    store: { path: path.join(dataDir, 'store') },
    webadmin: { enable: false },
  },
  path.join(dataDir, 'nms-config.json'),
);
// The constructor sets the level to "debug"; per-session lines would only add console I/O.
logger.level = 'warn';
await nms.run();

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void nms.stop().finally(() => process.exit(0));
  });
}
