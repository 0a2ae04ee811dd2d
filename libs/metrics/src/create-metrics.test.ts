import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRIC_PREFIX, createMetrics } from './create-metrics.js';
import { parseExposition } from './testing/exposition.js';

describe('createMetrics', () => {
  it('uses its own registry, never the global one', async () => {
    const before = (await globalRegistry.getMetricsAsJSON()).length;
    const a = createMetrics({ nodeId: 'node-a' });
    const b = createMetrics({ nodeId: 'node-b' });
    expect(a.registry).not.toBe(globalRegistry);
    expect(a.registry).not.toBe(b.registry);
    expect((await globalRegistry.getMetricsAsJSON()).length).toBe(before);
    a.ingest.connections.set(3);
    const text = await b.registry.metrics();
    expect(parseExposition(text).find((s) => s.name === 'headwater_ingest_connections')?.value).toBe(0);
  });

  it('names every metric headwater_* and labels every series with the node', async () => {
    const m = createMetrics({ nodeId: 'edge-1' });
    m.ingest.connections.set(1);
    const json = await m.registry.getMetricsAsJSON();
    expect(json.length).toBeGreaterThan(30);
    for (const metric of json) expect(metric.name.startsWith(METRIC_PREFIX)).toBe(true);
    const all = parseExposition(await m.registry.metrics());
    expect(all.length).toBeGreaterThan(0);
    for (const s of all) expect(s.labels.node).toBe('edge-1');
    // The process defaults are there, under our prefix.
    expect(all.some((s) => s.name === 'headwater_process_cpu_user_seconds_total')).toBe(true);
    expect(all.some((s) => s.name === 'headwater_nodejs_eventloop_lag_seconds')).toBe(true);
  });

  it('can leave the process defaults out', async () => {
    const m = createMetrics({ nodeId: 'n', defaultMetrics: false });
    const names = (await m.registry.getMetricsAsJSON()).map((j) => j.name);
    expect(names.some((n) => n.startsWith('headwater_process_'))).toBe(false);
    expect(names).toContain('headwater_segment_latency_seconds');
  });
});
