// CPU time of a process and every descendant, including descendants that have already exited:
// proc(5) fields 16/17 (cutime/cstime) hold the CPU of the children a process has waited for,
// and Node reaps its children, so an ffmpeg that ran for 300 ms between two samples still lands
// in its worker's total. Sampling /proc/<pid>/stat of live processes alone (GroupMonitor) would
// lose short-lived children. Linux only.
import { readdirSync, readFileSync } from 'node:fs';

/** Fields after the `(comm)` field: [0] state, [1] ppid, ... [11] utime, [12] stime, [13] cutime, [14] cstime. */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return { comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), f: text.slice(text.lastIndexOf(')') + 2).split(' ') };
}

/** Every live process: pid -> { ppid, comm, own: utime+stime, reaped: cutime+cstime } in clock ticks. */
export function processTable() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const { comm, f } = statFields(name);
      table.set(Number(name), {
        ppid: Number(f[1]),
        comm,
        user: Number(f[11]),
        sys: Number(f[12]),
        reapedUser: Number(f[13]),
        reapedSys: Number(f[14]),
      });
    } catch {
      // Exited between readdir and read.
    }
  }
  return table;
}

/**
 * `{ user, sys, ticks, rootTicks, pids }` (`rootTicks`: the roots' own time, without any
 * descendant's) of the tree rooted at each of `roots` together: own time of every
 * live process in it plus the time of the children each has reaped. A child reaped between
 * reading it and reading its parent can be counted twice or not at all: negligible next to a
 * bench window (it would take exact coincidence with one /proc read).
 */
export function treeCpu(roots, table = processTable()) {
  const children = new Map();
  for (const [pid, p] of table) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(pid);
  }
  let user = 0;
  let sys = 0;
  let pids = 0;
  let rootTicks = 0;
  const rootSet = new Set(roots);
  const seen = new Set();
  const stack = [...roots];
  while (stack.length > 0) {
    const pid = stack.pop();
    if (seen.has(pid)) continue;
    seen.add(pid);
    const p = table.get(pid);
    if (!p) continue;
    pids++;
    if (rootSet.has(pid)) rootTicks += p.user + p.sys;
    user += p.user + p.reapedUser;
    sys += p.sys + p.reapedSys;
    stack.push(...(children.get(pid) ?? []));
  }
  return { user, sys, ticks: user + sys, rootTicks, pids };
}

/** Pids of live children of `ppid` whose command name is `comm` (e.g. our redis-server). */
export function childPidsNamed(ppid, comm, table = processTable()) {
  return [...table].filter(([, p]) => p.ppid === ppid && p.comm === comm).map(([pid]) => pid);
}
