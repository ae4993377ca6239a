import type { RateLimitHint } from '@hoist/core';

/** Response headers as Node gives them (lower-case names). */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

function header(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * When a 420/429 says the limit resets, from its headers, in order of precedence:
 * 1. `Retry-After`: delta-seconds or an HTTP-date (RFC 9110).
 * 2. `X-FeatureRateLimit-Reset`: Cloudinary's, an HTTP-date — the end of the hourly window that
 *    `X-FeatureRateLimit-Limit` counts, so it may be up to an hour away.
 * 3. `X-RateLimit-Reset`: other providers' — seconds until the reset when small, else a unix time
 *    in seconds or milliseconds.
 * Undefined when none is present, parseable and in the future.
 */
export function resetFromHeaders(headers: ResponseHeaders, now: Date = new Date()): Date | undefined {
  const candidates = [
    parseRetryAfter(header(headers, 'retry-after'), now),
    parseHttpDate(header(headers, 'x-featureratelimit-reset')),
    parseResetNumber(header(headers, 'x-ratelimit-reset'), now),
  ];
  return candidates.find((date) => date !== undefined && date.getTime() > now.getTime());
}

/** `X-FeatureRateLimit-Limit` counts requests per hour (Cloudinary's quotas are hourly). */
const SECONDS_PER_QUOTA = 3600;

/**
 * Everything an answer's headers say about the rate limit, in the throttle's provider-neutral terms:
 * - `ratePerSecond` from Cloudinary's hourly `X-FeatureRateLimit-Limit` (/ 3600);
 * - `remaining` from `X-FeatureRateLimit-Remaining`, requests left before the reset;
 * - `resetAt` from {@link resetFromHeaders} — on a 420 `Retry-After` first, else the end of the
 *   window `X-FeatureRateLimit-Reset` names.
 * Malformed values are left out; an answer without such headers gives an empty hint.
 */
export function hintFromHeaders(headers: ResponseHeaders, now: Date = new Date()): RateLimitHint {
  const limit = nonNegativeNumber(header(headers, 'x-featureratelimit-limit'));
  const remaining = nonNegativeNumber(header(headers, 'x-featureratelimit-remaining'));
  const resetAt = resetFromHeaders(headers, now);
  return {
    ...(limit !== undefined && limit > 0 ? { ratePerSecond: limit / SECONDS_PER_QUOTA } : {}),
    // A count without the instant it runs to says nothing usable.
    ...(remaining !== undefined && resetAt !== undefined ? { remaining: Math.floor(remaining) } : {}),
    ...(resetAt !== undefined ? { resetAt } : {}),
  };
}

function nonNegativeNumber(value: string | undefined): number | undefined {
  if (!value || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

function parseRetryAfter(value: string | undefined, now: Date): Date | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return new Date(now.getTime() + Number(trimmed) * 1000);
  return parseHttpDate(trimmed);
}

/**
 * An HTTP-date in its one current form, IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`). Anything else
 * is left out rather than guessed at: `Date.parse` reads `3600` as the year 3600 and a date without a
 * zone in the host's local time.
 */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

function parseHttpDate(value: string | undefined): Date | undefined {
  if (!value || !IMF_FIXDATE.test(value.trim())) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

function parseResetNumber(value: string | undefined, now: Date): Date | undefined {
  if (!value || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  const number = Number(value);
  // A delta is small; a unix time in seconds is about 1.8e9 today, in milliseconds about 1.8e12.
  if (number < 1e8) return new Date(now.getTime() + number * 1000);
  if (number < 1e11) return new Date(number * 1000);
  return new Date(number);
}
