// Linux /proc accounting for the servers under test: CPU time (utime + stime, all threads) and
// resident memory (VmRSS) of every process in a process group. Each server is spawned as the
// leader of its own group (`detached: true`), so nginx's master and worker are found together
// and nothing else (the bench, the load generator, Redis, S3) is ever counted.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of the utime/stime fields (`getconf CLK_TCK`, 100 on Linux). */
export const CLK_TCK = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/<pid>/stat after the `(comm)` field, which may itself contain spaces. */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** Pids whose process group is `pgid` (proc(5): field 5 "pgrp"). */
export function groupPids(pgid) {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // After the comm field: [0] state, [1] ppid, [2] pgrp.
      if (Number(statFields(name)[2]) === pgid) pids.push(Number(name));
    } catch {
      // The process exited between readdir and read.
    }
  }
  return pids;
}

/** `{ user, sys }` CPU time of one process (all threads) in clock ticks, or undefined if it is gone. */
export function cpuTicks(pid) {
  try {
    const f = statFields(pid);
    // proc(5) fields 14 (utime) and 15 (stime), i.e. indexes 11 and 12 counted from the state field.
    return { user: Number(f[11]), sys: Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** VmRSS of one process in bytes, or undefined if it is gone. */
export function rssBytes(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Follows one process group: CPU ticks summed over every pid ever seen in it (a process that
 * exits keeps its last reading, so its work is not lost from the sum) and the group's summed
 * RSS, sampled every `intervalMs` with the peak kept.
 */
export class GroupMonitor {
  /** @param {number} pgid the group leader's pid */
  constructor(pgid, { intervalMs = 200, rediscoverMs = 1000 } = {}) {
    this.pgid = pgid;
    this.intervalMs = intervalMs;
    this.rediscoverMs = rediscoverMs;
    /** @type {Map<number, { user: number, sys: number }>} pid -> last cpu ticks read */
    this.ticks = new Map();
    this.pids = [];
    this.lastDiscovery = 0;
    this.peakRss = 0;
    /** Date.now() of the peak. */
    this.peakAt = 0;
    this.timer = undefined;
  }

  /** Reads every pid once; returns `{ ticks, userTicks, sysTicks, rss, pids }` for the whole group now. */
  sample() {
    const now = Date.now();
    if (now - this.lastDiscovery >= this.rediscoverMs || this.pids.length === 0) {
      this.pids = groupPids(this.pgid);
      this.lastDiscovery = now;
    }
    let rss = 0;
    for (const pid of this.pids) {
      const t = cpuTicks(pid);
      if (t !== undefined) this.ticks.set(pid, t);
      rss += rssBytes(pid) ?? 0;
    }
    let userTicks = 0;
    let sysTicks = 0;
    for (const t of this.ticks.values()) {
      userTicks += t.user;
      sysTicks += t.sys;
    }
    if (rss > this.peakRss) {
      this.peakRss = rss;
      this.peakAt = now;
    }
    return { ticks: userTicks + sysTicks, userTicks, sysTicks, rss, pids: this.pids.length };
  }

  /** Starts periodic sampling with a fresh peak; returns the first sample. */
  start() {
    this.peakRss = 0;
    const first = this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return first;
  }

  /** Stops sampling; returns a last sample. */
  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
    return this.sample();
  }
}
