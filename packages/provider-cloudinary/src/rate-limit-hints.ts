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

function parseRetryAfter(value: string | undefined, now: Date): Date | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return new Date(now.getTime() + Number(trimmed) * 1000);
  return parseHttpDate(trimmed);
}

function parseHttpDate(value: string | undefined): Date | undefined {
  if (!value) return undefined;
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
