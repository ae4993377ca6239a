import { randomUUID } from 'node:crypto';
import type { QueueLossMarker, QueueLossState } from '@hoist/core';
import type { RedisConnection } from './redis.js';

/** The marker's value while the store is known whole. */
const WHOLE = 'whole';
/** Prefix of the value while a loss is pending; the rest is the loss's generation. */
const LOST = 'lost:';

/** GET, and SET when missing, in one step, so two processes noticing one loss agree on its generation. */
const CHECK = `
local value = redis.call('GET', KEYS[1])
if not value then
  value = ARGV[1]
  redis.call('SET', KEYS[1], value)
end
return value
`;

/** Compare-and-set: a newer loss (another generation, or the key gone again) is left pending. */
const RECOVERED = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) end
return 1
`;

/**
 * QueueLossMarker as one key, `<prefix>:queue-marker`, next to the queue's own keys in the same
 * Redis (so whatever loses the jobs loses the marker too). No expiry: only data loss removes it.
 */
export class RedisQueueLossMarker implements QueueLossMarker {
  private readonly key: string;

  /** `redis`: a producer connection (fails fast while Redis is down); not closed here. */
  constructor(private readonly options: { redis: RedisConnection; prefix: string }) {
    this.key = `${options.prefix}:queue-marker`;
  }

  async check(): Promise<QueueLossState> {
    const value = String(await this.options.redis.eval(CHECK, 1, this.key, `${LOST}${randomUUID()}`));
    return value.startsWith(LOST) ? { lost: true, generation: value.slice(LOST.length) } : { lost: false };
  }

  async recovered(generation: string): Promise<void> {
    await this.options.redis.eval(RECOVERED, 1, this.key, `${LOST}${generation}`, WHOLE);
  }
}
