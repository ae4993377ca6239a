import { afterAll, describe, expect, it } from 'vitest';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { createRedis } from './redis.js';
import { RedisLeases } from './redis-leases.js';

const { prefix, redisUrl, clear } = createQueuePrefix();
const redis = createRedis(redisUrl, 'worker');
afterAll(async () => {
  await clear();
  redis.disconnect();
});

describe('RedisLeases', () => {
  it('holds at most `limit` leases per key, lets a holder re-take its own, and frees one on release', async () => {
    const leases = new RedisLeases({ redis, prefix });
    const options = { limit: 2, ttlMs: 60_000 };
    expect(await leases.acquire('k', 'a', options)).toBe(true);
    expect(await leases.acquire('k', 'b', options)).toBe(true);
    expect(await leases.acquire('k', 'c', options)).toBe(false);
    expect(await leases.acquire('k', 'a', options)).toBe(true);
    expect(await leases.acquire('other', 'c', options)).toBe(true);
    await leases.release('k', 'a');
    expect(await leases.acquire('k', 'c', options)).toBe(true);
  });

  it('lets a lease that is neither renewed nor released lapse (a crashed holder), and keeps a renewed one', async () => {
    const leases = new RedisLeases({ redis, prefix });
    expect(await leases.acquire('lapse', 'crashed', { limit: 1, ttlMs: 300 })).toBe(true);
    expect(await leases.acquire('lapse', 'next', { limit: 1, ttlMs: 300 })).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await leases.acquire('lapse', 'next', { limit: 1, ttlMs: 300 })).toBe(true);
    await leases.renew('lapse', 'next', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await leases.acquire('lapse', 'third', { limit: 1, ttlMs: 300 })).toBe(false);
  });
});
