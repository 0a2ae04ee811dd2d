import type { PublishSnapshot } from '@headwater/ingest';
import type { LiveSession, LiveSessionStore, LiveTrack } from '@headwater/live';
import type { Logger } from '@headwater/log';

/** How often the ingest refreshes its live sessions (the store's entries live 15 s). */
export const LIVE_REPORT_INTERVAL_MS = 5000;

interface Mark {
  atMs: number;
  bytesIn: number;
  videoFrames: number;
}

/** The default video track's frame count: the measured frame rate comes from its deltas. */
function videoFrames(snapshot: PublishSnapshot): number {
  return snapshot.tracks.video.find((t) => t.trackId === 0)?.frames ?? 0;
}

/** A publish as the control API lists it: codecs and sizes, no client address, no key. */
export function liveTracks(snapshot: PublishSnapshot): LiveTrack[] {
  const meta = snapshot.tracks.metadata;
  const video = snapshot.tracks.video.map((t): LiveTrack => {
    const d = t.description;
    const frameRate = d?.frameRate ?? (t.trackId === 0 ? meta?.framerate : undefined);
    return {
      kind: 'video',
      trackId: t.trackId,
      codec: t.codec,
      ...(d ? { codecString: d.codecString } : {}),
      ...(d?.width !== undefined ? { width: d.width } : {}),
      ...(d?.height !== undefined ? { height: d.height } : {}),
      ...(frameRate !== undefined ? { frameRate } : {}),
    };
  });
  const audio = snapshot.tracks.audio.map((t): LiveTrack => {
    const d = t.description;
    return {
      kind: 'audio',
      trackId: t.trackId,
      codec: t.codec,
      ...(d ? { codecString: d.codecString } : {}),
      ...(d?.sampleRate !== undefined ? { sampleRate: d.sampleRate } : {}),
      ...(d?.channels !== undefined ? { channels: d.channels } : {}),
    };
  });
  return [...video, ...audio];
}

export interface LiveReporter {
  /** A publish began (report it at once rather than at the next tick). */
  started(snapshot: PublishSnapshot): void;
  /** A publish ended: it leaves the listing now, not when its entry expires. */
  stopped(snapshot: PublishSnapshot): void;
  /** Where a publish's renditions go (the playback session it feeds). */
  playback(sourceSessionId: string, playbackSessionId: string): void;
  close(): Promise<void>;
}

/**
 * Keeps this ingest node's publishes in the shared {@link LiveSessionStore}: each one is written
 * at start and refreshed every few seconds with its measured bit rate and frame rate; an entry a
 * dead node stops refreshing expires by itself. `extra` runs on the same tick (metrics sampling).
 */
export function startLiveReporter(opts: {
  store: LiveSessionStore;
  nodeId: string;
  publishes: () => PublishSnapshot[];
  logger: Logger;
  intervalMs?: number;
  extra?: () => void;
}): LiveReporter {
  const marks = new Map<string, Mark>();
  const playbackOf = new Map<string, string>();
  const rates = new Map<string, { bitrateBps: number; fps: number | null }>();

  const toSession = (s: PublishSnapshot, nowMs: number): LiveSession => {
    const { sessionId } = s.info;
    const mark = marks.get(sessionId);
    const frames = videoFrames(s);
    let rate = rates.get(sessionId) ?? { bitrateBps: 0, fps: null };
    if (mark && nowMs - mark.atMs >= 1000) {
      const seconds = (nowMs - mark.atMs) / 1000;
      rate = { bitrateBps: Math.round(((s.bytesIn - mark.bytesIn) * 8) / seconds), fps: frames > mark.videoFrames ? Math.round(((frames - mark.videoFrames) / seconds) * 100) / 100 : null };
      rates.set(sessionId, rate);
    }
    if (!mark || nowMs - mark.atMs >= 1000) marks.set(sessionId, { atMs: nowMs, bytesIn: s.bytesIn, videoFrames: frames });
    const playbackSessionId = playbackOf.get(sessionId);
    return {
      sessionId,
      channelId: s.info.channelId,
      ...(playbackSessionId !== undefined && playbackSessionId !== sessionId ? { playbackSessionId } : {}),
      nodeId: opts.nodeId,
      app: s.info.app,
      startedAt: s.info.startedAt.toISOString(),
      secure: s.secure,
      tracks: liveTracks(s),
      bitrateBps: rate.bitrateBps,
      fps: rate.fps,
      bytesIn: s.bytesIn,
      updatedAt: new Date(nowMs).toISOString(),
    };
  };

  const report = async (snapshots: readonly PublishSnapshot[]): Promise<void> => {
    const now = Date.now();
    await Promise.all(snapshots.map((s) => opts.store.put(toSession(s, now))));
  };
  const warn = (err: unknown): void => opts.logger.warn({ reason: err instanceof Error ? err.message : String(err) }, 'live session report failed');

  let busy = false;
  const timer = setInterval(() => {
    opts.extra?.();
    // A slow Redis must not stack up reports.
    if (busy) return;
    busy = true;
    report(opts.publishes())
      .catch(warn)
      .finally(() => (busy = false));
  }, opts.intervalMs ?? LIVE_REPORT_INTERVAL_MS);
  timer.unref();

  return {
    started(snapshot) {
      void report([snapshot]).catch(warn);
    },
    stopped(snapshot) {
      const { sessionId } = snapshot.info;
      marks.delete(sessionId);
      rates.delete(sessionId);
      playbackOf.delete(sessionId);
      void opts.store.remove(sessionId).catch(warn);
    },
    playback(sourceSessionId, playbackSessionId) {
      playbackOf.set(sourceSessionId, playbackSessionId);
    },
    async close() {
      clearInterval(timer);
      await Promise.all(opts.publishes().map((s) => opts.store.remove(s.info.sessionId).catch(warn)));
    },
  };
}
