import { randomUUID } from 'node:crypto';
import type { ConcurrencyLeases } from '@hoist/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.js';

/** Limits on requests that stay open: SSE streams and long-polls (`?wait=`). */
export interface StreamLimits {
  /** Where open streams are counted across API processes (RedisLeases); without it, no cap. */
  leases?: ConcurrencyLeases | undefined;
  /** Streams and long-polls one tenant may hold open at once, across every API process (`TENANT_MAX_STREAMS`); 0: no cap. */
  maxPerTenant: number;
  /** How often an open stream looks its API key up again (`STREAM_AUTH_RECHECK_MS`), ms. */
  recheckMs: number;
}

/** Without configured limits: no cap, and keys are re-checked every 30 s. */
const DEFAULTS: StreamLimits = { maxPerTenant: 0, recheckMs: 30_000 };

/** What a client over the cap is told to wait before trying again, seconds. */
const RETRY_AFTER_SECONDS = 5;

/** An open stream's hold on its tenant's share; see {@link holdStream}. */
export interface HeldStream {
  /** Aborts when the client goes away or the request's API key is revoked. */
  readonly signal: AbortSignal;
  /** True once the key was found revoked (the signal has aborted then). */
  readonly revoked: boolean;
  /** Gives the tenant's share back and stops the re-checks. Call once the stream ends. */
  release(): Promise<void>;
}

/**
 * Opens a long-lived request: takes a lease on one of the tenant's `maxPerTenant` stream slots
 * (Redis, so the cap holds across API replicas; leases lapse after two missed re-checks, so a
 * crashed replica's streams stop counting), and every `recheckMs` renews it and looks the API key
 * up again. A Redis failure lets the stream through (the cap is protection, not correctness); a
 * database failure during a re-check keeps the stream (an outage must not drop every client).
 *
 * @throws HttpProblem 429 `too-many-streams` with Retry-After when the tenant is at its cap.
 */
export async function holdStream(request: FastifyRequest, reply: FastifyReply, limits: StreamLimits = DEFAULTS): Promise<HeldStream> {
  const key = `streams:${request.tenantId}`;
  const holder = `${request.id}:${randomUUID()}`;
  const ttlMs = limits.recheckMs * 2 + 10_000;
  const { leases } = limits;
  const capped = leases !== undefined && limits.maxPerTenant > 0;
  if (capped) {
    const held = await leases.acquire(key, holder, { limit: limits.maxPerTenant, ttlMs }).catch((error: unknown) => {
      request.log.warn({ err: error }, 'could not count open streams; letting this one through');
      return true;
    });
    if (!held) {
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      throw new HttpProblem(429, 'too-many-streams', 'Too many open streams', `This tenant already has ${limits.maxPerTenant} event streams and long-polls open (the limit); close one or retry later.`);
    }
  }

  const controller = new AbortController();
  let revoked = false;
  const onClose = (): void => controller.abort();
  request.raw.once('close', onClose);
  const timer = setInterval(() => {
    if (capped) leases.renew(key, holder, ttlMs).catch(() => undefined);
    request
      .stillAuthorized()
      .then((authorized) => {
        if (authorized) return;
        revoked = true;
        controller.abort();
      })
      .catch((error: unknown) => request.log.warn({ err: error }, 'could not re-check the API key of an open stream; keeping it'));
  }, limits.recheckMs);
  timer.unref();

  let released = false;
  return {
    signal: controller.signal,
    get revoked() {
      return revoked;
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      request.raw.off('close', onClose);
      if (capped) await leases.release(key, holder).catch(() => undefined);
    },
  };
}

/** The 401 a stream ends with once its key is revoked (the header, as for any 401 of the auth plugin). */
export function keyRevoked(reply: FastifyReply): HttpProblem {
  reply.header('www-authenticate', 'Bearer realm="hoist"');
  return new HttpProblem(401, 'unauthorized', 'Unauthorized', 'The API key has been revoked.');
}
