import { randomUUID } from 'node:crypto';
import type { ConcurrencyLeases } from '@hoist/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { unauthorized } from './plugins/auth.js';
import { HttpProblem } from './problem.js';

/** Limits on requests that stay open: SSE streams and long-polls (`?wait=`). */
export interface StreamLimits {
  /** Where open streams are counted across API processes (RedisLeases); without it, no cap. */
  leases?: ConcurrencyLeases | undefined;
  /** Streams and long-polls one tenant may hold open at once, across every API process (`TENANT_MAX_STREAMS`); 0: no cap. */
  maxPerTenant: number;
  /** How often an open stream looks its API key up again (`STREAM_AUTH_RECHECK_MS`), ms. */
  recheckMs: number;
  /** Where open streams are tracked so the app can end them when it closes (buildApp sets it). */
  open?: OpenStreams | undefined;
}

/**
 * The streams one app holds open. On close the app ends them and gives their leases back before
 * Redis goes away, so a deploy does not leave a tenant's share taken until the leases lapse.
 */
export class OpenStreams {
  readonly #streams = new Set<{ end(): Promise<void> }>();

  track(stream: { end(): Promise<void> }): () => void {
    this.#streams.add(stream);
    return () => this.#streams.delete(stream);
  }

  /** Ends every open stream (its client gets the current state) and waits for its lease to be given back. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#streams].map((stream) => stream.end()));
  }
}

/** Without configured limits: no cap, and keys are re-checked every 30 s. */
export const STREAM_DEFAULTS: StreamLimits = { maxPerTenant: 0, recheckMs: 30_000 };

/** What a client over the cap is told to wait before trying again, seconds. */
const RETRY_AFTER_SECONDS = 5;

/** An open stream's hold on its tenant's share; see {@link holdStream}. */
export interface HeldStream {
  /** Aborts when the client goes away or the request's API key is revoked. */
  readonly signal: AbortSignal;
  /** True once the key was found revoked (the signal has aborted then). */
  readonly revoked: boolean;
  /** Gives the tenant's share back and stops the re-checks. Call once the stream ends; later calls wait for the first. */
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
export async function holdStream(request: FastifyRequest, reply: FastifyReply, limits: StreamLimits = STREAM_DEFAULTS): Promise<HeldStream> {
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
  let timer: NodeJS.Timeout | undefined;
  let releasing: Promise<void> | undefined;
  const release = (): Promise<void> => {
    releasing ??= (async () => {
      clearInterval(timer);
      reply.raw.off('close', onClose);
      untrack?.();
      if (capped) await leases.release(key, holder).catch(() => undefined);
    })();
    return releasing;
  };
  // The response (not the request, whose 'close' may fire once its empty body is read) closes when
  // the client goes away. Renewal stops at once, so a stream whose release is somehow skipped still
  // lapses after its TTL instead of being renewed for as long as the process lives.
  const onClose = (): void => {
    clearInterval(timer);
    controller.abort();
  };
  reply.raw.once('close', onClose);
  const untrack = limits.open?.track({
    end: () => {
      // The app is closing: the connection ends with this answer instead of idling until its
      // keep-alive lapses (which would hold the shutdown that long).
      if (!reply.raw.headersSent) reply.header('connection', 'close');
      else reply.raw.once('finish', () => request.raw.socket.destroy());
      controller.abort();
      return release();
    },
  });
  // A client that left while the lease was being taken fired 'close' before anyone listened.
  if (reply.raw.destroyed || request.raw.socket.destroyed) onClose();
  else {
    timer = setInterval(() => {
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
  }

  return {
    signal: controller.signal,
    get revoked() {
      return revoked;
    },
    release,
  };
}

/** The 401 a stream ends with once its key is revoked. */
export function keyRevoked(reply: FastifyReply): HttpProblem {
  return unauthorized(reply, 'The API key has been revoked.');
}
