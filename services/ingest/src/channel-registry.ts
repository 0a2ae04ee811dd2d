/**
 * One publisher per channel. A new publish with a valid key takes the channel over (OBS
 * reconnecting after a network drop must not be locked out by its own stale connection);
 * the previous holder is told to close.
 */
export interface ChannelHolder {
  readonly connectionId: string;
  /** Closes the holder's connection; called when another publisher takes the channel over. */
  evict(reason: 'taken-over' | 'kicked'): void;
}

export class ChannelRegistry {
  private readonly holders = new Map<string, ChannelHolder>();

  constructor(private readonly allowTakeover: boolean) {}

  /** Claims `channelId` for `holder`; returns false when the channel is busy and takeover is off. */
  claim(channelId: string, holder: ChannelHolder): boolean {
    const current = this.holders.get(channelId);
    if (current && current !== holder) {
      if (!this.allowTakeover) return false;
      this.holders.set(channelId, holder);
      current.evict('taken-over');
      return true;
    }
    this.holders.set(channelId, holder);
    return true;
  }

  /** Releases the claim if `holder` still holds it (a taken-over holder releases nothing). */
  release(channelId: string, holder: ChannelHolder): void {
    if (this.holders.get(channelId) === holder) this.holders.delete(channelId);
  }

  holder(channelId: string): ChannelHolder | undefined {
    return this.holders.get(channelId);
  }

  kick(channelId: string): boolean {
    const current = this.holders.get(channelId);
    if (!current) return false;
    this.holders.delete(channelId);
    current.evict('kicked');
    return true;
  }

  get size(): number {
    return this.holders.size;
  }

  channels(): string[] {
    return [...this.holders.keys()];
  }
}
