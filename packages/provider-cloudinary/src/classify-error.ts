import { PermanentProviderError, RateLimitedError, RetryableProviderError, type ProviderError } from '@hoist/core';
import { hintFromHeaders } from './rate-limit-hints.js';
import type { RateLimitResponse } from './response-headers.js';

/** Node socket/DNS error codes that mean "the network failed", not "the request was wrong". */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

interface SdkErrorShape {
  message?: unknown;
  http_code?: unknown;
  code?: unknown;
  error?: unknown;
}

/**
 * The Cloudinary SDK rejects with plain objects (`{message, http_code, name}`), with `{error: …}`
 * wrappers for transport failures, or with Node errors. This maps all of them onto the failure taxonomy:
 * 420/429 → rate limited; 5xx, 499 (the SDK's timeout) and network errors → retryable; other 4xx → permanent.
 * `rateLimited` is the 420/429 answer the caller saw for this request, if any (see
 * response-headers.ts): it decides the kind whatever the SDK reported, and its headers give the
 * hint (rate, remaining, reset); the reset time from the headers comes before Cloudinary's
 * "Try again on …" message, which is the reset when the headers name none.
 */
export function classifyCloudinaryError(raw: unknown, now: Date = new Date(), rateLimited?: RateLimitResponse): ProviderError {
  const error = unwrap(raw);
  const message = typeof error.message === 'string' && error.message ? error.message : 'Cloudinary request failed';
  const status = rateLimited?.status ?? (typeof error.http_code === 'number' ? error.http_code : undefined);
  const code = typeof error.code === 'string' ? error.code : undefined;

  if (status === 420 || status === 429) {
    const fromHeaders = rateLimited ? hintFromHeaders(rateLimited.headers, now) : {};
    const resetAt = fromHeaders.resetAt ?? parseResetTime(message, now);
    return new RateLimitedError(message, { status, hint: { ...fromHeaders, resetAt }, cause: raw });
  }
  if (status === 499) return new RetryableProviderError(`Cloudinary request timed out: ${message}`, { status, cause: raw });
  if (status !== undefined && status >= 500) return new RetryableProviderError(message, { status, cause: raw });
  if (status !== undefined && status >= 400) return new PermanentProviderError(message, { status, cause: raw });
  if (code && NETWORK_CODES.has(code)) return new RetryableProviderError(`Network error talking to Cloudinary: ${code}`, { cause: raw });
  // No status and no known code: most likely a transport failure we have not seen before. Retrying
  // is the safe choice; the attempt limit bounds it.
  return new RetryableProviderError(message, { status, cause: raw });
}

function unwrap(raw: unknown): SdkErrorShape {
  if (raw && typeof raw === 'object') {
    const shape = raw as SdkErrorShape;
    if (shape.http_code === undefined && shape.error && typeof shape.error === 'object') return shape.error;
    return shape;
  }
  return { message: String(raw) };
}

/**
 * Cloudinary says when a rate limit ends in its message: "… Try again on 2026-11-23 17:00:00 UTC".
 * Accepts that form and ISO 8601; a time in the past or unparseable text gives undefined.
 */
export function parseResetTime(message: string, now: Date = new Date()): Date | undefined {
  const match = /try again (?:on|at|after)\s+(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?)\s*(UTC|GMT|Z)?/i.exec(message);
  if (!match?.[1]) return undefined;
  const when = new Date(`${match[1].replace(' ', 'T')}Z`);
  if (Number.isNaN(when.getTime()) || when.getTime() <= now.getTime()) return undefined;
  return when;
}
