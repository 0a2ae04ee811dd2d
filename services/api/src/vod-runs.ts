/** Archives read at once by one API process (each streams an archive from S3 and writes its segments back). */
export const MAX_RUNNING_VOD_RUNS = 4;
/** Finished runs remembered (for their failure reason), oldest forgotten first. */
const MAX_REMEMBERED_RUNS = 1000;

/** What this process knows of a VOD run it started: its packaging state says the rest. */
export type VodRunStatus = { readonly status: 'running'; readonly channelId: string } | { readonly status: 'done'; readonly channelId: string } | { readonly status: 'failed'; readonly channelId: string; readonly reason: string };

/**
 * The archive reads (`transcodeArchive`) this API process runs in the background after
 * answering 202: their status until the packaging state takes over, failures kept for
 * `GET /api/v1/vod/:sessionId`, and their cancellation on close.
 */
export class VodRuns {
  private readonly runs = new Map<string, VodRunStatus>();
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();

  /** Whether another run may start now. */
  get full(): boolean {
    return this.running.size >= MAX_RUNNING_VOD_RUNS;
  }

  /**
   * Starts `run` in the background. The returned promise settles with the run (rejects with its
   * error), for callers that wait a little before answering; the status is kept either way.
   */
  start(sessionId: string, channelId: string, run: (signal: AbortSignal) => Promise<unknown>): Promise<unknown> {
    const abort = new AbortController();
    this.remember(sessionId, { status: 'running', channelId });
    const result = run(abort.signal);
    const done = result.then(
      () => this.remember(sessionId, { status: 'done', channelId }),
      (err: unknown) => this.remember(sessionId, { status: 'failed', channelId, reason: abort.signal.aborted ? 'cancelled: the API stopped' : (err as Error).message }),
    );
    this.running.set(sessionId, { abort, done: done.finally(() => this.running.delete(sessionId)) });
    return result;
  }

  get(sessionId: string): VodRunStatus | undefined {
    return this.runs.get(sessionId);
  }

  /** Cancels the running reads and waits for them to stop. */
  async close(): Promise<void> {
    const all = [...this.running.values()];
    for (const r of all) r.abort.abort();
    await Promise.all(all.map((r) => r.done));
  }

  private remember(sessionId: string, status: VodRunStatus): void {
    this.runs.delete(sessionId);
    this.runs.set(sessionId, status);
    if (this.runs.size > MAX_REMEMBERED_RUNS) {
      const oldest = this.runs.keys().next();
      if (oldest.done !== true) this.runs.delete(oldest.value);
    }
  }
}
