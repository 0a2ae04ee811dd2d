export { MAX_LIVE_SESSION_BYTES, decodeLiveSession, isLiveSession } from './live-session.js';
export type { LiveSession, LiveTrack } from './live-session.js';
export { DEFAULT_LIVE_PREFIX, DEFAULT_LIVE_SESSION_TTL_MS, LiveSessionError, LiveSessionStore, MAX_LISTED_SESSIONS } from './live-session-store.js';
export type { LiveSessionStoreOptions } from './live-session-store.js';
export { KICK_CHANNEL, requestKick, subscribeKicks } from './kicks.js';
