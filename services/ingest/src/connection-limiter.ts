/** Caps connections globally and per client IP, before any byte is parsed. */
export class ConnectionLimiter {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerIp: number,
  ) {}

  /** Returns a release function, or the reason the connection is refused. */
  acquire(ip: string): { ok: true; release: () => void } | { ok: false; reason: 'max-connections' | 'max-connections-per-ip' } {
    if (this.total >= this.maxTotal) return { ok: false, reason: 'max-connections' };
    const n = this.perIp.get(ip) ?? 0;
    if (n >= this.maxPerIp) return { ok: false, reason: 'max-connections-per-ip' };
    this.total++;
    this.perIp.set(ip, n + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.perIp.get(ip) ?? 1) - 1;
        if (left === 0) this.perIp.delete(ip);
        else this.perIp.set(ip, left);
      },
    };
  }

  get connections(): number {
    return this.total;
  }
}
