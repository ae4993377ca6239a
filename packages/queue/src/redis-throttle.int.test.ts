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
  return new RedisThrottle({ redis, prefix, provider: 'cloudinary', ceiling, fallbackPauseMs: 500, logger, ...(maxWaitMs ? { maxWaitMs } : {}) });
}

/**
 * Records `count` successes (Redis clock) as a provider admitting 20 per second would: up to 20 of
 * them within the last 0.6 s, the rest over a second ago. Whatever second the throttle looks back
 * over, if it looks within 0.4 s (a loaded machine), holds exactly those up to 20. One command, so
 * seeding itself takes no time off that margin.
 */
async function seedSuccesses(count: number): Promise<void> {
  const [seconds, micros] = await redis.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const entries: Array<string | number> = [];
  for (let i = 0; i < count; i++) entries.push(i < 20 ? now - 5 - i * 30 : now - 1_001 - (i - 20) * 30, `seed-${i}`);
  await redis.zadd(`${prefix}:hoist:throttle:cloudinary:ok`, ...entries);
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
    await subject.limited({ resetAt });
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
    await subject.limited({ resetAt: new Date(Date.now() + 30_000) });
    await expect(subject.acquire()).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('takes a burst shorter than a second as evidence of its count per second, not of its burst rate', async () => {
    const subject = throttle();
    // A fresh start: 20 successes in under half a second, then a 420 — a provider that admits 20 per
    // one-second window does exactly this. Its rate is 20/s, not the 40/s the burst ran at (which
    // the throttle used to take, and then needed several more 420s to come down from).
    for (let i = 0; i < 20; i++) await subject.succeeded();
    await new Promise((resolve) => setTimeout(resolve, 450));
    await subject.limited({ resetAt: new Date(Date.now() + 100) });
    expect(await subject.rate()).toBeCloseTo(19, 0);
  });

  it('paces from a slow start, instead of bursting again, when the provider has admitted too little to learn from', async () => {
    const subject = throttle();
    await subject.limited({ resetAt: new Date(Date.now() + 200) });
    // At least one request every two seconds, growing from there: not every caller at once.
    expect(await subject.rate()).toBeCloseTo(0.5, 1);
    await subject.acquire();
    expect(await timeToAcquire(subject, 2, 6)).toBeGreaterThan(1_000);
  });

  it('never stops calls for more than an hour, whatever reset a misread header names', async () => {
    const subject = throttle();
    const year3600 = new Date('3600-01-01T00:00:00Z');
    await subject.succeeded({ remaining: 0, resetAt: year3600 });
    await subject.limited({ resetAt: year3600 });
    const state = await redis.hgetall(`${prefix}:hoist:throttle:cloudinary`);
    expect(state.winReset).toBeDefined();
    expect(Number(state.winReset) - Date.now()).toBeLessThanOrEqual(3_600_000);
    expect(Number(state.pausedUntil) - Date.now()).toBeLessThanOrEqual(3_600_000);
  });

  it('cuts once per congestion event, however many in-flight requests report it', async () => {
    const subject = throttle();
    await seedSuccesses(40);
    await Promise.all(Array.from({ length: 5 }, () => subject.limited({ resetAt: new Date(Date.now() + 100) })));
    // One cut: 20 × 0.95 = 19. Five would have made it 15.5.
    expect(await subject.rate()).toBeCloseTo(19, 0);
  });

  it("paces at the rate the provider states (an hourly quota / 3600), before any 420", async () => {
    const subject = throttle();
    await subject.succeeded({ ratePerSecond: 72_000 / 3600 });
    expect(await subject.rate()).toBe(20);
    // 21 requests at 20/s: the first is free, the other 20 are spaced 50 ms apart.
    const took = await timeToAcquire(subject, 21, 6);
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(2_000);
    // A configured ceiling below the stated rate still wins.
    const capped = throttle(5);
    await capped.succeeded({ ratePerSecond: 20 });
    expect(await capped.rate()).toBe(5);
  });

  it("waits for the provider's reset when its window has nothing left, and sends no more than it has left", async () => {
    const subject = throttle();
    const exhaustedUntil = Date.now() + 700;
    await subject.succeeded({ remaining: 0, resetAt: new Date(exhaustedUntil) });
    await subject.acquire();
    expect(Date.now()).toBeGreaterThanOrEqual(exhaustedUntil - 5);

    // A newer window with three requests left: three go at once, the fourth waits for its end.
    const resetAt = Date.now() + 800;
    await subject.succeeded({ remaining: 3, resetAt: new Date(resetAt) });
    expect(await timeToAcquire(subject, 3, 3)).toBeLessThan(300);
    await subject.acquire();
    expect(Date.now()).toBeGreaterThanOrEqual(resetAt - 5);
  });

  it('trusts the lower of what it counted down and what the provider says is left', async () => {
    const subject = throttle();
    const resetAt = new Date(Date.now() + 800);
    await subject.succeeded({ remaining: 5, resetAt });
    // An answer to a request sent before the count started says more is left: the count stands.
    await subject.acquire();
    await subject.acquire();
    await subject.succeeded({ remaining: 5, resetAt });
    expect(await timeToAcquire(subject, 3, 3)).toBeLessThan(300);
    const startedAt = Date.now();
    await subject.acquire();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(300);
  });

  it('pauses for the fallback after a 420 that names no reset when it knows no pace', async () => {
    const subject = throttle();
    const resumeAt = await subject.limited({});
    expect(resumeAt.getTime() - Date.now()).toBeGreaterThan(400);
    expect(resumeAt.getTime() - Date.now()).toBeLessThanOrEqual(500);
  });

  it('at a known pace, pauses one request spacing after a hint-less 420, doubling while refusals continue', async () => {
    // Paced at 20/s (a ceiling) when the 420 comes.
    const subject = throttle(20);
    await subject.acquire();
    await seedSuccesses(40);
    // One cut to 19/s, and a pause of one request at that pace (~53 ms), not the 500 ms fallback:
    // one request too many in the provider's window is the likely cause, and the window is nearly over.
    // Each pause is judged from both ends of the call that set it: at least the pause from before the
    // call, at most the pause from after it — so a slow machine cannot make a right pause look wrong.
    let before = Date.now();
    const first = await subject.limited({});
    expect(first.getTime() - before).toBeGreaterThan(30);
    expect(first.getTime() - Date.now()).toBeLessThanOrEqual(53);
    expect(await subject.rate()).toBeCloseTo(19, 0);
    // A leftover 420 of the same event (during the pause) changes nothing.
    // (Same instant, rebuilt from Redis's remaining milliseconds plus this process's clock when the
    // answer arrives, so it moves by the event loop's delay — a few ms on a loaded machine. Extending
    // the pause would move it by a spacing, 53 ms, or more.)
    expect(Math.abs((await subject.limited({})).getTime() - first.getTime())).toBeLessThanOrEqual(20);
    // Refused again after the pause: the provider is still closed, so twice as long, and again.
    await subject.acquire();
    before = Date.now();
    const second = await subject.limited({});
    expect(second.getTime() - before).toBeGreaterThan(80);
    await new Promise((resolve) => setTimeout(resolve, second.getTime() - Date.now() + 10));
    before = Date.now();
    const third = await subject.limited({});
    expect(third.getTime() - before).toBeGreaterThan(180);
    // A success ends the run: the next hint-less refusal pauses one spacing again.
    await subject.succeeded();
    await new Promise((resolve) => setTimeout(resolve, third.getTime() - Date.now() + 10));
    const fourth = await subject.limited({});
    expect(fourth.getTime() - Date.now()).toBeLessThanOrEqual(60);
  });

  it('after a cut far below the rate the provider states, climbs back within seconds to just under it, then creeps', async () => {
    const subject = throttle();
    await subject.succeeded({ ratePerSecond: 20 });
    // The provider admitted only 11 in the last second when it refused (say, a slow start).
    await seedSuccesses(10);
    await subject.limited({ ratePerSecond: 20, resetAt: new Date(Date.now() + 50) });
    expect(await subject.rate()).toBeLessThan(11);
    const startedAt = Date.now();
    while (Date.now() - startedAt < 2_500) await subject.acquire();
    // Most of the way back to one cut below the stated rate (19/s) — 1 %/s would still be near 10...
    const recovered = await subject.rate();
    expect(recovered).toBeGreaterThan(17.5);
    // ...but not beyond it: from there it creeps at 0.2 %/s.
    expect(recovered).toBeLessThan(19.1);
  });

  it('holds just below the rate of the last refusal instead of running into it again, when a refusal costs a whole second', async () => {
    // Growth ten times the default, so the creep takes a second and a half instead of fifteen.
    const subject = new RedisThrottle({ redis, prefix, provider: 'cloudinary', fallbackPauseMs: 500, logger, increase: 0.1 });
    await seedSuccesses(40);
    // Retry-After: 1 — the pause is a whole second.
    await subject.limited({ ratePerSecond: 20, resetAt: new Date(Date.now() + 1_000) });
    expect(await subject.rate()).toBeCloseTo(19, 0);
    const startedAt = Date.now();
    while (Date.now() - startedAt < 4_000) await subject.acquire();
    // Crept to 98 % of the stated 20/s, and stays there (for half a minute) rather than at 20.
    const held = await subject.rate();
    expect(held).toBeGreaterThan(19.5);
    expect(held).toBeLessThanOrEqual(19.6 + 0.05);
  });

  it('probes past the rate of the last refusal within seconds when a refusal costs little (a short pause)', async () => {
    const subject = new RedisThrottle({ redis, prefix, provider: 'cloudinary', fallbackPauseMs: 500, logger, increase: 0.1 });
    await seedSuccesses(40);
    // A reset 50 ms away: cheap to run into again, and the peak may have been measured low.
    await subject.limited({ resetAt: new Date(Date.now() + 50) });
    expect(await subject.rate()).toBeCloseTo(19, 0);
    const startedAt = Date.now();
    while (Date.now() - startedAt < 4_000) await subject.acquire();
    expect(await subject.rate()).toBeGreaterThan(20);
  });
});
