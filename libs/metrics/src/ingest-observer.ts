import type { Metrics } from './create-metrics.js';
import { sourcesOf } from './metric-sources.js';
import { safeLabelValue } from './safe-label.js';

/** Ended sessions remembered so a late sample does not count them again (see below). */
const MAX_ENDED_SESSIONS = 10_000;

/**
 * What the observer reads of a publish: the fields of services/ingest's `PublishSnapshot` it
 * needs (a snapshot satisfies it). Only `channelId` ever becomes a label; session, connection
 * and client ids, the app name and the client address are never read.
 */
export interface PublishSample {
  readonly info: { readonly sessionId: string; readonly channelId: string; readonly startedAt: Date };
  /** Bytes received for this publish so far (monotonic per session). */
  readonly bytesIn: number;
}

/**
 * Callbacks matching services/ingest's `IngestHooks` (pass the observer as `hooks`, or call it
 * from the lead's own hooks), plus {@link IngestObserver.sampleIngest} for the periodic gauges.
 */
export interface IngestObserver {
  publishStarted(publish: PublishSample): void;
  publishStopped(publish: PublishSample, reason: string): void;
  authDenied(info: { reason: string }): void;
  connectionFailed(info: { code: string }): void;
  /**
   * Call every few seconds with `IngestServer.publishes()` and `connectionCount()`: sets the
   * connection and publish gauges, advances `headwater_ingest_bytes_total{channel}` by what each
   * session received since the last look and sets `headwater_ingest_bitrate_bps{channel}` from it.
   */
  sampleIngest(publishes: readonly PublishSample[], connectionCount: number): void;
}

interface SessionMark {
  channel: string;
  bytes: number;
  atMs: number;
}

/** The ingest role's adapter: keeps per-session byte marks so counters advance by deltas. */
export function ingestObserver(m: Metrics): IngestObserver {
  const { nowMs } = sourcesOf(m);
  const sessions = new Map<string, SessionMark>();
  // The ingest calls publishStopped once the publish's consumers have flushed, and its
  // publishes() may list the session until the connection closes: without this a sample taken
  // in between would see it as new and count its bytes twice.
  const ended = new Set<string>();
  /** Channels with a bitrate series, so a channel gone quiet loses its series. */
  const bitrateChannels = new Set<string>();

  /** Counts the bytes received since the session's last mark; returns them with the elapsed ms. */
  const advance = (p: PublishSample, now: number): { channel: string; bytes: number; ms: number } => {
    const channel = safeLabelValue(p.info.channelId);
    const mark = sessions.get(p.info.sessionId);
    // First look at a session: all its bytes arrived since it started (in this process).
    const fromBytes = mark?.bytes ?? 0;
    const fromMs = mark?.atMs ?? p.info.startedAt.getTime();
    const bytes = Math.max(0, p.bytesIn - fromBytes);
    // Also when 0: the channel's series exists from its first look.
    m.ingest.bytes.inc({ channel }, bytes);
    sessions.set(p.info.sessionId, { channel, bytes: Math.max(fromBytes, p.bytesIn), atMs: now });
    return { channel, bytes, ms: now - fromMs };
  };

  return {
    publishStarted(p) {
      m.ingest.publishes.inc({ outcome: 'started' });
      advance(p, nowMs());
      m.ingest.publishesActive.set(sessions.size);
    },
    publishStopped(p, reason) {
      const id = p.info.sessionId;
      if (ended.has(id)) return;
      const now = nowMs();
      advance(p, now);
      sessions.delete(id);
      ended.add(id);
      if (ended.size > MAX_ENDED_SESSIONS) ended.delete(ended.values().next().value as string);
      m.ingest.publishesEnded.inc({ reason: safeLabelValue(reason) });
      m.ingest.publishDurationSeconds.observe(Math.max(0, now - p.info.startedAt.getTime()) / 1000);
      m.ingest.publishesActive.set(sessions.size);
    },
    authDenied(info) {
      m.ingest.publishes.inc({ outcome: 'denied' });
      m.ingest.authFailures.inc({ reason: safeLabelValue(info.reason) });
    },
    connectionFailed(info) {
      m.ingest.connectionFailures.inc({ code: safeLabelValue(info.code) });
    },
    sampleIngest(publishes, connectionCount) {
      const now = nowMs();
      const bitsPerS = new Map<string, number>();
      const seen = new Set<string>();
      let live = 0;
      for (const p of publishes) {
        seen.add(p.info.sessionId);
        if (ended.has(p.info.sessionId)) continue;
        live++;
        const { channel, bytes, ms } = advance(p, now);
        const rate = ms > 0 ? (bytes * 8 * 1000) / ms : 0;
        bitsPerS.set(channel, (bitsPerS.get(channel) ?? 0) + rate);
      }
      // Sessions gone without a publishStopped (hooks not wired, or a missed call): forget them.
      for (const id of sessions.keys()) if (!seen.has(id)) sessions.delete(id);
      // An ended session no longer listed will not come back.
      for (const id of ended) if (!seen.has(id)) ended.delete(id);
      for (const [channel, bps] of bitsPerS) m.ingest.bitrateBps.set({ channel }, Math.round(bps));
      for (const channel of bitrateChannels) if (!bitsPerS.has(channel)) m.ingest.bitrateBps.remove({ channel });
      bitrateChannels.clear();
      for (const channel of bitsPerS.keys()) bitrateChannels.add(channel);
      m.ingest.connections.set(connectionCount);
      m.ingest.publishesActive.set(live);
    },
  };
}
