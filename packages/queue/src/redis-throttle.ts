import { randomUUID } from 'node:crypto';
import { RateLimitedError, type Logger, type ProviderThrottle, type RateLimitHint } from '@hoist/core';
import { rateLimitPause } from './backoff.js';
import { LuaScript } from './lua-script.js';
import type { RedisConnection } from './redis.js';
import { LOG_MESSAGES } from '@hoist/logger';

/**
 * The cluster's shared pace, in one Redis hash. `rate` is requests per second (0: nothing learned
 * yet and no ceiling, so no pacing at all); a token bucket of size one spaces requests 1/rate apart
 * across every worker, so the pace holds with no bursts.
 *
 * Acquire: wait while paused, or while the provider's current window has nothing left (`winLeft`
 * until `winReset`, from its answers); otherwise grow a learned rate — fast while no paced request
 * has been refused yet (after two quiet seconds); after that quickly back to one cut below `peak`
 * (what the provider admitted when it last refused a paced request), very slowly to 98 % of it,
 * holding there for half a minute, then faster and faster beyond it (probing for a higher limit)
 * — cap it at the ceiling
 * (the configured one, or the rate the provider states, whichever is lower), refill, and take a
 * token or say how long until one is due. Time is Redis's own (TIME), so clock skew between worker
 * hosts cannot mint tokens.
 */
const ACQUIRE = new LuaScript(`
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ceiling = tonumber(ARGV[1])
local increase = tonumber(ARGV[2])
local recover = tonumber(ARGV[3])
local cut = tonumber(ARGV[4])
local h = redis.call('HMGET', key, 'rate', 'tokens', 'ts', 'pausedUntil', 'peak', 'hintRate', 'hintUntil', 'winReset', 'winLeft', 'lastCut', 'cost')
local rate = tonumber(h[1]) or 0
local tokens = tonumber(h[2]) or 1
local ts = tonumber(h[3]) or now
local pausedUntil = tonumber(h[4]) or 0
local peak = tonumber(h[5]) or 0
local hintRate = tonumber(h[6]) or 0
local hintUntil = tonumber(h[7]) or 0
-- A rate the provider states is one it sustains: never climb back more slowly than to that.
if hintRate > 0 and now < hintUntil and hintRate > peak then peak = hintRate end
local winReset = tonumber(h[8]) or 0
local winLeft = tonumber(h[9])
local lastCut = tonumber(h[10]) or 0
-- What the last refusal cost: the pause it brought, ms. A cheap one (a hint-less 420 at a known
-- pace pauses one request's spacing) may be risked often; a dear one (Retry-After: 1 is a whole
-- second) must not be.
local cheap = (tonumber(h[11]) or 1000000) <= 250
if now < pausedUntil then return pausedUntil - now end
local inWindow = winLeft ~= nil and now < winReset
if inWindow and winLeft <= 0 then return winReset - now end
if hintRate > 0 and now < hintUntil and (ceiling == 0 or hintRate < ceiling) then ceiling = hintRate end
local elapsed = math.max(0, now - ts) / 1000
-- Growth counts at most one second per call: idle time (or a pause) is no evidence the provider
-- would take more, and must not turn the learned pace into a burst.
local dt = math.min(elapsed, 1)
if rate > 0 then
  -- Nothing refused at a known pace yet: the pace is a guess, so after two quiet seconds at it
  -- look for the limit fast (20 %/s).
  local step = increase
  if now - math.max(lastCut, pausedUntil) > 2000 then step = increase * 20 end
  if peak > 0 then
    if rate < peak * 0.98 then
      -- Near the rate the provider last refused at, climb very slowly when every 420 there costs a
      -- dear pause (a whole second when the provider says Retry-After: 1)...
      step = increase / 5
      if cheap then step = increase end
    elseif rate < peak then
      -- ...and just below it, hold for half a minute before trying it again (two seconds when a
      -- refusal is cheap: the peak may have been measured low, and probing costs little).
      step = 0
      if cheap and now - lastCut > 2000 then step = increase
      elseif now - lastCut > 30000 then step = increase / 5 end
    else
      -- Beyond it, speed up with the distance (1 %/s at the peak, 4 %/s 10 % above it, at most
      -- 10 %/s): the limit may have risen, or the peak was learned too low, and should be found
      -- within seconds.
      step = increase * math.min(10, 1 + (rate / peak - 1) * 30)
    end
  end
  local grown = rate + rate * step * dt
  -- Well below the peak (cut more than once), close the gap fast to where one cut leaves it.
  local target = peak * cut
  if target > rate then grown = math.max(grown, rate + (target - rate) * math.min(1, recover * dt)) end
  rate = grown
end
if ceiling > 0 and (rate == 0 or rate > ceiling) then rate = ceiling end
local wait = 0
if rate == 0 then
  tokens = 1
else
  tokens = math.min(1, tokens + elapsed * rate)
  if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate * 1000) end
end
if wait == 0 and inWindow then redis.call('HSET', key, 'winLeft', winLeft - 1) end
redis.call('HSET', key, 'rate', rate, 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', key, 86400000)
return wait
`);

/**
 * Counts a success in a sliding two-second window (the rate the provider is admitting), ends a
 * run of hint-less rate limits, and keeps what the answer said: the provider's stated rate (for an
 * hour) and what its current window has left — the lower of what we counted down and what it says.
 */
const SUCCEEDED = new LuaScript(`
local key = KEYS[1]
local successes = KEYS[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', successes, now, now .. ':' .. ARGV[1])
redis.call('ZREMRANGEBYSCORE', successes, '-inf', now - 2000)
redis.call('PEXPIRE', successes, 10000)
local hintRate = tonumber(ARGV[2])
local reset = tonumber(ARGV[3])
local remaining = tonumber(ARGV[4])
redis.call('HSET', key, 'streak', 0)
if hintRate > 0 then redis.call('HSET', key, 'hintRate', hintRate, 'hintUntil', now + 3600000) end
if reset > now and remaining >= 0 then
  -- An hour at most, as in LIMITED.
  reset = math.min(reset, now + 3600000)
  local h = redis.call('HMGET', key, 'winReset', 'winLeft')
  local winReset = tonumber(h[1]) or 0
  local winLeft = tonumber(h[2])
  if reset > winReset or winLeft == nil then
    redis.call('HSET', key, 'winReset', reset, 'winLeft', remaining)
  elseif reset == winReset and remaining < winLeft then
    redis.call('HSET', key, 'winLeft', remaining)
  end
end
redis.call('PEXPIRE', key, 86400000)
return 0
`);

/**
 * Limited. One cut per congestion event (420s from requests already in flight count once): the new
 * pace is a fraction of what the provider admitted over the last second, or of the current pace
 * when that is lower, and that basis becomes the `peak` acquire climbs back to.
 *
 * The pause: until the provider's reset when it named one (ARGV[1] ≥ 0). When it named none, a 420
 * that arrives after the last pause ended came from a request sent after it — the provider is still
 * refusing — so the pause doubles with each such refusal in a row (a success ends the run), up to an
 * hour, from ARGV[2] or, at a known pace, from one request's spacing if that is shorter; 420s
 * arriving during a pause are leftovers of the same event and change nothing.
 */
const LIMITED = new LuaScript(`
local key = KEYS[1]
local successes = KEYS[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local hintedPause = tonumber(ARGV[1])
local base = tonumber(ARGV[2])
local cut = tonumber(ARGV[3])
local hintRate = tonumber(ARGV[4])
local reset = tonumber(ARGV[5])
local h = redis.call('HMGET', key, 'rate', 'lastCut', 'pausedUntil', 'streak', 'peak')
local rate = tonumber(h[1]) or 0
local pacedBefore = rate > 0
local lastCut = tonumber(h[2]) or 0
local pausedUntil = tonumber(h[3]) or 0
local streak = tonumber(h[4]) or 0
local peak = tonumber(h[5]) or 0
if now > math.max(lastCut + 1000, pausedUntil) then
  -- Successes per second since the last pause ended, over the last second at most, and never
  -- counted over less than a second: a provider that counts in windows admits a window's quota in a
  -- burst and then refuses, and that quota per second is its rate, not the burst's pace. (A longer
  -- look would add the previous window's tail; a pause admits nothing and is no evidence either.)
  -- Fewer than three successes are no measure at all: the current pace is cut instead.
  local from = math.max(now - 1000, pausedUntil)
  local count = redis.call('ZCOUNT', successes, '(' .. from, '+inf')
  local admitted = 0
  if count >= 3 then admitted = count * 1000 / math.max(1000, now - from) end
  local basis = rate
  if admitted > 0 and (rate == 0 or admitted < rate) then basis = admitted end
  if basis == 0 then
    -- Refused, with too little admitted to measure and no pace yet: pace anyway, from what did get
    -- through in the last second (at least one request every two seconds), and probe up fast.
    -- Left unpaced, every worker slot in the cluster would go out at once after each pause, and
    -- nearly all of them would be refused again.
    rate = math.max(0.5, count)
    peak = 0
  elseif rate == 0 then
    -- The first 420 of an unpaced start: what a burst got through is a rough guess (too high when
    -- it spans two of the provider's windows, too low when successes were still being recorded),
    -- so it is no peak to creep up to: probing stays fast until a paced request is refused.
    rate = math.max(0.5, basis * cut)
    peak = 0
  elseif basis > 0 then
    peak = basis
    rate = math.max(0.5, basis * cut)
  end
  lastCut = now
end
if hintRate > 0 then redis.call('HSET', key, 'hintRate', hintRate, 'hintUntil', now + 3600000) end
-- The provider's window is spent until its reset (an hour at most: a reset further away is a
-- misread header, and must not stop every provider call for longer).
if reset > now then redis.call('HSET', key, 'winReset', math.min(reset, now + 3600000), 'winLeft', 0) end
local pauseUntil = pausedUntil
if hintedPause >= 0 then
  -- A 420 arriving during a pause is most likely a leftover of the same event (sent before it
  -- began), naming the same reset give or take its rounding (Retry-After counts whole seconds): it
  -- extends the pause only when it names a reset clearly later (an exhausted longer window).
  local hintedUntil = now + math.min(hintedPause, 3600000)
  if now >= pausedUntil or hintedUntil > pausedUntil + 1000 then pauseUntil = hintedUntil end
elseif now >= pausedUntil then
  streak = streak + 1
  -- At a known pace one request too many in the provider's window is the likely cause, and the
  -- window is nearly over: start from one request's spacing, not the full fallback.
  -- (Not for the first 420 of an unpaced start: that window may have most of its length to run.)
  if pacedBefore and rate > 0 then base = math.min(base, 1000 / rate) end
  pauseUntil = now + math.min(3600000, base * 2 ^ math.min(streak - 1, 20))
end
pausedUntil = math.max(pausedUntil, pauseUntil)
-- The bucket restarts empty at the end of the pause: the first request after it waits its turn.
redis.call('HSET', key, 'rate', rate, 'peak', peak, 'lastCut', lastCut, 'pausedUntil', pausedUntil, 'streak', streak, 'tokens', 0, 'ts', pausedUntil, 'cost', pausedUntil - now)
redis.call('PEXPIRE', key, 86400000)
return pausedUntil - now
`);

export interface RedisThrottleOptions {
  redis: RedisConnection;
  /** Key prefix (the queue prefix), so deployments sharing a Redis don't share a pace. */
  prefix: string;
  /** The provider it paces (its name): each provider has its own pace and pauses. */
  provider: string;
  /** Cluster-wide ceiling, requests per second (PROVIDER_RATE_LIMIT); undefined: learn from 420s only. */
  ceiling?: number | undefined;
  /**
   * Pause after a rate limit that names no reset time, ms (RATE_LIMIT_FALLBACK_MS); it doubles with
   * each further refusal of a request sent after the pause, until a success.
   */
  fallbackPauseMs: number;
  logger: Logger;
  /** Fraction of the admitted rate to continue at after a rate limit; default 0.95. */
  cut?: number;
  /**
   * Relative growth of a learned rate per second at the rate of the last rate limit; default 0.01
   * (1 %/s). Below it the pace grows a fifth as fast, beyond it faster with the distance, up to ten
   * times; before any paced request was refused, twenty times (after two seconds without a 420).
   */
  increase?: number;
  /**
   * How fast a pace cut more than once climbs back to one cut below the rate of the last rate
   * limit: the fraction of the gap closed per second; default 1 (about two thirds of the way in a second).
   */
  recover?: number;
  /** Longest wait inside acquire(), ms; a longer one throws RateLimitedError instead. Default 5 000. */
  maxWaitMs?: number;
}

/** ProviderThrottle shared by every worker through Redis (Lua scripts, so each step is atomic). */
export class RedisThrottle implements ProviderThrottle {
  private readonly key: string;
  private readonly successesKey: string;

  constructor(private readonly options: RedisThrottleOptions) {
    this.key = `${options.prefix}:hoist:throttle:${options.provider}`;
    this.successesKey = `${options.prefix}:hoist:throttle:${options.provider}:ok`;
  }

  async acquire(): Promise<void> {
    const maxWaitMs = this.options.maxWaitMs ?? 5_000;
    for (;;) {
      const wait = Number(
        await ACQUIRE.run(
          this.options.redis,
          [this.key],
          [this.options.ceiling ?? 0, this.options.increase ?? 0.01, this.options.recover ?? 1, this.options.cut ?? 0.95],
        ),
      );
      if (wait <= 0) return;
      // A long wait is a provider pause: hand the job back to the queue (no attempt spent) rather
      // than hold a worker slot and a claimed upload for its whole length.
      if (wait > maxWaitMs) throw new RateLimitedError('Provider rate-limit pause in effect', { resetAt: new Date(Date.now() + wait) });
      // A little jitter so waiters polling for the same token don't arrive in lockstep.
      await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * 10));
    }
  }

  async succeeded(hint?: RateLimitHint): Promise<void> {
    await SUCCEEDED.run(
      this.options.redis,
      [this.key, this.successesKey],
      [randomUUID(), hint?.ratePerSecond ?? 0, hint?.resetAt?.getTime() ?? 0, hint?.remaining ?? -1],
    );
  }

  /** Records the rate limit (see LIMITED) and returns when the cluster resumes calling the provider. */
  async limited(hint: RateLimitHint): Promise<Date> {
    // Not jittered: the pause is the cluster's, one for every host, and the bucket restarting empty
    // at its end already brings workers back one request at a time.
    const hintedPauseMs = hint.resetAt ? rateLimitPause(hint.resetAt, { fallbackMs: 0, minMs: 0 }, () => 0) : -1;
    const remainingMs = Number(
      await LIMITED.run(
        this.options.redis,
        [this.key, this.successesKey],
        [hintedPauseMs, this.options.fallbackPauseMs, this.options.cut ?? 0.95, hint.ratePerSecond ?? 0, hint.remaining === 0 && hint.resetAt ? hint.resetAt.getTime() : 0],
      ),
    );
    this.options.logger.warn({ provider: this.options.provider, pauseMs: remainingMs, rate: await this.rate() }, LOG_MESSAGES.providerRateLimitPause);
    return new Date(Date.now() + remainingMs);
  }

  /** The current pace, requests per second (0: unpaced). For tests and metrics. */
  async rate(): Promise<number> {
    const [rate, hintRate, hintUntil] = await this.options.redis.hmget(this.key, 'rate', 'hintRate', 'hintUntil');
    const learned = Number(rate ?? 0);
    let ceiling = this.options.ceiling ?? 0;
    const stated = Number(hintRate ?? 0);
    if (stated > 0 && Number(hintUntil ?? 0) > Date.now() && (ceiling === 0 || stated < ceiling)) ceiling = stated;
    return ceiling > 0 && (learned === 0 || learned > ceiling) ? ceiling : learned;
  }
}
