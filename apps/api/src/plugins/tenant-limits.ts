import rateLimit from '@fastify/rate-limit';
import { TooManyUnfinishedUploadsError, type UploadRepository } from '@hoist/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { RedisConnection } from '@hoist/queue';
import { HttpProblem } from '../problem.js';

export interface TenantLimitsOptions {
  /** Requests per minute per tenant across every API process (0: no limit). */
  requestsPerMinute: number;
  /** Open (receiving, queued or processing) uploads a tenant may have before new ones are refused (0: no cap). */
  maxUnfinishedUploads: number;
  /** Shared counter store; without it each API process counts on its own. */
  redis?: RedisConnection | undefined;
  /** Prefix of the counters' Redis keys (the deployment's QUEUE_PREFIX). */
  keyPrefix: string;
  uploads: UploadRepository;
}

/** Bodies up to this size (declared Content-Length) skip the cap's pre-check: reading them costs less than the count. */
export const PRECHECK_MIN_BYTES = 1024 * 1024;

function toArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Keeps one tenant from starving the others: a request rate limit per tenant (429 problem with
 * Retry-After; counted in Redis, so it holds across API processes, and skipped rather than failing
 * requests while Redis is down) and a fast pre-check of each tenant's unfinished-uploads cap (429
 * with Retry-After) before a large upload's body is read.
 * Register after the auth plugin: both key on `request.tenantId`.
 */
export const tenantLimitsPlugin = fp<TenantLimitsOptions>(
  async (app: FastifyInstance, options: TenantLimitsOptions) => {
    if (options.requestsPerMinute > 0) {
      await app.register(rateLimit, {
        max: options.requestsPerMinute,
        timeWindow: 60_000,
        // After authentication, so the key is the tenant, not the client address.
        hook: 'preHandler',
        keyGenerator: (request) => `tenant:${request.tenantId}`,
        nameSpace: `${options.keyPrefix}:rate-limit:`,
        ...(options.redis ? { redis: options.redis } : {}),
        skipOnError: true,
        errorResponseBuilder: (_request, context) =>
          new HttpProblem(429, 'too-many-requests', 'Too many requests', `At most ${context.max} requests per minute per tenant; retry in ${Math.ceil(context.ttl / 1000)} s.`),
      });
    }
    if (options.maxUnfinishedUploads > 0) {
      const { maxUnfinishedUploads, uploads } = options;
      // Only a fast refusal: the cap itself is enforced per file where the row is created or
      // reopened (UploadRepository.create / reopenForRetry), which concurrent requests cannot race.
      const precheck = async (request: FastifyRequest) => {
        // A replay of an accepted request must get its original answer even at the cap; the
        // repository answers replays before it checks the cap.
        if (request.headers['idempotency-key'] !== undefined) return;
        const unfinished = await uploads.countUnfinished(request.tenantId);
        if (unfinished >= maxUnfinishedUploads) throw new TooManyUnfinishedUploadsError(maxUnfinishedUploads);
      };
      // For new uploads it saves reading a large body that would be refused; reading one of at most
      // PRECHECK_MIN_BYTES costs less than the count, so those go straight to the enforcement.
      const precheckLargeBody = async (request: FastifyRequest) => {
        const declared = Number(request.headers['content-length'] ?? Number.NaN);
        if (declared <= PRECHECK_MIN_BYTES) return;
        await precheck(request);
      };
      // On the two routes that add to the backlog only, not as a hook every request of the scope runs.
      app.addHook('onRoute', (route) => {
        if (route.method !== 'POST') return;
        if (route.url === '/v1/uploads') route.preHandler = [...toArray(route.preHandler), precheckLargeBody];
        if (route.url === '/v1/uploads/:id/retry') route.preHandler = [...toArray(route.preHandler), precheck];
      });
    }
  },
  { name: 'hoist-tenant-limits', dependencies: ['hoist-auth'] },
);
