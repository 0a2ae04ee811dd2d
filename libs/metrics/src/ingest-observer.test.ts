import { describe, expect, it } from 'vitest';
import type { IngestHooks, PublishSnapshot } from '@headwater/ingest';
import { createMetrics } from './create-metrics.js';
import { ingestObserver } from './ingest-observer.js';
import { OTHER_LABEL } from './safe-label.js';
import { parseExposition, value, type Sample } from './testing/exposition.js';
import { STREAM_KEY, expectNoKeys } from './testing/stream-keys.js';

const T0 = Date.UTC(2025, 0, 1);

/** A snapshot shaped like services/ingest's PublishSnapshot, every free field holding a key. */
function snapshot(sessionId: string, channelId: string, bytesIn: number, startedAtMs = T0): PublishSnapshot {
  return {
    info: { sessionId, channelId, connectionId: `c-${STREAM_KEY}`, app: STREAM_KEY, startedAt: new Date(startedAtMs) },
    clientIp: STREAM_KEY,
    secure: false,
    bytesIn,
    tags: 10,
    lastTimestampMs: 1000,
    consumers: ['archive', STREAM_KEY],
    tracks: { video: [], audio: [], colorInfo: undefined, metadata: undefined },
  };
}

function setup() {
  const clock = { now: T0 };
  const m = createMetrics({ nodeId: 'ingest-1', defaultMetrics: false, nowMs: () => clock.now });
  const obs = ingestObserver(m);
  // The observer is the ingest's hooks as it is (a compile-time check: tsconfig.test.json).
  const hooks: IngestHooks = obs;
  const scrape = async (): Promise<{ text: string; all: Sample[] }> => {
    const text = await m.registry.metrics();
    return { text, all: parseExposition(text) };
  };
  return { clock, m, obs, hooks, scrape };
}

describe('ingestObserver', () => {
  it('counts publishes, auth failures and connection failures by bounded labels', async () => {
    const { hooks, scrape } = setup();
    hooks.publishStarted?.(snapshot('s1', 'chanA', 0));
    hooks.authDenied?.({ connectionId: 'c-1', clientIp: '203.0.113.9', reason: 'unknown-key' });
    hooks.authDenied?.({ connectionId: 'c-2', clientIp: '203.0.113.9', reason: 'unknown-key' });
    hooks.authDenied?.({ connectionId: 'c-3', clientIp: '203.0.113.9', reason: 'rate-limited' });
    hooks.connectionFailed?.({ connectionId: 'c-4', code: 'chunk-too-large' });
    hooks.connectionFailed?.({ connectionId: STREAM_KEY, code: STREAM_KEY });
    const { all } = await scrape();
    expect(value(all, 'headwater_ingest_publishes_total', { outcome: 'started' })).toBe(1);
    expect(value(all, 'headwater_ingest_publishes_total', { outcome: 'denied' })).toBe(3);
    expect(value(all, 'headwater_ingest_auth_failures_total', { reason: 'unknown-key' })).toBe(2);
    expect(value(all, 'headwater_ingest_auth_failures_total', { reason: 'rate-limited' })).toBe(1);
    expect(value(all, 'headwater_ingest_connection_failures_total', { code: 'chunk-too-large' })).toBe(1);
    expect(value(all, 'headwater_ingest_connection_failures_total', { code: OTHER_LABEL })).toBe(1);
    expect(value(all, 'headwater_ingest_publishes_active')).toBe(1);
  });

  it('advances bytes per channel by deltas and derives the bitrate', async () => {
    const { clock, obs, scrape } = setup();
    obs.publishStarted(snapshot('s1', 'chanA', 0));
    clock.now += 5000;
    obs.sampleIngest([snapshot('s1', 'chanA', 500_000), snapshot('s2', 'chanB', 100_000, T0 + 3000)], 3);
    let { all } = await scrape();
    expect(value(all, 'headwater_ingest_connections')).toBe(3);
    expect(value(all, 'headwater_ingest_publishes_active')).toBe(2);
    expect(value(all, 'headwater_ingest_bytes_total', { channel: 'chanA' })).toBe(500_000);
    // s2 was first seen by the sample: its bytes since it started 2 s ago.
    expect(value(all, 'headwater_ingest_bytes_total', { channel: 'chanB' })).toBe(100_000);
    expect(value(all, 'headwater_ingest_bitrate_bps', { channel: 'chanA' })).toBe(800_000);
    expect(value(all, 'headwater_ingest_bitrate_bps', { channel: 'chanB' })).toBe(400_000);

    clock.now += 2000;
    obs.sampleIngest([snapshot('s1', 'chanA', 1_000_000), snapshot('s2', 'chanB', 100_000, T0 + 3000)], 3);
    ({ all } = await scrape());
    expect(value(all, 'headwater_ingest_bytes_total', { channel: 'chanA' })).toBe(1_000_000);
    expect(value(all, 'headwater_ingest_bytes_total', { channel: 'chanB' })).toBe(100_000);
    expect(value(all, 'headwater_ingest_bitrate_bps', { channel: 'chanA' })).toBe(2_000_000);
    expect(value(all, 'headwater_ingest_bitrate_bps', { channel: 'chanB' })).toBe(0);

    // s1 ends with 200 kB more than last sampled; a late sample still listing it counts nothing twice.
    clock.now += 1000;
    obs.publishStopped(snapshot('s1', 'chanA', 1_200_000), 'unpublished');
    obs.sampleIngest([snapshot('s1', 'chanA', 1_200_000), snapshot('s2', 'chanB', 150_000, T0 + 3000)], 2);
    ({ all } = await scrape());
    expect(value(all, 'headwater_ingest_bytes_total', { channel: 'chanA' })).toBe(1_200_000);
    expect(value(all, 'headwater_ingest_bytes_total', { channel: 'chanB' })).toBe(150_000);
    expect(value(all, 'headwater_ingest_publishes_active')).toBe(1);
    expect(value(all, 'headwater_ingest_connections')).toBe(2);
    // A channel no longer live loses its bitrate series; its byte counter stays.
    expect(value(all, 'headwater_ingest_bitrate_bps', { channel: 'chanA' })).toBeUndefined();
    expect(value(all, 'headwater_ingest_publishes_ended_total', { reason: 'unpublished' })).toBe(1);
    expect(value(all, 'headwater_ingest_publish_duration_seconds_count')).toBe(1);
    expect(value(all, 'headwater_ingest_publish_duration_seconds_sum')).toBe(8);

    // A second publishStopped for the same session (no double count either).
    obs.publishStopped(snapshot('s1', 'chanA', 1_200_000), 'unpublished');
    ({ all } = await scrape());
    expect(value(all, 'headwater_ingest_publishes_ended_total', { reason: 'unpublished' })).toBe(1);
  });

  it('sums sessions of one channel and forgets sessions that vanish without a stop', async () => {
    const { clock, obs, scrape } = setup();
    obs.sampleIngest([snapshot('s1', 'chanA', 0), snapshot('s2', 'chanA', 0)], 2);
    clock.now += 1000;
    obs.sampleIngest([snapshot('s1', 'chanA', 1000), snapshot('s2', 'chanA', 3000)], 2);
    let { all } = await scrape();
    expect(value(all, 'headwater_ingest_bytes_total', { channel: 'chanA' })).toBe(4000);
    expect(value(all, 'headwater_ingest_bitrate_bps', { channel: 'chanA' })).toBe(32_000);
    clock.now += 1000;
    obs.sampleIngest([], 0);
    ({ all } = await scrape());
    expect(value(all, 'headwater_ingest_publishes_active')).toBe(0);
    expect(value(all, 'headwater_ingest_bitrate_bps', { channel: 'chanA' })).toBeUndefined();
  });

  it('never puts a stream key in a label, even from a channel field holding one', async () => {
    const { clock, obs, scrape } = setup();
    obs.publishStarted(snapshot(STREAM_KEY, STREAM_KEY, 0));
    // A reason outside DenyReason cannot come from the ingest; the observer folds it anyway.
    obs.authDenied({ reason: STREAM_KEY });
    clock.now += 1000;
    obs.sampleIngest([snapshot(STREAM_KEY, STREAM_KEY, 1000)], 1);
    obs.publishStopped(snapshot(STREAM_KEY, STREAM_KEY, 2000), STREAM_KEY);
    const { text, all } = await scrape();
    expectNoKeys(text, all);
    expect(value(all, 'headwater_ingest_bytes_total', { channel: OTHER_LABEL })).toBe(2000);
    expect(value(all, 'headwater_ingest_auth_failures_total', { reason: OTHER_LABEL })).toBe(1);
    expect(value(all, 'headwater_ingest_publishes_ended_total', { reason: OTHER_LABEL })).toBe(1);
  });
});
