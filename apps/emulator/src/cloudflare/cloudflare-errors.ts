import type { FastifyReply } from 'fastify';
import type { FaultDecision, QuotaState } from '../faults.js';

/** One entry of a Cloudflare API answer's `errors`. */
export interface CloudflareErrorEntry {
  readonly code: number;
  readonly message: string;
}

/** Cloudflare's v4 API envelope on failure: `{result:null, success:false, errors:[{code,message}], messages:[]}`. */
export interface CloudflareErrorBody {
  readonly result: null;
  readonly success: false;
  readonly errors: readonly CloudflareErrorEntry[];
  readonly messages: readonly never[];
}

/** An error that becomes a Cloudflare-shaped answer with this status and these errors. */
export class CloudflareHttpError extends Error {
  readonly errors: readonly CloudflareErrorEntry[];
  constructor(
    readonly statusCode: number,
    code: number,
    message: string,
    ...more: CloudflareErrorEntry[]
  ) {
    super(message);
    this.name = 'CloudflareHttpError';
    this.errors = [{ code, message }, ...more];
  }
}

export function cloudflareErrorBody(errors: readonly CloudflareErrorEntry[]): CloudflareErrorBody {
  return { result: null, success: false, errors, messages: [] };
}

/** Cloudflare's message on a 429 from its API rate limiter (code 971). */
export const THROTTLED = { code: 971, message: 'Please wait and consider throttling your request speed' } as const;

/**
 * The IETF rate-limit fields Cloudflare's API sends on its answers: `Ratelimit` (`r=` requests left,
 * `t=` seconds until the window resets) and `Ratelimit-Policy` (`q=` requests per `w=` seconds).
 * The emulator's limiter counts per second; its policy is stated per hour (q = rate × 3600), the
 * same rate in the unit the Cloudinary side uses.
 */
export function cloudflareQuotaHeaders(quota: QuotaState, now: number = Date.now()): Record<string, string> {
  const seconds = Math.max(0, Math.ceil((quota.resetAt.getTime() - now) / 1000));
  return {
    ratelimit: `"default";r=${quota.remaining};t=${seconds}`,
    'ratelimit-policy': `"default";q=${quota.limit};w=3600`,
  };
}

type RateLimited = Extract<FaultDecision, { action: 'rate_limit' }>;
type OverLimit = Extract<FaultDecision, { action: 'over_limit' }>;

/**
 * A 429 as Cloudflare's API answers one: `Retry-After` in seconds and the `Ratelimit` fields, with
 * code 971 in the body. Cloudflare never answers 420, so a scripted fault's status is not used;
 * its `hint: 'none'` leaves the headers out, any other hint puts them in (Cloudflare's message never
 * names the reset).
 */
export function sendCloudflareRateLimited(reply: FastifyReply, decision: RateLimited | OverLimit): FastifyReply {
  const quota: QuotaState | undefined =
    decision.action === 'over_limit'
      ? decision.quota
      : decision.limit === undefined
        ? undefined
        : { limit: decision.limit, remaining: 0, resetAt: decision.resetAt };
  const withHeaders = decision.action === 'over_limit' || decision.hint !== 'none';
  if (withHeaders) {
    void reply.header('retry-after', String(decision.retryAfterSeconds));
    void reply.header('ratelimit', `"default";r=0;t=${decision.retryAfterSeconds}`);
    if (quota !== undefined) void reply.header('ratelimit-policy', `"default";q=${quota.limit};w=3600`);
  }
  return reply.code(429).send(cloudflareErrorBody([THROTTLED]));
}
