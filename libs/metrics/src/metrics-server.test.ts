import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from './create-metrics.js';
import { metricsHandler, renderMetrics, startMetricsServer, type MetricsServer } from './metrics-server.js';
import { parseExposition, value } from './testing/exposition.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start(ready?: () => Promise<boolean>, readyTimeoutMs?: number): Promise<{ base: string; m: ReturnType<typeof createMetrics> }> {
  const m = createMetrics({ nodeId: 'worker-7' });
  const server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry: m.registry, ...(ready ? { ready } : {}), ...(readyTimeoutMs ? { readyTimeoutMs } : {}) });
  servers.push(server);
  expect(server.port).toBeGreaterThan(0);
  return { base: `http://127.0.0.1:${server.port}`, m };
}

describe('startMetricsServer', () => {
  it('serves the exposition at /metrics', async () => {
    const { base, m } = await start();
    m.ingest.connections.set(4);
    m.ingest.authFailures.inc({ reason: 'revoked' });
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(m.registry.contentType);
    const all = parseExposition(await res.text());
    expect(value(all, 'headwater_ingest_connections')).toBe(4);
    expect(value(all, 'headwater_ingest_auth_failures_total', { reason: 'revoked' })).toBe(1);
    expect(all.some((s) => s.name === 'headwater_process_resident_memory_bytes' || s.name === 'headwater_process_cpu_seconds_total')).toBe(true);
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('answers /healthz, and /readyz from the check', async () => {
    let ready = false;
    const { base } = await start(async () => ready);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'DELETE' })).status).toBe(405);
  });

  it('is ready without a check; a throwing or silent check is not ready', async () => {
    expect((await fetch(`${(await start()).base}/readyz`)).status).toBe(200);
    const throwing = await start(() => Promise.reject(new Error('redis down')));
    expect((await fetch(`${throwing.base}/readyz`)).status).toBe(503);
    const silent = await start(() => new Promise<boolean>(() => undefined), 50);
    expect((await fetch(`${silent.base}/readyz`)).status).toBe(503);
  });

  it('answers 500 when a collector fails', async () => {
    const { base, m } = await start();
    new Gauge({
      name: 'headwater_test_broken',
      help: 'a collector that throws',
      registers: [m.registry],
      collect() {
        throw new Error('broken');
      },
    });
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('broken');
  });

  it('closes with connections open', async () => {
    const m = createMetrics({ nodeId: 'n', defaultMetrics: false });
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry: m.registry });
    await fetch(`http://127.0.0.1:${server.port}/healthz`, { keepalive: true });
    await server.close();
    await server.close();
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
  });
});

describe('metricsHandler', () => {
  it('mounts on another node:http server', async () => {
    const m = createMetrics({ nodeId: 'api-1', defaultMetrics: false });
    m.ingest.bytes.inc({ channel: 'ch1' }, 1234);
    const handler = metricsHandler(m.registry);
    const server = createServer((req, res) => {
      if (req.url === '/metrics') void handler(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
      expect(res.status).toBe(200);
      expect(value(parseExposition(await res.text()), 'headwater_ingest_bytes_total', { channel: 'ch1' })).toBe(1234);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    const { contentType, body } = await renderMetrics(m.registry);
    expect(contentType).toMatch(/^text\/plain/);
    expect(body).toContain('headwater_ingest_bytes_total{channel="ch1",node="api-1"} 1234');
  });
});
