import { RateLimitedError } from '@hoist/core';
import { createLogger } from '@hoist/logger';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { createRedis } from './redis.js';
import { RedisThrottle } from './redis-throttle.js';

const logger = createLogger({ name: 'throttle-test', level: 'silent', format: 'json' });
const { prefix, redisUrl, clear } = createQueuePrefix();
const redis = createRedis(redisUrl, 'worker');
afterEach(clear);
afterAll(() => {
  redis.disconnect();
});

function throttle(ceiling?: number, maxWaitMs?: number) {
  return new RedisThrottle({ redis, prefix, ceiling, fallbackPauseMs: 500, logger, ...(maxWaitMs ? { maxWaitMs } : {}) });
}

/** Records `count` successes spread evenly over the last two seconds (Redis clock), as a provider admitting count/2 per second would. */
async function seedSuccesses(count: number): Promise<void> {
  const [seconds, micros] = await redis.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  for (let i = 0; i < count; i++) await redis.zadd(`${prefix}:hoist:throttle:ok`, now - 1990 + (i * 1990) / count, `seed-${i}`);
}

async function timeToAcquire(subject: RedisThrottle, count: number, callers: number): Promise<number> {
  const startedAt = Date.now();
  let left = count;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (left > 0) {
        left -= 1;
        await subject.acquire();
      }
    }),
  );
  return Date.now() - startedAt;
}

describe('RedisThrottle', () => {
  it('does not pace at all before it has learned anything, without a ceiling', async () => {
    expect(await timeToAcquire(throttle(), 50, 8)).toBeLessThan(500);
  });

  it('holds every caller together to the ceiling, without bursts', async () => {
    // 21 requests at 20/s: the first is free, the other 20 are spaced 50 ms apart.
    const took = await timeToAcquire(throttle(20), 21, 6);
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(2_000);
  });

  it('pauses everyone until the reset, then restarts paced below the rate the provider admitted', async () => {
    const subject = throttle();
    // The provider admitted 40 requests in the last two seconds: 20 per second.
    await seedSuccesses(40);
    const resetAt = new Date(Date.now() + 1_500);
    await subject.limited(resetAt);
    const rate = await subject.rate();
    expect(rate).toBeCloseTo(19, 0);
    await subject.acquire();
    // The reset is honoured (the pause may add up to 10 % jitter)...
    expect(Date.now()).toBeGreaterThanOrEqual(resetAt.getTime() - 5);
    // ...and the restart is paced, not a burst: 10 more requests at ~19/s take about half a second,
    // however long the pause was.
    expect(await timeToAcquire(subject, 10, 6)).toBeGreaterThanOrEqual(450);
    expect(await subject.rate()).toBeLessThan(20);
  });

  it('hands a long pause back to the caller as a rate limit instead of holding it', async () => {
    const subject = throttle(undefined, 1_000);
    await subject.limited(new Date(Date.now() + 30_000));
    await expect(subject.acquire()).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('estimates the admitted rate over the time the successes span, not the whole window', async () => {
    const subject = throttle();
    // A fresh start: 20 successes in the last half second, then a 420. 20 per second would be a
    // quarter of the truth if counted over the full two-second window.
    for (let i = 0; i < 20; i++) await subject.succeeded();
    await new Promise((resolve) => setTimeout(resolve, 450));
    await subject.limited(new Date(Date.now() + 100));
    expect(await subject.rate()).toBeGreaterThan(30);
  });

  it('only pauses, without pacing, when the provider has admitted nothing to learn from', async () => {
    const subject = throttle();
    await subject.limited(new Date(Date.now() + 200));
    expect(await subject.rate()).toBe(0);
    await subject.acquire();
    expect(await timeToAcquire(subject, 30, 6)).toBeLessThan(500);
  });

  it('cuts once per congestion event, however many in-flight requests report it', async () => {
    const subject = throttle();
    await seedSuccesses(40);
    await Promise.all(Array.from({ length: 5 }, () => subject.limited(new Date(Date.now() + 100))));
    // One cut: 20 × 0.95 = 19. Five would have made it 15.5.
    expect(await subject.rate()).toBeCloseTo(19, 0);
  });
});
