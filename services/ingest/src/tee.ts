import type { Logger } from '@headwater/log';

/** What every consumer learns when a publish session starts. Contains no secret. */
export interface SessionInfo {
  readonly sessionId: string;
  readonly channelId: string;
  readonly connectionId: string;
  readonly app: string;
  readonly startedAt: Date;
}

/** One FLV tag as received: `body` is the RTMP message payload, byte for byte. */
export interface MediaTag {
  readonly type: 8 | 9 | 18;
  /** Milliseconds, unsigned 32-bit as on the wire (wraps after ~49.7 days). */
  readonly timestampMs: number;
  readonly body: Uint8Array;
}

export type EndReason = 'unpublished' | 'disconnected' | 'taken-over' | 'protocol-error' | 'shutdown' | 'kicked';

/**
 * A downstream of a publish session (the archive, the transcoder feed). `tag()` is called on
 * the ingest hot path: it must return at once and keep its own bounded buffer; a consumer that
 * cannot keep up must drop itself (throw) rather than slow ingest.
 */
export interface MediaConsumer {
  readonly name: string;
  start(info: SessionInfo): void | Promise<void>;
  tag(tag: MediaTag): void;
  /** Flushes and closes; may take long (uploads), never blocks ingest. */
  end(reason: EndReason): Promise<void>;
}

export type ConsumerFactory = (info: SessionInfo) => MediaConsumer | Promise<MediaConsumer>;

/**
 * Fans one publish session out to its consumers. A consumer that throws is detached and
 * logged; the session and the other consumers go on.
 */
export class Tee {
  private readonly live: MediaConsumer[];

  constructor(
    consumers: readonly MediaConsumer[],
    private readonly logger: Logger,
  ) {
    this.live = [...consumers];
  }

  get consumerNames(): string[] {
    return this.live.map((c) => c.name);
  }

  push(tag: MediaTag): void {
    for (let i = 0; i < this.live.length; i++) {
      const consumer = this.live[i]!;
      try {
        consumer.tag(tag);
      } catch (err) {
        this.detach(consumer, err);
        i--;
      }
    }
  }

  /** Ends every consumer; resolves when all have flushed (failures are logged, not thrown). */
  async end(reason: EndReason): Promise<void> {
    const consumers = this.live.splice(0);
    await Promise.all(consumers.map((consumer) => this.finish(consumer, reason)));
  }

  private detach(consumer: MediaConsumer, err: unknown): void {
    this.live.splice(this.live.indexOf(consumer), 1);
    this.logger.error({ consumer: consumer.name, err: errorSummary(err) }, 'consumer detached after an error');
    void this.finish(consumer, 'protocol-error');
  }

  /**
   * Ends one consumer. Async so that an `end()` that throws synchronously (or returns no
   * promise) is caught too: it must not escape `push()` and starve the consumers after it.
   */
  private async finish(consumer: MediaConsumer, reason: EndReason): Promise<void> {
    try {
      await consumer.end(reason);
    } catch (err) {
      this.logger.error({ consumer: consumer.name, err: errorSummary(err) }, 'consumer failed to finish');
    }
  }
}

/** Name, code and message only: no stacks full of paths, no request dumps with credentials. */
export function errorSummary(err: unknown): { name: string; code?: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, ...(typeof code === 'string' ? { code } : {}), message: err.message };
  }
  return { name: 'Error', message: String(err) };
}
