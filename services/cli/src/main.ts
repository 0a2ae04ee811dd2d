#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { KeyStore, signStreamKey } from '@headwater/auth';
import { ConfigError, loadConfig, type HeadwaterConfig } from '@headwater/config';
import { createLogger } from '@headwater/log';
import { connectRedisForCommand } from './infrastructure.js';
import { ROLES, isRole, startNode, type Role } from './node.js';
import { publishTags, readFlvTags, PublishRejectedError } from './publisher.js';
import { vodCommand } from './vod-command.js';
import { recordingsCommand, sessionsCommand } from './ops-commands.js';

const HELP: Record<string, string> = {
  main: `headwater — live-video ingest: RTMP/RTMPS (Enhanced RTMP v1+v2) to an FLV archive in S3

Usage: headwater <command> [options]

Commands:
  start [roles]         start ingest, worker and api (or the named roles); embedded Redis and S3 unless configured
  keys <subcommand>     manage channels and stream keys (create, list, rotate, revoke, delete)
  sign-key              make an HMAC-signed expiring stream key (auth mode hmac)
  publish <file.flv>    publish an FLV file over RTMP/RTMPS (test publisher and load generator)
  vod <archive-key>     transcode an archived session into the HLS + DASH ladder (VOD)
  sessions [kick <ch>]  list live publishes on every ingest node, or kick one channel's
  recordings <channel>  list a channel's archived sessions (size, duration)

Run 'headwater <command> --help' for a command's options. Settings come from HEADWATER_*
environment variables or a JSON file named by HEADWATER_CONFIG (see the README).`,
  start: `Usage: headwater start [ingest] [worker] [api]

Roles (all three when none is named):
  ingest   RTMP/RTMPS listeners, archive, transcode feed; /metrics on HEADWATER_METRICS_PORT
  worker   segment transcode jobs and webhook deliveries; /metrics on HEADWATER_METRICS_PORT
  api      control API (/api/v1, OpenAPI at /api/openapi.json), dashboard, playback, /metrics
           on HEADWATER_HTTP_PORT
Processes of one data dir share its embedded Redis and S3; elsewhere set HEADWATER_REDIS_URL
and HEADWATER_S3_ENDPOINT so every role meets the same ones.

Without HEADWATER_REDIS_URL / HEADWATER_S3_ENDPOINT it starts its own redis-server and S3 server
on loopback with data under HEADWATER_DATA_DIR. On first start it creates a channel named
"default" and prints its stream key once, and (api role) generates an admin token, printed once
and kept in HEADWATER_DATA_DIR/admin-token, unless HEADWATER_API_ADMIN_TOKEN is set.
SIGINT/SIGTERM drain gracefully (E-RTMP v2 publishers are asked to reconnect).`,
  keys: `Usage: headwater keys <create [name] | list | rotate <channel> | revoke <channel> | delete <channel>>

Stream keys are stored hashed: a key is printed once, when created or rotated.
<channel> is a channel id or name.`,
  'sign-key': `Usage: headwater sign-key --channel <id> [--expires <seconds>]

Prints an HMAC-signed stream key for auth mode "hmac" (secret: HEADWATER_AUTH_HMAC_SECRET).
Default expiry: 86400 seconds.`,
  publish: `Usage: headwater publish <file.flv> --url <rtmp[s]://host[:port]/app/key> [options]

Options:
  --url <url>         FFmpeg style: the last path segment is the stream key
  --key <key>         OBS style: --url is the server URL and this is the key
  --count <n>         concurrent publishers (load generator), default 1
  --loops <n>         play the file n times, default 1
  --no-realtime       send as fast as possible instead of at the file's pace
  --insecure          RTMPS: accept a self-signed certificate
  --reconnect-caps    announce E-RTMP reconnect support (capsEx 1)`,
  sessions: `Usage: headwater sessions
       headwater sessions kick <channel-id>

Lists the live publishes of every ingest node (channel, session, node, uptime, ingest bit rate,
frame rate, codecs), or asks the node holding a channel's publish to drop it.`,
  recordings: `Usage: headwater recordings <channel-id>

Lists the channel's archived sessions (S3 key, size, duration). Transcode one with
'headwater vod <key> --wait'.`,
  vod: `Usage: headwater vod <archive-key> [--wait] [--session <id>]
       headwater vod --list <channel>

Transcodes an archived FLV session (archives/<channel>/<day>/<start>_<session>.flv) into the
same HLS + DASH ladder as live, as segment jobs every connected worker shares; outputs go to
streams/<channel>/<session>/. Archive jobs yield to live ones.

Options:
  --wait          wait until the playlists are complete (runs a worker here if none is connected)
  --session <id>  playback session id (default: vod-<archive session>-<random>)
  --list          list the channel's archive keys instead`,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP.main);
    return command ? 0 : 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(HELP[command] ?? HELP.main);
    return HELP[command] ? 0 : 2;
  }
  switch (command) {
    case 'start':
      return start(rest);
    case 'keys':
      return keys(rest);
    case 'sign-key':
      return signKey(rest);
    case 'publish':
      return publish(rest);
    case 'vod':
      return vod(rest);
    case 'sessions':
      return sessionsCommand(config(), rest, (line) => console.log(line));
    case 'recordings':
      return recordingsCommand(config(), rest, (line) => console.log(line));
    default:
      console.error(`headwater: unknown command "${command}"\n\n${HELP.main}`);
      return 2;
  }
}

function config(): HeadwaterConfig {
  return loadConfig(process.env);
}

async function start(args: string[]): Promise<number> {
  const unknown = args.filter((a) => !isRole(a));
  if (unknown.length > 0) throw new UsageError(`unknown role ${unknown.map((a) => `"${a}"`).join(', ')} (roles: ${ROLES.join(', ')})`);
  const roles = new Set<Role>(args.length === 0 ? ROLES : (args as Role[]));
  const cfg = config();
  const logger = createLogger({ level: cfg.logLevel, name: 'headwater' });
  const node = await startNode(cfg, logger, roles);
  const host = cfg.publicHost;
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const lines = [''];
  const pipeline = node.pipeline;
  if (pipeline) {
    const channels = await pipeline.keyStore.listChannels();
    let fresh: string | undefined;
    let channel = channels.find((c) => c.name === 'default');
    if (!channel) {
      const created = await pipeline.keyStore.createChannel('default');
      channel = created.channel;
      fresh = created.streamKey;
    }
    lines.push(
      'Headwater is live. In OBS: Settings → Stream → Service "Custom…"',
      `  Server (RTMP):   rtmp://${host}:${pipeline.ingest.rtmpPort}/${cfg.rtmp.app}`,
    );
    if (pipeline.ingest.rtmpsPort !== null) lines.push(`  Server (RTMPS):  rtmps://${host}:${pipeline.ingest.rtmpsPort}/${cfg.rtmp.app}`);
    if (fresh) lines.push(`  Stream key:      ${fresh}`, '                   (shown once: keys are stored hashed)');
    else lines.push(`  Stream key:      shown when channel "default" (${channel.id}) was created; get a new one with: npx headwater keys rotate default`);
    lines.push(`  Archives:        s3://${cfg.s3.bucket}/archives/${channel.id}/…`);
    if (cfg.transcode.enabled) {
      const where = node.worker ? `${cfg.transcode.workerConcurrency} job(s) at once in this process` : 'workers run elsewhere (headwater start worker)';
      lines.push(`  Transcoding:     on (${where}); HLS/DASH under s3://${cfg.s3.bucket}/streams/<channel>/<session>/`);
    }
    if (node.apiPort !== undefined) {
      const base = `http://${hostPart}:${node.apiPort}/streams/${channel.id}`;
      lines.push(
        `  Playback (HLS):  ${base}/live.m3u8  (the newest session; each session: ${base}/<session>/master.m3u8)`,
        `  Playback (DASH): ${base}/live.mpd   (each session: ${base}/<session>/manifest.mpd)`,
      );
    }
  } else {
    lines.push(`Headwater ${[...roles].join(' + ')} running (node ${cfg.nodeId}).`);
    if (node.worker) lines.push(`  Segment worker:  ${Math.max(1, cfg.transcode.workerConcurrency)} job(s) at once`);
  }
  if (node.apiPort !== undefined && node.adminToken) {
    lines.push(`  Dashboard / API: http://${hostPart}:${node.apiPort}/  (OpenAPI: /api/openapi.json)`);
    const t = node.adminToken;
    if (t.generated) lines.push(`  Admin token:     ${t.token}`, `                   (shown once; kept in ${t.file ?? ''})`);
    else lines.push(`  Admin token:     ${t.file ? `in ${t.file}` : 'from HEADWATER_API_ADMIN_TOKEN'}`);
  }
  if (node.metricsPort !== undefined) lines.push(`  Metrics:         http://${hostPart}:${node.metricsPort}/metrics`);
  lines.push('');
  // Keys and tokens go to the terminal, never through the logger.
  process.stdout.write(lines.join('\n') + '\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await node.stop({ graceMs: 5000 });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return new Promise<number>(() => undefined);
}

async function keys(args: string[]): Promise<number> {
  const [sub, arg] = args;
  const cfg = config();
  const { redis, close } = await connectRedisForCommand(cfg);
  const store = new KeyStore(redis);
  const resolve = async (idOrName: string | undefined) => {
    if (!idOrName) throw new UsageError('a channel id or name is required');
    const all = await store.listChannels();
    const found = all.find((c) => c.id === idOrName) ?? all.find((c) => c.name === idOrName);
    if (!found) throw new UsageError(`no channel "${idOrName}"`);
    return found;
  };
  try {
    switch (sub) {
      case 'create': {
        const { channel, streamKey } = await store.createChannel(arg);
        console.log(`channel ${channel.id} (${channel.name}) created\nstream key: ${streamKey}\n(shown once)`);
        return 0;
      }
      case 'list': {
        const all = await store.listChannels();
        if (all.length === 0) console.log('no channels');
        for (const c of all) console.log(`${c.id}  ${c.name.padEnd(20)}  ${c.revoked ? 'revoked' : 'active '}  created ${c.createdAt.toISOString()}`);
        return 0;
      }
      case 'rotate': {
        const channel = await resolve(arg);
        console.log(`new stream key for ${channel.id} (${channel.name}): ${await store.rotateKey(channel.id)}\n(shown once; the old key no longer works)`);
        return 0;
      }
      case 'revoke': {
        const channel = await resolve(arg);
        await store.revokeKey(channel.id);
        console.log(`key of ${channel.id} (${channel.name}) revoked; 'keys rotate' issues a new one`);
        return 0;
      }
      case 'delete': {
        const channel = await resolve(arg);
        await store.deleteChannel(channel.id);
        console.log(`channel ${channel.id} (${channel.name}) deleted`);
        return 0;
      }
      default:
        console.error(HELP.keys);
        return 2;
    }
  } finally {
    await close();
  }
}

function signKey(args: string[]): number {
  const { values } = parseArgs({ args, options: { channel: { type: 'string' }, expires: { type: 'string', default: '86400' } } });
  const cfg = config();
  if (!values.channel) throw new UsageError('--channel is required');
  if (!cfg.auth.hmacSecret) throw new UsageError('HEADWATER_AUTH_HMAC_SECRET is not set');
  const seconds = Number(values.expires);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError('--expires must be a positive number of seconds');
  console.log(signStreamKey({ channelId: values.channel, expiresAt: new Date(Date.now() + seconds * 1000), secret: cfg.auth.hmacSecret }));
  return 0;
}

async function vod(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { wait: { type: 'boolean', default: false }, list: { type: 'boolean', default: false }, session: { type: 'string' } },
  });
  const target = positionals[0];
  if (!target) throw new UsageError('usage: headwater vod <archive-key> [--wait] | headwater vod --list <channel>');
  const cfg = config();
  // Logs to stderr: stdout carries the command's answer.
  return vodCommand(cfg, createLogger({ level: cfg.logLevel, name: 'headwater', destination: process.stderr }), {
    target,
    list: values.list,
    wait: values.wait,
    ...(values.session === undefined ? {} : { sessionId: values.session }),
    out: (line) => console.log(line),
    progress: (line) => process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`),
  });
}

async function publish(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      count: { type: 'string', default: '1' },
      loops: { type: 'string', default: '1' },
      'no-realtime': { type: 'boolean', default: false },
      insecure: { type: 'boolean', default: false },
      'reconnect-caps': { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  if (!file || !values.url) throw new UsageError('usage: headwater publish <file.flv> --url <rtmp://host/app/key>');
  const count = Number(values.count);
  const tags = await readFlvTags(file);
  const started = performance.now();
  let sent = 0;
  const progress = setInterval(() => {
    const secs = (performance.now() - started) / 1000;
    process.stderr.write(`\r${count} publisher(s): ${(sent / 1e6).toFixed(1)} MB sent, ${((sent * 8) / 1e6 / secs).toFixed(2)} Mbit/s, ${secs.toFixed(0)} s`);
  }, 1000);
  const results = await Promise.allSettled(
    Array.from({ length: count }, () => {
      let last = 0;
      return publishTags({
        url: values.url!,
        ...(values.key !== undefined ? { streamKey: values.key } : {}),
        insecure: values.insecure,
        ...(values['reconnect-caps'] ? { capsEx: 1 } : {}),
        tags,
        realtime: !values['no-realtime'],
        loops: Number(values.loops),
        onProgress: (b) => {
          sent += b - last;
          last = b;
        },
      });
    }),
  );
  clearInterval(progress);
  process.stderr.write('\n');
  const failed = results.filter((r) => r.status === 'rejected');
  for (const f of failed) console.error(`publish failed: ${(f.reason as Error).message}`);
  const ok = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof publishTags>>> => r.status === 'fulfilled');
  console.log(JSON.stringify({ publishers: count, ok: ok.length, failed: failed.length, bytes: ok.reduce((n, r) => n + r.value.bytes, 0), tags: ok.reduce((n, r) => n + r.value.tags, 0) }));
  return failed.length === 0 ? 0 : 1;
}

class UsageError extends Error {}

export { main, PublishRejectedError };

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== 0 || process.argv[2] !== 'start') process.exit(code);
    },
    (err: unknown) => {
      if (err instanceof ConfigError) console.error(err.message);
      else if (err instanceof UsageError) console.error(`headwater: ${err.message}`);
      else console.error(`headwater: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
