import type { FastifyReply } from 'fastify';

/**
 * ImageKit's error body: `{"message": …, "help": …}` (upload API reference, 400/401/403 answers;
 * the custom metadata field API adds `errors` to a 400).
 */
export interface ImageKitErrorBody {
  readonly message: string;
  readonly help: string;
  readonly errors?: Readonly<Record<string, string>>;
}

/** The `help` ImageKit puts in every error body. */
const HELP = 'For support kindly contact us at support@imagekit.io .';

export function errorBody(message: string, errors?: Readonly<Record<string, string>>): ImageKitErrorBody {
  return { message, help: HELP, ...(errors === undefined ? {} : { errors }) };
}

/** An error that becomes an ImageKit-shaped HTTP answer. */
export class ImageKitError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errors?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'ImageKitError';
  }
}

/** What ImageKit's rate-limit headers say: `limit` requests per `intervalMs`, the next one admitted in `resetMs`. */
export interface RateLimitState {
  readonly limit: number | undefined;
  readonly intervalMs: number | undefined;
  readonly resetMs: number;
}

/**
 * ImageKit's rate-limit headers (API overview, "Rate limits"): `X-RateLimit-Limit` requests per
 * `X-RateLimit-Interval` milliseconds, and `X-RateLimit-Reset`, the milliseconds before another
 * request may be made.
 */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    ...(state.limit === undefined ? {} : { 'x-ratelimit-limit': String(state.limit) }),
    'x-ratelimit-reset': String(Math.max(0, Math.ceil(state.resetMs))),
    ...(state.intervalMs === undefined ? {} : { 'x-ratelimit-interval': String(state.intervalMs) }),
  };
}

/**
 * A 429 as ImageKit sends it. Its body's wording is not documented; the status and headers are.
 * `headers` false: a bare 429 that says nothing about the limit.
 */
export function sendRateLimited(reply: FastifyReply, state: RateLimitState, headers = true): FastifyReply {
  if (headers) void reply.headers(rateLimitHeaders(state));
  return reply.code(429).send(errorBody('Too many requests. Please retry after the time given in the X-RateLimit-Reset header.'));
}
