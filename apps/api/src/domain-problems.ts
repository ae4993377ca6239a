import { TooManyUnfinishedUploadsError, TooManyWebhookEndpointsError, WebhookUrlTakenError } from '@hoist/core';
import { HttpProblem } from './problem.js';

/**
 * What a client over the unfinished-uploads cap is told to wait before trying again, seconds: about
 * how long a small upload takes to finish, so a client retrying at this pace finds room soon
 * without hammering the API.
 */
export const UNFINISHED_RETRY_AFTER_SECONDS = 5;

/**
 * The problem a domain error a client can act on becomes, or undefined for any other error. Used by
 * the error handler, and by the multi-file upload answer, whose entries carry the same problems.
 */
export function domainProblem(error: unknown): HttpProblem | undefined {
  if (error instanceof TooManyUnfinishedUploadsError) {
    return new HttpProblem(429, 'too-many-unfinished-uploads', 'Too many unfinished uploads', error.message, { limit: error.limit }, {
      'retry-after': String(UNFINISHED_RETRY_AFTER_SECONDS),
    });
  }
  // A count limit is a conflict with the tenant's current state, not a rate: waiting will not help,
  // deleting an endpoint will.
  if (error instanceof TooManyWebhookEndpointsError) return new HttpProblem(409, 'too-many-webhooks', 'Too many webhooks', error.message, { limit: error.limit });
  if (error instanceof WebhookUrlTakenError) {
    return new HttpProblem(409, 'webhook-url-taken', 'Webhook URL already registered', error.message, { webhookId: error.endpointId });
  }
  return undefined;
}
