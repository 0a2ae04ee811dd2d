// Summarises a V8 .cpuprofile (written by `node --cpu-prof`): where the non-idle time went, by
// component (a headwater package, an npm package, node internals, GC) and by function, both
// self time and inclusive time. Also runnable alone: node bench/lib/profile-summary.mjs <file>.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** `libs/flv/dist/…` → `@headwater/flv`, `node_modules/pino/…` → `pino`, `node:…` → `node`. */
function component(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const hw = /\/(?:libs|services)\/([^/]+)\/dist\//.exec(url);
  if (hw) return `@headwater/${hw[1]}`;
  const nm = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return 'node';
  return path.basename(url);
}

function shortUrl(url) {
  if (!url) return '';
  const m = /\/((?:libs|services)\/.*|node_modules\/.*)$/.exec(url);
  return m ? m[1] : url.replace(/^file:\/\//, '');
}

/**
 * @param {string} file a .cpuprofile
 * @param {{ fromUs?: number, toUs?: number }} [window] only samples in this CLOCK_MONOTONIC
 *   window (µs, as `process.hrtime.bigint() / 1000n`; V8 stamps profiles with the same clock on
 *   Linux), e.g. the load phase without the server's start-up and shutdown
 * @returns {{ totalMs: number, busyMs: number, components: Array<[string, number]>, self: Array<[string, number]>, inclusive: Array<[string, number]> }}
 */
export function summarizeProfile(file, window = {}) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const fnKey = (n) => {
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    return cf.url ? `${name}  ${shortUrl(cf.url)}:${cf.lineNumber + 1}` : name;
  };

  const self = new Map();
  const inclusive = new Map();
  const components = new Map();
  let totalUs = 0;
  let busyUs = 0;
  let at = prof.startTime;
  prof.samples.forEach((id, i) => {
    // timeDeltas[i] is the time since the previous sample: charge it to this sample's stack.
    const us = prof.timeDeltas[i] ?? 0;
    at += us;
    if (at < (window.fromUs ?? -Infinity) || at > (window.toUs ?? Infinity)) return;
    totalUs += us;
    const leaf = byId.get(id);
    if (!leaf || leaf.callFrame.functionName === '(idle)') return;
    busyUs += us;
    const leafKey = fnKey(leaf);
    self.set(leafKey, (self.get(leafKey) ?? 0) + us);
    const comp = component(leaf.callFrame.url, leaf.callFrame.functionName);
    components.set(comp, (components.get(comp) ?? 0) + us);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const key = fnKey(byId.get(cur));
      if (seen.has(key)) continue; // recursion: count a function once per sample
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  });
  const top = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, us]) => [k, us / 1000]);
  inclusive.delete('(root)');
  return { totalMs: totalUs / 1000, busyMs: busyUs / 1000, components: top(components), self: top(self), inclusive: top(inclusive) };
}

/** Printable summary: the top `limit` rows of each view, as a share of busy (non-idle) time. */
export function formatProfileSummary(s, limit = 20) {
  const pct = (ms) => `${((100 * ms) / (s.busyMs || 1)).toFixed(1).padStart(5)}%`;
  const rows = (list) => list.slice(0, limit).map(([k, ms]) => `    ${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${k}`);
  return [
    `  busy ${s.busyMs.toFixed(0)} ms of ${s.totalMs.toFixed(0)} ms profiled`,
    '  self time by component:',
    ...rows(s.components),
    '  self time by function:',
    ...rows(s.self),
    '  inclusive time by function:',
    ...rows(s.inclusive),
  ].join('\n');
}

if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1])) {
  for (const file of process.argv.slice(2)) {
    console.log(`${file}\n${formatProfileSummary(summarizeProfile(file), 30)}`);
  }
}
