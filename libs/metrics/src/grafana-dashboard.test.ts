/**
 * infra/grafana/headwater.json against the code: every headwater_* name a panel queries exists
 * in the registry (so the dashboard cannot drift from the metrics), every Headwater metric has a
 * panel, counters are only read through rate()/increase() and histograms through
 * histogram_quantile().
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './create-metrics.js';

const DASHBOARD = fileURLToPath(new URL('../../../infra/grafana/headwater.json', import.meta.url));

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string; query: unknown; datasource?: { uid: string } }[] };
  panels: Panel[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
const targets = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));
const NAME = /\bheadwater_[a-z0-9_]+/g;
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

async function registryTypes(defaultMetrics: boolean): Promise<Map<string, string>> {
  const m = createMetrics({ nodeId: 'grafana-test', defaultMetrics });
  return new Map((await m.registry.getMetricsAsJSON()).map((j) => [j.name, String(j.type)]));
}

/** The registry metric a queried series name belongs to (histogram series carry a suffix). */
function metricOf(series: string, types: Map<string, string>): string | undefined {
  if (types.has(series)) return series;
  const base = series.replace(HISTOGRAM_SUFFIX, '');
  return base !== series && types.get(base) === 'histogram' ? base : undefined;
}

describe('infra/grafana/headwater.json', () => {
  it('is a Grafana dashboard with a Prometheus datasource variable used by every query', () => {
    expect(dashboard.uid).toBe('headwater-overview');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const dsVar = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(dsVar).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) expect(v.datasource?.uid).toBe('${datasource}');
    expect(queryPanels.length).toBeGreaterThan(20);
    for (const p of queryPanels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe('${datasource}');
    }
  });

  it('has unique panel ids and panels inside the 24-column grid', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.gridPos.h, p.title).toBeGreaterThan(0);
    }
  });

  it('queries only metrics the registry has', async () => {
    const types = await registryTypes(true);
    for (const t of targets) {
      const names = t.expr.match(NAME) ?? [];
      expect(names.length, `${t.panel}: ${t.expr}`).toBeGreaterThan(0);
      for (const n of names) expect(metricOf(n, types), `${t.panel}: ${n} is not a registered metric`).toBeDefined();
    }
  });

  it('has a panel for every Headwater metric', async () => {
    const types = await registryTypes(false);
    const used = new Set(targets.flatMap((t) => (t.expr.match(NAME) ?? []).map((n) => metricOf(n, types))));
    for (const name of types.keys()) expect(used.has(name), `${name} has no panel`).toBe(true);
  });

  it('reads counters through rate()/increase() and histograms through histogram_quantile()', async () => {
    const types = await registryTypes(true);
    for (const t of targets) {
      for (const n of t.expr.match(NAME) ?? []) {
        const metric = metricOf(n, types)!;
        const type = types.get(metric);
        if (type === 'counter') expect(t.expr, `${t.panel}: counter ${n}`).toMatch(new RegExp(`\\b(rate|increase)\\(${n}\\b`));
        if (type === 'histogram') expect(t.expr, `${t.panel}: histogram ${n}`).toMatch(new RegExp(`histogram_quantile\\([^,]+, sum by \\(le[^)]*\\) \\(rate\\(${metric}_bucket\\b`));
      }
    }
  });

  it('has balanced brackets and braces in every expression', () => {
    const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
    for (const t of targets) {
      const stack: string[] = [];
      for (const ch of t.expr.replace(/"[^"]*"/g, '""')) {
        if ('([{'.includes(ch)) stack.push(ch);
        else if (ch in pairs) expect(stack.pop(), `${t.panel}: ${t.expr}`).toBe(pairs[ch]);
      }
      expect(stack, `${t.panel}: ${t.expr}`).toEqual([]);
    }
  });
});
