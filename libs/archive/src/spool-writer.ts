import { close, write, writeSync } from 'node:fs';

/**
 * Appends bytes to an open file without blocking the caller and with bounded memory.
 *
 * Bytes are copied (callers may reuse their buffers) into a staging buffer of `bufferBytes`.
 * The staging buffer is written with one async positional write at a time, scheduled with
 * `setImmediate` (so one event-loop turn of small writes becomes one syscall) or as soon as it is
 * full. While an async write is in flight the next bytes fill a second buffer; if that one fills up
 * too (the disk is slower than the stream), it is written synchronously: the caller waits for the
 * local disk instead of memory growing. Memory is therefore at most 2 × `bufferBytes`, and
 * {@link bufferedBytes} never exceeds that.
 *
 * Writes are positional (`pwrite`), so the synchronous write of the second buffer may land while
 * the async write below it is still in flight; {@link durableBytes} only counts the contiguous
 * prefix that the OS has accepted. Bytes the OS accepted survive a crash of this process (SIGKILL)
 * but not of the machine: nothing is fsynced.
 */
export class SpoolWriter {
  private stage: Buffer;
  private spare: Buffer | null = null;
  private stageLength = 0;
  /** End of the bytes handed to the OS (async in flight included). */
  private dispatchedEnd = 0;
  private inFlight: { start: number; length: number } | null = null;
  private flushScheduled = false;
  private failure: Error | null = null;
  private dropped = 0;
  private idleWaiters: (() => void)[] = [];
  private closing: Promise<void> | null = null;

  constructor(
    private readonly fd: number,
    readonly bufferBytes: number,
    /** Called after durableBytes moved forward. */
    private readonly onProgress: () => void,
    /** Called once, on the first write error; later bytes are dropped and counted. */
    private readonly onError: (err: Error) => void,
  ) {
    this.stage = Buffer.allocUnsafe(bufferBytes);
  }

  /** Bytes given to {@link append}, dropped ones excluded. */
  get acceptedBytes(): number {
    return this.dispatchedEnd + this.stageLength;
  }

  /** Length of the file prefix known to be written. */
  get durableBytes(): number {
    return this.inFlight !== null ? this.inFlight.start : this.dispatchedEnd;
  }

  /** Bytes held in memory: staged plus being written. At most 2 × bufferBytes. */
  get bufferedBytes(): number {
    return this.stageLength + (this.inFlight?.length ?? 0);
  }

  /** Bytes dropped after a write error. */
  get droppedBytes(): number {
    return this.dropped;
  }

  get failed(): Error | null {
    return this.failure;
  }

  append(chunk: Uint8Array): void {
    if (this.failure !== null || this.closing !== null) {
      this.dropped += chunk.length;
      return;
    }
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, this.stage.length - this.stageLength);
      this.stage.set(chunk.subarray(offset, offset + n), this.stageLength);
      this.stageLength += n;
      offset += n;
      if (this.stageLength === this.stage.length) this.flush(true);
      if (this.failure !== null) {
        this.dropped += chunk.length - offset;
        return;
      }
    }
    if (this.stageLength > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush(false);
      });
    }
  }

  /** Write everything staged, wait for it, then close the file. Rejects with the write error, if any. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.flush(false);
      await new Promise<void>((resolve) => {
        if (this.isIdle()) resolve();
        else this.idleWaiters.push(resolve);
      });
      const closeError = await new Promise<Error | null>((resolve) => close(this.fd, resolve));
      if (this.failure !== null) throw this.failure;
      if (closeError !== null) throw closeError;
    })();
    return this.closing;
  }

  private isIdle(): boolean {
    return this.failure !== null || (this.stageLength === 0 && this.inFlight === null);
  }

  private flush(full: boolean): void {
    if (this.stageLength === 0 || this.failure !== null) return;
    if (this.inFlight === null) {
      const buffer = this.stage;
      const length = this.stageLength;
      const start = this.dispatchedEnd;
      this.stage = this.spare ?? Buffer.allocUnsafe(this.bufferBytes);
      this.spare = null;
      this.stageLength = 0;
      this.inFlight = { start, length };
      this.dispatchedEnd += length;
      this.writeAsync(buffer, 0, length, start);
    } else if (full) {
      try {
        let done = 0;
        while (done < this.stageLength) {
          done += writeSync(this.fd, this.stage, done, this.stageLength - done, this.dispatchedEnd + done);
        }
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      this.dispatchedEnd += this.stageLength;
      this.stageLength = 0;
    }
  }

  private writeAsync(buffer: Buffer, offset: number, length: number, position: number): void {
    write(this.fd, buffer, offset, length, position, (err, written) => {
      if (err) {
        this.fail(err);
        return;
      }
      if (written < length) {
        // Short write (rare on regular files): finish the rest before releasing the buffer.
        this.writeAsync(buffer, offset + written, length - written, position + written);
        return;
      }
      this.spare = buffer;
      this.inFlight = null;
      this.onProgress();
      if (this.stageLength > 0) this.flush(false);
      if (this.isIdle()) this.wakeIdle();
    });
  }

  private fail(err: Error): void {
    if (this.failure !== null) return;
    this.failure = err;
    this.dropped += this.stageLength;
    this.stageLength = 0;
    this.onError(err);
    this.wakeIdle();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
