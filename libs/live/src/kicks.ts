import type { Redis } from 'ioredis';
import { isSafeId } from '@headwater/jobs';

/** Redis pub/sub channel of kick requests; messages are channel ids. */
export const KICK_CHANNEL = 'headwater:live:kick';

/**
 * Asks every ingest node to drop the channel's publish (if it has one). Resolves to the number
 * of subscribers (ingest nodes) that received the request, not of publishes dropped: Redis
 * pub/sub does not answer back.
 */
export async function requestKick(redis: Redis, channelId: string): Promise<number> {
  if (!isSafeId(channelId)) throw new TypeError('channelId must be a safe id');
  return redis.publish(KICK_CHANNEL, channelId);
}

/**
 * Calls `onKick(channelId)` for every kick request. `subscriber` must be a dedicated connection
 * (a subscribed Redis connection accepts no other commands); ioredis resubscribes after a
 * reconnect by itself. Resolves once subscribed, to a function that unsubscribes. Messages that
 * are not channel ids are ignored; an exception from `onKick` does not stop the subscription.
 */
export async function subscribeKicks(subscriber: Redis, onKick: (channelId: string) => void): Promise<() => Promise<void>> {
  const listener = (channel: string, message: string): void => {
    if (channel !== KICK_CHANNEL || !isSafeId(message)) return;
    try {
      onKick(message);
    } catch {
      // The kicker's problem, not the subscription's: the next request must still arrive.
    }
  };
  subscriber.on('message', listener);
  try {
    await subscriber.subscribe(KICK_CHANNEL);
  } catch (err) {
    subscriber.off('message', listener);
    throw err;
  }
  return async () => {
    subscriber.off('message', listener);
    await subscriber.unsubscribe(KICK_CHANNEL);
  };
}
