// Container health probe for every role, with no arguments: GET /healthz on the api port
// (HEADWATER_HTTP_PORT, default 8080) and, failing that, on the metrics port
// (HEADWATER_METRICS_PORT, default 9464) that ingest- and worker-only processes serve.
// Exit 0 = healthy. Node builtins only (fetch is global since Node 18).
const ports = [process.env.HEADWATER_HTTP_PORT ?? '8080', process.env.HEADWATER_METRICS_PORT ?? '9464']
  .filter((p) => /^\d+$/.test(p) && p !== '0');

for (const port of ports) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    if (res.ok) process.exit(0);
  } catch {
    // Not listening on this port (another role): try the next one.
  }
}
process.exit(1);
