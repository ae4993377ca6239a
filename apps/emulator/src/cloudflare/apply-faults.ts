import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { drainBody, hang, resetConnection } from '../apply-faults.js';
import type { CloudflareContext } from './cloudflare-context.js';
import { cloudflareErrorBody, cloudflareQuotaHeaders, sendCloudflareRateLimited } from './cloudflare-errors.js';

/**
 * Applies latency and the next scripted fault (or the rate limiter) to a Cloudflare API request, in
 * Cloudflare's answer shapes. Returns true when the request has been dealt with and the route must stop.
 */
export async function applyCloudflareFaults(context: CloudflareContext, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (context.faults.latencyMs > 0) await sleep(context.faults.latencyMs);
  const decision = context.faults.next();
  switch (decision.action) {
    case 'pass':
      if (decision.quota) void reply.headers(cloudflareQuotaHeaders(decision.quota));
      return false;
    case 'over_limit':
    case 'rate_limit':
      await drainBody(request);
      void sendCloudflareRateLimited(reply, decision);
      return true;
    case 'error':
      await drainBody(request);
      void reply
        .code(decision.status)
        // Cloudflare's Images codes are the status plus 5000 (5400, 5404, 5409…); 5xx are its own failures.
        .send(cloudflareErrorBody([{ code: 5000 + decision.status, message: decision.message ?? STATUS_CODES[decision.status] ?? 'Error' }]));
      return true;
    case 'timeout':
      hang(context, request, reply, decision.hangMs);
      return true;
    case 'reset':
      resetConnection(context, request, reply);
      return true;
  }
}
