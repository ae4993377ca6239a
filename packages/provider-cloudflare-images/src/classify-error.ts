import { PermanentProviderError, RateLimitedError, RetryableProviderError, type ProviderError } from '@hoist/core';
import type { APIError } from 'cloudflare';
import { hintFromHeaders } from './rate-limit-hints.js';
import type { CloudflareErrorClasses } from './sdk.js';

/**
 * Cloudflare's API error codes that mean the credentials or the account are wrong (10000
 * "Authentication error", 9109 "Unauthorized to access requested resource", 6003/6111 a malformed
 * Authorization header, 1000 "Invalid API Token"), whatever status carries them, and 7003/7000, the
 * "Could not route to /accounts/…" answer to an account id that is not one.
 */
const CREDENTIAL_CODES = new Set([10000, 9109, 6003, 6111, 1000]);
const ROUTE_CODES = new Set([7003, 7000]);
/** Cloudflare's "Please wait and consider throttling your request speed". */
const THROTTLED_CODE = 971;

/** Cloudflare's `errors` as `code: message` pairs, for messages (they never hold credentials). */
export function describeErrors(error: APIError): string {
  const described = error.errors.map((entry) => [entry.code, entry.message].filter((part) => part !== undefined).join(': ')).filter(Boolean);
  return described.length > 0 ? described.join('; ') : `HTTP ${String(error.status)}`;
}

/**
 * Maps what the Cloudflare SDK throws onto the three failure kinds: 429 (or Cloudflare's throttling
 * code 971) → rate limited, with the reset and rate read from the answer's headers; 5xx, timeouts and
 * connection failures → retryable; other 4xx → permanent, naming the setting to check when the
 * credentials or the account were refused. Cloudflare's error body is
 * `{success:false, errors:[{code, message}], …}`; its codes and messages make the message.
 */
export function classifyCloudflareError(raw: unknown, sdk: CloudflareErrorClasses, now: Date = new Date()): ProviderError {
  const { APIConnectionError, APIConnectionTimeoutError, CloudflareError } = sdk;
  if (raw instanceof APIConnectionTimeoutError) return new RetryableProviderError('Cloudflare Images did not answer in time', { cause: raw });
  const answered = apiError(raw, sdk);
  if (answered?.status !== undefined && answered.headers !== undefined) {
    const { status, headers } = answered;
    const codes = new Set(answered.errors.map((entry) => entry.code));
    const described = `Cloudflare Images refused the request (${status}: ${describeErrors(answered)})`;
    if (status === 429 || codes.has(THROTTLED_CODE)) {
      return new RateLimitedError(described, { status, hint: hintFromHeaders(headers, now), cause: raw });
    }
    if (status >= 500) return new RetryableProviderError(`Cloudflare Images failed (${status}: ${describeErrors(answered)})`, { status, cause: raw });
    if (status === 401 || status === 403 || [...codes].some((code) => code !== undefined && CREDENTIAL_CODES.has(code))) {
      return new PermanentProviderError(`${described}; check CLOUDFLARE_API_TOKEN (a token with Images Write permission) and CLOUDFLARE_ACCOUNT_ID`, { status, cause: raw });
    }
    if ([...codes].some((code) => code !== undefined && ROUTE_CODES.has(code))) {
      return new PermanentProviderError(`${described}; check CLOUDFLARE_ACCOUNT_ID`, { status, cause: raw });
    }
    return new PermanentProviderError(described, { status, cause: raw });
  }
  // No answer at all: DNS, a refused or reset connection, an abort.
  const unanswered = raw instanceof APIConnectionError ? (raw as Error) : answered;
  if (unanswered !== undefined) {
    return new RetryableProviderError(`Could not reach Cloudflare Images: ${networkCause(unanswered)}`, { cause: raw });
  }
  // The SDK refusing to build the request (a path segment it will not send): retrying cannot help.
  if (raw instanceof CloudflareError) return new PermanentProviderError(`Cloudflare Images request not sent: ${raw.message}`, { cause: raw });
  // Anything else is most likely a transport failure not seen before; the attempt limit bounds retrying it.
  return new RetryableProviderError(raw instanceof Error ? raw.message : 'Cloudflare Images request failed', { cause: raw });
}

/** The SDK's error for an HTTP answer or a failed connection, typed as its defaults (instanceof gives `any` parameters). */
export function apiError(raw: unknown, sdk: Pick<CloudflareErrorClasses, 'APIError'>): APIError | undefined {
  return raw instanceof sdk.APIError ? (raw as APIError) : undefined;
}

/** The socket or DNS code under a connection error (`ECONNRESET`, `ENOTFOUND`…), else its message. */
function networkCause(error: Error): string {
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cause = cause.cause;
  }
  return error.message;
}
