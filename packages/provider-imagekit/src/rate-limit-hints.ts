import type { RateLimitHint } from '@hoist/core';

/** Something that reads response headers by name, as fetch's `Headers` does. */
export interface HeaderSource {
  get(name: string): string | null;
}

function nonNegative(value: string | null): number | undefined {
  if (value === null || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/**
 * What ImageKit's rate-limit headers say, in the throttle's terms (ImageKit API overview, "Rate
 * limits"):
 * - `X-RateLimit-Limit` requests are admitted per `X-RateLimit-Interval` milliseconds, so
 *   `ratePerSecond` = limit / interval × 1000;
 * - `X-RateLimit-Reset` is the time in milliseconds before another request may be made, so
 *   `resetAt` = now + reset;
 * - on a 429 (`limited`), nothing remains before that reset: `remaining` = 0. ImageKit sends no
 *   remaining count, so a successful answer's hint leaves it out.
 * Malformed or missing values are left out; an answer without these headers gives an empty hint.
 */
export function hintFromHeaders(headers: HeaderSource, now: Date = new Date(), limited = false): RateLimitHint {
  const limit = nonNegative(headers.get('x-ratelimit-limit'));
  const intervalMs = nonNegative(headers.get('x-ratelimit-interval'));
  const resetMs = nonNegative(headers.get('x-ratelimit-reset'));
  const resetAt = resetMs === undefined ? undefined : new Date(now.getTime() + resetMs);
  return {
    ...(limit !== undefined && limit > 0 && intervalMs !== undefined && intervalMs > 0 ? { ratePerSecond: (limit * 1000) / intervalMs } : {}),
    ...(resetAt !== undefined ? { resetAt } : {}),
    ...(limited && resetAt !== undefined ? { remaining: 0 } : {}),
  };
}
