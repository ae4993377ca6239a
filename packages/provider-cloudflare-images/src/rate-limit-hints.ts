import type { RateLimitHint } from '@hoist/core';

/** Response headers as fetch gives them (the SDK's `APIError.headers`, a response's `headers`). */
export type HeaderSource = Pick<Headers, 'get'>;

/**
 * Everything a Cloudflare API answer's headers say about its rate limit, in the throttle's terms:
 * - `resetAt`: `Retry-After` (delta-seconds or an HTTP-date, RFC 9110) on a 429; else the `t=`
 *   (seconds until the window resets) of `Ratelimit`;
 * - `remaining`: the `r=` of `Ratelimit`, requests left in the window;
 * - `ratePerSecond`: `q=` requests per `w=` seconds of `Ratelimit-Policy`.
 * These are the IETF httpapi rate-limit fields Cloudflare's API returns on every answer ("Rate
 * limits" in its API reference), e.g. `Ratelimit: "default";r=50;t=30` and
 * `Ratelimit-Policy: "burst";q=100;w=60`. Both are lists; where they name several limits, the
 * strictest counts: the item with the fewest requests left, the policy with the lowest rate.
 * Malformed values are left out; an answer without such headers gives an empty hint.
 */
export function hintFromHeaders(headers: HeaderSource, now: Date = new Date()): RateLimitHint {
  const windows = listItemParams(headers.get('ratelimit')).filter((item) => item.has('r') && item.has('t'));
  const tightest = windows.sort((a, b) => (a.get('r') ?? 0) - (b.get('r') ?? 0))[0];
  const rates = listItemParams(headers.get('ratelimit-policy'))
    .map((item) => ({ quota: item.get('q') ?? 0, seconds: item.get('w') ?? 0 }))
    .filter(({ quota, seconds }) => quota > 0 && seconds > 0)
    .map(({ quota, seconds }) => quota / seconds);
  const resetAt = retryAfter(headers.get('retry-after'), now) ?? secondsFrom(now, tightest?.get('t'));
  const remaining = tightest?.get('r');
  return {
    ...(rates.length > 0 ? { ratePerSecond: Math.min(...rates) } : {}),
    // A count without the instant it runs to says nothing usable.
    ...(remaining !== undefined && resetAt !== undefined ? { remaining } : {}),
    ...(resetAt !== undefined ? { resetAt } : {}),
  };
}

/**
 * The integer parameters of each item of a structured-field list (RFC 9651), e.g.
 * `"default";r=50;t=30, "burst";r=5;t=2` → [{r:50, t:30}, {r:5, t:2}]. Anything that is not a
 * non-negative integer is left out.
 */
function listItemParams(value: string | null): Map<string, number>[] {
  if (value === null) return [];
  return value.split(',').map((item) => {
    const params = new Map<string, number>();
    for (const param of item.split(';').slice(1)) {
      const match = /^\s*([a-z*][a-z0-9_.*-]*)=(\d{1,15})\s*$/.exec(param);
      if (match?.[1] !== undefined && match[2] !== undefined) params.set(match[1], Number(match[2]));
    }
    return params;
  });
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
