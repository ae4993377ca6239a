import { randomUUID } from 'node:crypto';
import { RateLimitedError, type Logger, type ProviderThrottle } from '@hoist/core';
import { rateLimitPause } from './backoff.js';
import type { Redis } from './redis.js';

/**
 * The cluster's shared pace, in one Redis hash. `rate` is requests per second (0: nothing learned
 * yet and no ceiling, so no pacing at all); a token bucket of size one spaces requests 1/rate apart
 * across every worker, so the pace holds with no bursts.
 *
 * Acquire: wait while paused; otherwise grow a learned rate a little (additive increase), refill,
 * and take a token or say how long until one is due. Time is Redis's own (TIME), so clock skew
 * between worker hosts cannot mint tokens.
 */
const ACQUIRE = `
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ceiling = tonumber(ARGV[1])
local increase = tonumber(ARGV[2])
local h = redis.call('HMGET', key, 'rate', 'tokens', 'ts', 'pausedUntil')
local rate = tonumber(h[1]) or 0
local tokens = tonumber(h[2]) or 1
local ts = tonumber(h[3]) or now
local pausedUntil = tonumber(h[4]) or 0
if now < pausedUntil then return pausedUntil - now end
local elapsed = math.max(0, now - ts) / 1000
-- Growth counts at most one second per call: idle time (or a pause) is no evidence the provider
-- would take more, and must not turn the learned pace into a burst.
if rate > 0 then rate = rate + rate * increase * math.min(elapsed, 1) end
if ceiling > 0 and (rate == 0 or rate > ceiling) then rate = ceiling end
if rate == 0 then
  redis.call('HSET', key, 'ts', now, 'tokens', 1)
  redis.call('PEXPIRE', key, 86400000)
  return 0
end
tokens = math.min(1, tokens + elapsed * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate * 1000) end
redis.call('HSET', key, 'rate', rate, 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', key, 86400000)
return wait
`;

/** Counts a success in a sliding two-second window: the rate the provider is admitting. */
const SUCCEEDED = `
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', key, now, now .. ':' .. ARGV[1])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - 2000)
redis.call('PEXPIRE', key, 10000)
return 0
`;

/**
 * Limited: one cut per congestion event (420s from requests already in flight count once): the new
 * pace is a fraction of what the provider admitted over the last two seconds, or of the current
 * pace when that is lower; and everyone waits until the reset.
 */
const LIMITED = `
local key = KEYS[1]
local successes = KEYS[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pauseUntil = now + tonumber(ARGV[1])
local cut = tonumber(ARGV[2])
local h = redis.call('HMGET', key, 'rate', 'lastCut', 'pausedUntil')
local rate = tonumber(h[1]) or 0
local lastCut = tonumber(h[2]) or 0
local pausedUntil = tonumber(h[3]) or 0
if now > math.max(lastCut + 1000, pausedUntil) then
  -- Successes per second over the window, measured over the span they actually cover: right after
  -- a start the window holds only a short burst, and dividing by the full two seconds would halve
  -- the estimate (then 1 %/s growth takes most of a minute to recover).
  local count = redis.call('ZCOUNT', successes, now - 2000, '+inf')
  local admitted = 0
  if count > 0 then
    local oldest = tonumber(redis.call('ZRANGEBYSCORE', successes, now - 2000, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)[2])
    admitted = count * 1000 / math.max(500, now - oldest)
  end
  if admitted > 0 and (rate == 0 or admitted < rate) then
    rate = math.max(0.5, admitted * cut)
  elseif rate > 0 then
    rate = math.max(0.5, rate * cut)
  end
  -- Nothing admitted and nothing learned: no evidence of a sustainable rate, so only the pause applies.
  lastCut = now
end
pausedUntil = math.max(pausedUntil, pauseUntil)
-- The bucket restarts empty at the end of the pause: the first request after it waits its turn.
redis.call('HSET', key, 'rate', rate, 'lastCut', lastCut, 'pausedUntil', pausedUntil, 'tokens', 0, 'ts', pausedUntil)
redis.call('PEXPIRE', key, 86400000)
return pausedUntil - now
`;

export interface RedisThrottleOptions {
  redis: Redis;
  /** Key prefix (the queue prefix), so deployments sharing a Redis don't share a pace. */
  prefix: string;
  /** Cluster-wide ceiling, requests per second (PROVIDER_RATE_LIMIT); undefined: learn from 420s only. */
  ceiling?: number | undefined;
  /** Pause when the provider names no reset time, ms. */
  fallbackPauseMs: number;
  logger: Logger;
  /** Fraction of the admitted rate to continue at after a rate limit; default 0.95. */
  cut?: number;
  /** Relative growth of a learned rate per second without rate limits; default 0.01 (1 %/s). */
  increase?: number;
  /** Longest wait inside acquire(), ms; a longer one throws RateLimitedError instead. Default 5 000. */
  maxWaitMs?: number;
}

/** ProviderThrottle shared by every worker through Redis (Lua scripts, so each step is atomic). */
export class RedisThrottle implements ProviderThrottle {
  private readonly key: string;
  private readonly successesKey: string;

  constructor(private readonly options: RedisThrottleOptions) {
    this.key = `${options.prefix}:hoist:throttle`;
    this.successesKey = `${options.prefix}:hoist:throttle:ok`;
  }

  async acquire(): Promise<void> {
    const maxWaitMs = this.options.maxWaitMs ?? 5_000;
    for (;;) {
      const wait = Number(await this.options.redis.eval(ACQUIRE, 1, this.key, this.options.ceiling ?? 0, this.options.increase ?? 0.01));
      if (wait <= 0) return;
      // A long wait is a provider pause: hand the job back to the queue (no attempt spent) rather
      // than hold a worker slot and a claimed upload for its whole length.
      if (wait > maxWaitMs) throw new RateLimitedError('Provider rate-limit pause in effect', { resetAt: new Date(Date.now() + wait) });
      // A little jitter so waiters polling for the same token don't arrive in lockstep.
      await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * 10));
    }
  }

  async succeeded(): Promise<void> {
    await this.options.redis.eval(SUCCEEDED, 1, this.successesKey, randomUUID());
  }

  async limited(resetAt: Date | undefined): Promise<void> {
    const pauseMs = rateLimitPause(resetAt, { fallbackMs: this.options.fallbackPauseMs });
    const remainingMs = Number(await this.options.redis.eval(LIMITED, 2, this.key, this.successesKey, pauseMs, this.options.cut ?? 0.95));
    this.options.logger.warn({ pauseMs: remainingMs, rate: await this.rate() }, 'provider rate limit: pausing and slowing down');
  }

  /** The current pace, requests per second (0: unpaced). For tests and metrics. */
  async rate(): Promise<number> {
    const [rate] = await this.options.redis.hmget(this.key, 'rate');
    const learned = Number(rate ?? 0);
    const ceiling = this.options.ceiling ?? 0;
    return ceiling > 0 && (learned === 0 || learned > ceiling) ? ceiling : learned;
  }
}
