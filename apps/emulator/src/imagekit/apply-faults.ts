import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { drainBody, hang, resetConnection } from '../apply-faults.js';
import type { FaultDecision, QuotaState } from '../faults.js';
import { errorBody, rateLimitHeaders, sendRateLimited, type RateLimitState } from './answers.js';
import type { ImageKitContext } from './context.js';

/**
 * The limiter's window in ImageKit's terms: `limit` requests per `intervalMs` (the window the
 * limiter counts in: one second, or ceil(1/rate) seconds below one request a second).
 */
function windowState(context: ImageKitContext, quota: QuotaState): RateLimitState {
  const rate = context.faults.settings().rateLimitPerSecond ?? 1;
  const intervalMs = Math.max(1, Math.ceil(1 / rate)) * 1000;
  return { limit: Math.max(1, Math.floor((rate * intervalMs) / 1000)), intervalMs, resetMs: quota.resetAt.getTime() - Date.now() };
}

/**
 * Applies latency and the next scripted fault — and, on the media API (`limited`), the rate limiter:
 * ImageKit limits every API but uploads (API overview, "Rate limits"). The limiter's style:
 * `cloudinary` (the default, named for the shared setting) sends ImageKit's `X-RateLimit-*`
 * headers on every answer and on its 429s, as ImageKit does; `retry-after` only on its 429s; `bare`
 * never. A scripted `rate_limit` answers 429 whatever `status` it names (ImageKit never sends 420),
 * with the headers unless its hint is `message` or `none`; its `limit` is per hour.
 * Returns true when the request has been answered and the route must stop.
 */
export async function applyFaults(context: ImageKitContext, request: FastifyRequest, reply: FastifyReply, limited: boolean): Promise<boolean> {
  if (context.faults.latencyMs > 0) await sleep(context.faults.latencyMs);
  const decision: FaultDecision = limited || context.faults.settings().script.length > 0 ? context.faults.next() : { action: 'pass' };
  switch (decision.action) {
    case 'pass':
      if (decision.quota) void reply.headers(rateLimitHeaders(windowState(context, decision.quota)));
      return false;
    case 'over_limit':
      await drainBody(request);
      void sendRateLimited(reply, windowState(context, decision.quota), decision.style !== 'bare');
      return true;
    case 'rate_limit':
      await drainBody(request);
      void sendRateLimited(
        reply,
        { limit: decision.limit, intervalMs: decision.limit === undefined ? undefined : 3_600_000, resetMs: decision.resetAt.getTime() - Date.now() },
        decision.hint === 'headers' || decision.hint === 'both',
      );
      return true;
    case 'error':
      await drainBody(request);
      void reply.code(decision.status).send(errorBody(decision.message ?? STATUS_CODES[decision.status] ?? 'Error'));
      return true;
    case 'timeout':
      hang(context, request, reply, decision.hangMs);
      return true;
    case 'reset':
      resetConnection(context, request, reply);
      return true;
  }
}
