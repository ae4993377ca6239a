import { PermanentProviderError, RateLimitedError, RetryableProviderError, type ProviderError } from '@hoist/core';
import { APIConnectionTimeoutError, APIError, APIUserAbortError } from '@imagekit/nodejs';
import { hintFromHeaders } from './rate-limit-hints.js';

/** What Hoist was doing when ImageKit failed, for the message. */
export type ImageKitOperation = 'upload' | 'delete' | 'lookup';

/** ImageKit's error body is `{"message": …, "help": …}`; the message is what a person needs. */
function bodyMessage(error: APIError): string | undefined {
  const body: { message?: unknown } | undefined = error.error;
  return typeof body?.message === 'string' && body.message !== '' ? body.message : undefined;
}

/**
 * Maps what the ImageKit SDK throws onto the failure taxonomy:
 * - 429 → RateLimitedError, its hint from the `X-RateLimit-*` headers;
 * - 401/403 (a missing, wrong or expired private key) → PermanentProviderError naming
 *   IMAGEKIT_PRIVATE_KEY, the setting to check — never the key itself;
 * - other 4xx → PermanentProviderError with ImageKit's message;
 * - 5xx, a timeout (the SDK's `APIConnectionTimeoutError`), a connection or DNS failure
 *   (`APIConnectionError`), or anything unrecognised → RetryableProviderError: retrying is the
 *   safe choice and the attempt limit bounds it.
 */
export function classifyImageKitError(raw: unknown, operation: ImageKitOperation, now: Date = new Date()): ProviderError {
  // Declared, not narrowed: `instanceof` would type the class's generic parameters as `any`.
  const answer: APIError | undefined = raw instanceof APIError ? raw : undefined;
  if (answer?.status !== undefined) {
    const status = answer.status;
    const message = bodyMessage(answer) ?? `HTTP ${status}`;
    if (status === 429) {
      return new RateLimitedError(`ImageKit rate limit exceeded during ${operation}: ${message}`, {
        status,
        hint: answer.headers ? hintFromHeaders(answer.headers, now, true) : undefined,
        cause: raw,
      });
    }
    if (status === 401 || status === 403) {
      return new PermanentProviderError(`ImageKit refused the credentials (${status}: ${message}); check IMAGEKIT_PRIVATE_KEY`, { status, cause: raw });
    }
    if (status >= 500) return new RetryableProviderError(`ImageKit failed during ${operation} (${status}): ${message}`, { status, cause: raw });
    if (status >= 400) return new PermanentProviderError(`ImageKit refused the ${operation} (${status}): ${message}`, { status, cause: raw });
  }
  if (raw instanceof APIConnectionTimeoutError) return new RetryableProviderError(`ImageKit did not answer the ${operation} in time`, { cause: raw });
  if (raw instanceof APIUserAbortError) return new RetryableProviderError(`The ImageKit ${operation} was aborted`, { cause: raw });
  const detail = networkCode(raw);
  return new RetryableProviderError(`Could not reach ImageKit for the ${operation}${detail ? ` (${detail})` : ''}`, { cause: raw });
}

/** The Node error code (ECONNRESET, ENOTFOUND …) somewhere down a fetch failure's causes. */
function networkCode(raw: unknown): string | undefined {
  let current: unknown = raw;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
