import { PermanentProviderError, ProviderError, ProviderNotConfiguredError, RateLimitedError, TooManyUnfinishedUploadsError, TooManyWebhookEndpointsError, WebhookUrlTakenError } from '@hoist/core';
import { HttpProblem } from './problem.js';

/**
 * What a client over the unfinished-uploads cap is told to wait before trying again, seconds: about
 * how long a small upload takes to finish, so a client retrying at this pace finds room soon
 * without hammering the API.
 */
export const UNFINISHED_RETRY_AFTER_SECONDS = 5;

/**
 * The problem a domain error becomes — the client's to act on (a cap, a conflict) or the
 * provider's (it refused, or is unavailable or rate limiting) — or undefined for any other error.
 * Used by the error handler, and by the multi-file upload answer, whose entries carry the same problems.
 */
export function domainProblem(error: unknown): HttpProblem | undefined {
  if (error instanceof TooManyUnfinishedUploadsError) return tooManyUnfinished(error.limit);
  // A count limit is a conflict with the tenant's current state, not a rate: waiting will not help,
  // deleting an endpoint will.
  if (error instanceof TooManyWebhookEndpointsError) return new HttpProblem(409, 'too-many-webhooks', 'Too many webhooks', error.message, { limit: error.limit });
  if (error instanceof WebhookUrlTakenError) {
    return new HttpProblem(409, 'webhook-url-taken', 'Webhook URL already registered', error.message, { webhookId: error.endpointId });
  }
  if (error instanceof ProviderError) return providerProblem(error);
  return undefined;
}

/** When the provider refuses (502) or cannot answer now (503, with Retry-After when it is rate limiting). */
function providerProblem(error: ProviderError): HttpProblem {
  if (error instanceof RateLimitedError) {
    const seconds = error.resetAt ? Math.max(1, Math.ceil((error.resetAt.getTime() - Date.now()) / 1000)) : 60;
    return withCause(new HttpProblem(503, 'provider-rate-limited', 'Provider rate limited', 'The media provider is rate limiting; try again later.', {}, { 'retry-after': String(seconds) }), error);
  }
  if (error instanceof ProviderNotConfiguredError) {
    return withCause(new HttpProblem(503, 'provider-not-configured', 'Provider not configured', `This API cannot reach ${error.provider}, where the asset is: it has no credentials for it.`, { provider: error.provider }), error);
  }
  if (error instanceof PermanentProviderError) return withCause(new HttpProblem(502, 'provider-refused', 'Provider refused the request', error.message), error);
  return withCause(new HttpProblem(503, 'provider-unavailable', 'Provider unavailable', 'The media provider is unavailable; try again shortly.'), error);
}

/** The error handler logs a 5xx problem's cause: the provider's own error, not this translation. */
function withCause(problem: HttpProblem, cause: unknown): HttpProblem {
  problem.cause = cause;
  return problem;
}

/** 429 for a tenant at `TENANT_MAX_UNFINISHED_UPLOADS`, with a Retry-After. */
export function tooManyUnfinished(limit: number): HttpProblem {
  return new HttpProblem(429, 'too-many-unfinished-uploads', 'Too many unfinished uploads', new TooManyUnfinishedUploadsError(limit).message, { limit }, {
    'retry-after': String(UNFINISHED_RETRY_AFTER_SECONDS),
  });
}
