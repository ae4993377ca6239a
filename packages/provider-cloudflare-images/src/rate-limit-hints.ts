import type { RateLimitHint } from '@hoist/core';

/** Response headers as fetch gives them (the SDK's `APIError.headers`, a response's `headers`). */
export type HeaderSource = Pick<Headers, 'get'>;

/**
 * Everything a Cloudflare API answer's headers say about its rate limit, in the throttle's terms:
 * - `resetAt`: `Retry-After` (delta-seconds or an HTTP-date, RFC 9110) on a 429; else the `t=`
 *   (seconds until the window resets) of `Ratelimit`;
 * - `remaining`: the `r=` of `Ratelimit`, requests left in the window;
 * - `ratePerSecond`: `q=` requests per `w=` seconds of `Ratelimit-Policy`.
 * `Ratelimit` and `Ratelimit-Policy` are the IETF httpapi rate-limit fields Cloudflare's API sends,
 * e.g. `Ratelimit: "default";r=1199;t=299` and `Ratelimit-Policy: "default";q=1200;w=300`.
 * Malformed values are left out; an answer without such headers gives an empty hint.
 */
export function hintFromHeaders(headers: HeaderSource, now: Date = new Date()): RateLimitHint {
  const window = firstItemParams(headers.get('ratelimit'));
  const policy = firstItemParams(headers.get('ratelimit-policy'));
  const resetAt = retryAfter(headers.get('retry-after'), now) ?? secondsFrom(now, window.get('t'));
  const remaining = window.get('r');
  const quota = policy.get('q');
  const seconds = policy.get('w');
  return {
    ...(quota !== undefined && seconds !== undefined && quota > 0 && seconds > 0 ? { ratePerSecond: quota / seconds } : {}),
    // A count without the instant it runs to says nothing usable.
    ...(remaining !== undefined && resetAt !== undefined ? { remaining } : {}),
    ...(resetAt !== undefined ? { resetAt } : {}),
  };
}

/**
 * The integer parameters of the first item of a structured-field list (RFC 9651), e.g.
 * `"default";r=50;t=30` → r=50, t=30. Anything that is not a non-negative integer is left out.
 */
function firstItemParams(value: string | null): Map<string, number> {
  const params = new Map<string, number>();
  const first = value?.split(',')[0];
  if (first === undefined) return params;
  for (const param of first.split(';').slice(1)) {
    const match = /^\s*([a-z*][a-z0-9_.*-]*)=(\d{1,15})\s*$/.exec(param);
    if (match?.[1] !== undefined && match[2] !== undefined) params.set(match[1], Number(match[2]));
  }
  return params;
}

function secondsFrom(now: Date, seconds: number | undefined): Date | undefined {
  return seconds === undefined ? undefined : new Date(now.getTime() + seconds * 1000);
}

/**
 * An HTTP-date in its one current form, IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`); anything else
 * is left out rather than guessed at (`Date.parse` reads `3600` as the year 3600).
 */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

function retryAfter(value: string | null, now: Date): Date | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d{1,15}$/.test(trimmed)) return secondsFrom(now, Number(trimmed));
  if (!IMF_FIXDATE.test(trimmed)) return undefined;
  const time = Date.parse(trimmed);
  return Number.isNaN(time) ? undefined : new Date(time);
}
