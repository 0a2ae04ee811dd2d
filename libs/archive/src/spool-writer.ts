import { close, write, writeSync } from 'node:fs';
import { ArchiveError, ArchiveErrorCode } from './archive-error.js';

/**
 * Staged bytes that are written at once. A few tens of KiB per syscall: the ingest hands over
 * one FLV tag (~2 KB) per event-loop turn, and a write per turn cost more CPU than the rest of the
 * ingest (~1,400 pwrite/s for 20 streams of 0.9 Mbit/s).
 */
export const SPOOL_FLUSH_BYTES = 64 * 1024;
/**
 * Longest a staged byte waits for {@link SPOOL_FLUSH_BYTES} before it is written anyway (unless the
 * previous write is still in flight). This is also what a SIGKILL may cost: staged bytes are in
 * process memory only.
 */
export const SPOOL_FLUSH_DELAY_MS = 200;

export interface SpoolWriterOptions {
  /** Write as soon as this much is staged; capped at half of `bufferBytes`. @defaultValue {@link SPOOL_FLUSH_BYTES} */
  flushBytes?: number;
  /** Write what is staged this long after its first byte arrived. @defaultValue {@link SPOOL_FLUSH_DELAY_MS} */
  flushDelayMs?: number;
}

/** How {@link SpoolWriter.flush} may write the staging buffer. */
type FlushMode =
  /** Threshold, timer or close: start an async write unless one is in flight. */
  | 'due'
  /** The staging buffer is full: if a write is in flight, write it synchronously. */
  | 'full';

/**
 * Appends bytes to an open file without blocking the caller, with few syscalls and bounded memory.
 *
 * Memory is two staging buffers of `bufferBytes / 2`, so {@link bufferedBytes} never exceeds
 * `bufferBytes`. Appended bytes are copied (callers may reuse their buffers) into the current one;
 * it is written with one async positional write when `flushBytes` are staged, or `flushDelayMs`
 * after its first byte arrived, or on {@link close}: many small appends become one syscall. The
 * write takes the buffer along and the appends continue in the other one, so a buffer is never
 * modified while the OS reads it. If the current buffer fills up while the other is still being
 * written (the disk is a whole buffer behind the stream), it is written synchronously: the caller
 * waits for the local disk instead of memory growing.
 *
 * The file only ever grows as a contiguous prefix of the stream: an async write starts when
 * everything below it is written, and the synchronous fallback first writes the in-flight bytes
 * again itself (once per async write), so no SIGKILL can leave a hole. {@link durableBytes} counts
 * that prefix. Bytes the OS accepted survive a crash of this process (SIGKILL) but not of the
 * machine: nothing is fsynced. Staged bytes (at most `bufferBytes`, normally at most `flushDelayMs`
 * old; older only while the disk is slower than that) are lost on SIGKILL.
 */
export class SpoolWriter {
  private readonly flushBytes: number;
  private readonly flushDelayMs: number;
  private stage: Buffer;
  private spare: Buffer | null = null;
  private stageLength = 0;
  /** End of the bytes handed to the OS (async in flight included). */
  private dispatchedEnd = 0;
  /** The async write: `buffer[0, length)` goes to file offset `start`. */
  private inFlight: { buffer: Buffer; start: number; length: number; rewritten: boolean } | null = null;
  /** Armed when the first byte enters an empty stage; cleared when the stage is handed to the OS. */
  private timer: NodeJS.Timeout | null = null;
  /** The timer fired (or close() ran) while a write was in flight: write the stage when it is done. */
  private flushDue = false;
  private writeCalls = 0;
  private failure: Error | null = null;
  private dropped = 0;
  private idleWaiters: (() => void)[] = [];
  private closing: Promise<void> | null = null;

  constructor(
    private readonly fd: number,
    /** Memory bound: two staging buffers of half this each. */
    readonly bufferBytes: number,
    /** Called after durableBytes moved forward. */
    private readonly onProgress: () => void,
    /** Called once, on the first write error; later bytes are dropped and counted. */
    private readonly onError: (err: Error) => void,
    options: SpoolWriterOptions = {},
  ) {
    const halfBytes = Math.floor(bufferBytes / 2);
    if (!Number.isSafeInteger(halfBytes) || halfBytes < 1) {
      throw new ArchiveError(ArchiveErrorCode.BadOption, `bufferBytes must be an integer of at least 2, got ${bufferBytes}`);
    }
    this.flushBytes = Math.max(1, Math.min(options.flushBytes ?? SPOOL_FLUSH_BYTES, halfBytes));
    this.flushDelayMs = Math.max(0, options.flushDelayMs ?? SPOOL_FLUSH_DELAY_MS);
    this.stage = Buffer.allocUnsafe(halfBytes);
  }

  /** Bytes given to {@link append}, dropped ones excluded. */
  get acceptedBytes(): number {
    return this.dispatchedEnd + this.stageLength;
  }

  /** Length of the file prefix known to be written. */
  get durableBytes(): number {
    return this.inFlight === null || this.inFlight.rewritten ? this.dispatchedEnd : this.inFlight.start;
  }

  /** Bytes held in memory: staged plus being written. At most bufferBytes. */
  get bufferedBytes(): number {
    return this.stageLength + (this.inFlight?.length ?? 0);
  }

  /** Bytes dropped after a write error. */
  get droppedBytes(): number {
    return this.dropped;
  }

  /** Write calls issued to the file (async, sync, and the rest of short writes). */
  get writes(): number {
    return this.writeCalls;
  }

  get failed(): Error | null {
    return this.failure;
  }

  /**
   * Copy bytes into the staging buffer; an array (e.g. FLV tag header, body, trailer) is copied
   * piece by piece into the same buffer, without joining the pieces first.
   */
  append(chunks: Uint8Array | readonly Uint8Array[]): void {
    if (chunks instanceof Uint8Array) this.copyIn(chunks);
    else for (const chunk of chunks) this.copyIn(chunk);
    if (this.stageLength === 0) return;
    if (this.stageLength >= this.flushBytes) this.flush('due');
    if (this.stageLength > 0 && this.timer === null && !this.flushDue && this.closing === null && this.failure === null) {
      this.timer = setTimeout(() => this.onTimer(), this.flushDelayMs);
      // Never keeps the process alive: close()/finish() write what is staged.
      this.timer.unref();
    }
  }

  /** Write everything staged, wait for it, then close the file. Rejects with the write error, if any. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.clearTimer();
      this.flushDue = true;
      this.flush('due');
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

  private copyIn(chunk: Uint8Array): void {
    if (this.failure !== null || this.closing !== null) {
      this.dropped += chunk.length;
      return;
    }
    if (chunk.length < this.stage.length - this.stageLength) {
      // The common case (a tag piece that fits): one copy, no view allocated.
      this.stage.set(chunk, this.stageLength);
      this.stageLength += chunk.length;
      return;
    }
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, this.stage.length - this.stageLength);
      this.stage.set(chunk.subarray(offset, offset + n), this.stageLength);
      this.stageLength += n;
      offset += n;
      if (this.stageLength === this.stage.length) this.flush('full');
      if (this.failure !== null) {
        this.dropped += chunk.length - offset;
        return;
      }
    }
  }

  private isIdle(): boolean {
    return this.failure !== null || (this.stageLength === 0 && this.inFlight === null);
  }

  private onTimer(): void {
    this.timer = null;
    // A write in flight owns the other buffer: this stage goes as soon as it completes.
    this.flushDue = true;
    this.flush('due');
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** All staged bytes were handed to the OS: nothing is waiting any more. */
  private stageHandedOver(): void {
    this.stageLength = 0;
    this.flushDue = false;
    this.clearTimer();
  }

  private flush(mode: FlushMode): void {
    if (this.stageLength === 0 || this.failure !== null) return;
    if (this.inFlight === null) {
      const buffer = this.stage;
      const length = this.stageLength;
      const start = this.dispatchedEnd;
      this.stage = this.spare ?? Buffer.allocUnsafe(buffer.length);
      this.spare = null;
      this.stageHandedOver();
      this.inFlight = { buffer, start, length, rewritten: false };
      this.dispatchedEnd += length;
      this.writeAsync(buffer, 0, length, start);
    } else if (mode === 'full') {
      const inFlight = this.inFlight;
      try {
        // The async write may not have reached the file yet (it waits for a libuv thread), and a
        // SIGKILL before it does would leave a hole of zeros below the bytes written here: write
        // its bytes first, synchronously. Writing the same bytes at the same offsets twice is
        // harmless, whichever lands last, and its buffer is only read, never modified.
        if (!inFlight.rewritten) {
          this.writeFully(inFlight.buffer, inFlight.length, inFlight.start);
          inFlight.rewritten = true;
        }
        this.writeFully(this.stage, this.stageLength, this.dispatchedEnd);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      this.dispatchedEnd += this.stageLength;
      this.stageHandedOver();
    }
  }

  /** `buffer[0, length)` to file offset `position`, synchronously; throws the write error. */
  private writeFully(buffer: Buffer, length: number, position: number): void {
    let done = 0;
    while (done < length) {
      this.writeCalls++;
      done += writeSync(this.fd, buffer, done, length - done, position + done);
    }
  }

  private writeAsync(buffer: Buffer, offset: number, length: number, position: number): void {
    this.writeCalls++;
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
      // What was staged meanwhile waits for its own threshold or timer, unless either already passed.
      if (this.flushDue || this.stageLength >= this.flushBytes) this.flush('due');
      if (this.isIdle()) this.wakeIdle();
    });
  }

  private fail(err: Error): void {
    if (this.failure !== null) return;
    this.failure = err;
    this.dropped += this.stageLength;
    this.stageHandedOver();
    this.onError(err);
    this.wakeIdle();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
