import type { FastifyReply } from 'fastify';
import type { FaultDecision, QuotaState } from './faults.js';

/** The only error body shape Cloudinary uses: `{"error":{"message":…}}`. */
export interface ErrorBody {
  readonly error: { readonly message: string };
}

/** An error that becomes an HTTP answer with a Cloudinary-shaped body. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function errorBody(message: string): ErrorBody {
  return { error: { message } };
}

/** `2026-11-23 17:00:00 UTC`, the form Cloudinary's rate-limit message uses. */
export function rateLimitDate(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

type RateLimited = Extract<FaultDecision, { action: 'rate_limit' }>;

/** Answers like Cloudinary's rate limiter, putting the reset time where the hint says. */
export function sendRateLimited(reply: FastifyReply, decision: RateLimited): FastifyReply {
  const inMessage = decision.hint === 'message' || decision.hint === 'both';
  const inHeaders = decision.hint === 'headers' || decision.hint === 'both';
  if (inHeaders) {
    void reply.headers({
      ...(decision.limit === undefined ? {} : { 'x-featureratelimit-limit': String(decision.limit) }),
      'x-featureratelimit-remaining': '0',
      'x-featureratelimit-reset': decision.resetAt.toUTCString(),
      'retry-after': String(decision.retryAfterSeconds),
    });
  }
  const message = inMessage ? `Rate Limit Exceeded. Try again on ${rateLimitDate(decision.resetAt)}` : 'Rate Limit Exceeded';
  // Node has no reason phrase for 420 and would print "unknown"; use the one Cloudinary's docs give.
  if (decision.status === 420) reply.raw.statusMessage = 'Rate Limited';
  return reply.code(decision.status).send(errorBody(message));
}

/** Cloudinary's rate-limit headers for the current window; it sends them on every answer of a limited feature. */
export function quotaHeaders(quota: QuotaState): Record<string, string> {
  return {
    'x-featureratelimit-limit': String(quota.limit),
    'x-featureratelimit-remaining': String(quota.remaining),
    'x-featureratelimit-reset': quota.resetAt.toUTCString(),
  };
}

type OverLimit = Extract<FaultDecision, { action: 'over_limit' }>;

/** Answers a request the rate limiter refused, saying as much about the limit as its style does. */
export function sendOverLimit(reply: FastifyReply, decision: OverLimit): FastifyReply {
  reply.raw.statusMessage = 'Rate Limited';
  switch (decision.style) {
    case 'cloudinary':
      // Cloudinary's own wording, and no Retry-After: the reset is only in these headers and the message.
      void reply.headers(quotaHeaders(decision.quota));
      return reply
        .code(420)
        .send(errorBody(`Rate Limit Exceeded. Limit of ${decision.quota.limit} api operations reached. Try again on ${rateLimitDate(decision.quota.resetAt)}`));
    case 'retry-after':
      void reply.header('retry-after', String(decision.retryAfterSeconds));
      return reply.code(420).send(errorBody('Rate Limit Exceeded'));
    case 'bare':
      return reply.code(420).send(errorBody('Rate Limit Exceeded'));
  }
}
