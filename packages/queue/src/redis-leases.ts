import type { ConcurrencyLeases } from '@hoist/core';
import type { RedisConnection } from './redis.js';

/**
 * One sorted set per key: members are holders, scores their expiry (Redis's own clock, so hosts'
 * clocks cannot disagree about it). Lapsed leases are dropped before counting. The set itself
 * expires once its longest lease could have, so idle keys do not pile up.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`;

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`;

/** ConcurrencyLeases in Redis, under `<prefix>:leases:<key>`. */
export class RedisLeases implements ConcurrencyLeases {
  constructor(private readonly options: { redis: RedisConnection; prefix: string }) {}

  async acquire(key: string, holder: string, options: { limit: number; ttlMs: number }): Promise<boolean> {
    const taken = await this.options.redis.eval(ACQUIRE, 1, this.key(key), holder, options.limit, Math.ceil(options.ttlMs));
    return taken === 1;
  }

  async renew(key: string, holder: string, ttlMs: number): Promise<void> {
    await this.options.redis.eval(RENEW, 1, this.key(key), holder, Math.ceil(ttlMs));
  }

  async release(key: string, holder: string): Promise<void> {
    await this.options.redis.zrem(this.key(key), holder);
  }

  private key(key: string): string {
    return `${this.options.prefix}:leases:${key}`;
  }
}
