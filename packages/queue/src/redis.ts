import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

/**
 * A Redis connection for BullMQ.
 * - `worker`: blocking commands must never give up, so requests wait for reconnection
 *   (`maxRetriesPerRequest: null`, as BullMQ requires for workers).
 * - `producer`: the API must answer quickly when Redis is down, so commands fail fast
 *   instead of queueing while disconnected.
 */
export function createRedis(url: string, role: 'worker' | 'producer', extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 };
  const redis = new Redis(url, { ...options, lazyConnect: false, ...extra });
  // Connection errors surface through the commands that fail; without a listener ioredis would
  // also print them as unhandled "error" events.
  redis.on('error', () => undefined);
  return redis;
}

// ioredis's own words for "not connected": a producer connection fails fast (no offline queue, one
// retry) instead of waiting, and says so in these.
const UNREACHABLE_MESSAGES = /Stream isn't writeable|Connection is closed|Reached the max retries per request limit|connect ETIMEDOUT|Command timed out/i;
// Redis's own replies for "not now": loading its data after a restart, a replica after a failover,
// a master or cluster that is down or resharding. All pass; none says the command was wrong.
const UNAVAILABLE_REPLIES = /^(?:LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** True when `error` says Redis could not be reached or went away, not that a command was wrong. */
export function isRedisConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (error instanceof AggregateError) return error.errors.some(isRedisConnectionError);
  return error.name === 'MaxRetriesPerRequestError' || UNREACHABLE_MESSAGES.test(error.message) || UNAVAILABLE_REPLIES.test(error.message);
}

/** Resolves when Redis answers PING within `timeoutMs`. */
export async function pingRedis(redis: Redis, timeoutMs = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer PING within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([redis.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
