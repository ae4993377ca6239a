import { randomUUID } from 'node:crypto';
import type { ConcurrencyLeases } from '../concurrency-leases.js';
import type { Logger } from '../logger.js';
import type { WebhookObserver } from '../observer.js';
import { toUploadView } from '../upload-view.js';
import type { DeliveryWork, WebhookEvent } from './webhook.js';
import type { WebhookRepository } from './webhook.repository.js';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

/** The request a delivery sends. */
export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/**
 * Sends one webhook request. Adapters refuse to reach non-public addresses (SSRF) exactly as URL
 * uploads do, and follow no redirects.
 */
export interface WebhookSender {
  /**
   * POSTs the request once.
   * @returns the receiver's status, whatever it is.
   * @throws {WebhookSendError} when there is no answer to judge (timeout, connection or DNS failure,
   *   an address the policy refuses).
   */
  send(request: WebhookRequest): Promise<{ statusCode: number }>;
}

/** No usable answer from the receiver. `permanent`: trying again cannot help (the URL is refused by policy). */
export class WebhookSendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'WebhookSendError';
  }
}

/** The JSON body of an event, identical on every attempt. */
export function webhookPayload(event: WebhookEvent) {
  return { id: event.id, type: event.type, createdAt: event.createdAt.toISOString(), data: { upload: toUploadView(event.upload) } };
}

export interface DeliverWebhookDeps {
  webhooks: WebhookRepository;
  sender: WebhookSender;
  logger: Logger;
  /** Counts each attempt's outcome and duration (metrics). */
  observer?: WebhookObserver | undefined;
  /** Unix time in ms; tests pin it. */
  now?: () => number;
  /**
   * Bounds the deliveries in flight across the cluster, per endpoint (`WEBHOOK_ENDPOINT_CONCURRENCY`)
   * and per tenant (`WEBHOOK_TENANT_CONCURRENCY`; 0: none), so one tenant's slow receivers cannot
   * occupy every delivery slot. `ttlMs` must outlast an attempt (the request timeout plus recording
   * it): a crashed worker's leases lapse after it. Default: unbounded.
   */
  concurrency?: DeliveryConcurrency | undefined;
}

/** See {@link DeliverWebhookDeps.concurrency}. */
export interface DeliveryConcurrency {
  leases: ConcurrencyLeases;
  /** Deliveries in flight to one endpoint; 0: no bound. */
  perEndpoint: number;
  /** Deliveries in flight for one tenant, all its endpoints together; 0: no bound. */
  perTenant: number;
  /** Lease lifetime, ms. */
  ttlMs: number;
}

/**
 * How one attempt ended: `succeeded` (2xx), `retry` (worth another attempt later), `failed` (no
 * more attempts: the last one, or a refusal by policy), `skipped` (the delivery is finished or
 * gone — its endpoint was deleted), or `busy` (nothing sent and no attempt spent: the endpoint
 * already has as many deliveries in flight as allowed; try again shortly).
 */
export type DeliveryOutcome =
  | { kind: 'succeeded' }
  | { kind: 'retry'; reason: string }
  | { kind: 'failed'; reason: string }
  | { kind: 'skipped' }
  | { kind: 'busy' };

/**
 * One attempt at one delivery: sign the event with the endpoint's secret, POST it, record the
 * attempt in Postgres (so it shows in the deliveries API), and end the delivery on success or on
 * its last attempt. Safe to run twice: a finished delivery is skipped.
 */
export async function deliverWebhook(deps: DeliverWebhookDeps, job: { deliveryId: string; isFinalAttempt: boolean }): Promise<DeliveryOutcome> {
  const { webhooks } = deps;
  const work = await webhooks.findDeliveryWork(job.deliveryId);
  if (!work || work.status !== 'pending') return { kind: 'skipped' };
  const bound = deps.concurrency;
  // One holder per run, not per delivery: a re-run of a stalled job counts as the second sender it
  // is, and the first run's release does not drop the second run's hold.
  const holder = `${job.deliveryId}:${randomUUID()}`;
  const taken = bound ? await takeLeases(bound, holder, work) : [];
  if (taken === undefined) {
    deps.observer?.deliveryDeferred?.();
    return { kind: 'busy' };
  }
  try {
    return await attemptDelivery(deps, job, work);
  } finally {
    if (bound) await releaseLeases(bound, holder, taken);
  }
}

/** The tenant's lease, then the endpoint's; undefined (and nothing held) when either is at its limit. */
async function takeLeases(bound: DeliveryConcurrency, holder: string, work: DeliveryWork): Promise<string[] | undefined> {
  const wanted = [
    { key: `webhook-tenant:${work.event.tenantId}`, limit: bound.perTenant },
    { key: `webhook-endpoint:${work.endpoint.id}`, limit: bound.perEndpoint },
  ].filter((lease) => lease.limit > 0);
  const taken: string[] = [];
  for (const { key, limit } of wanted) {
    // Without Redis there is no queue to take jobs from either; a failed count must not stop a delivery.
    const held = await bound.leases.acquire(key, holder, { limit, ttlMs: bound.ttlMs }).catch(() => true);
    if (!held) {
      await releaseLeases(bound, holder, taken);
      return undefined;
    }
    taken.push(key);
  }
  return taken;
}

/** A lease that cannot be given back lapses after its ttl. */
async function releaseLeases(bound: DeliveryConcurrency, holder: string, keys: readonly string[]): Promise<void> {
  for (const key of keys) await bound.leases.release(key, holder).catch(() => undefined);
}

async function attemptDelivery(deps: DeliverWebhookDeps, job: { deliveryId: string; isFinalAttempt: boolean }, work: DeliveryWork): Promise<DeliveryOutcome> {
  const { webhooks, sender } = deps;
  const now = deps.now ?? Date.now;
  const attempt = await webhooks.startAttempt(job.deliveryId);
  if (attempt === undefined) return { kind: 'skipped' };

  const { event, endpoint } = work;
  const body = JSON.stringify(webhookPayload(event));
  const startedAt = now();
  // A fresh timestamp per attempt: receivers refuse old ones, and a retry an hour later is not a replay.
  const timestamp = Math.floor(startedAt / 1000);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Hoist-Webhooks/0.1',
    [EVENT_ID_HEADER]: event.id,
    [EVENT_TYPE_HEADER]: event.type,
    [SIGNATURE_HEADER]: signWebhook(endpoint.secret, timestamp, body),
  };

  let statusCode: number | null = null;
  let error: string | null = null;
  let permanent = false;
  try {
    ({ statusCode } = await sender.send({ url: endpoint.url, body, headers }));
  } catch (cause) {
    if (!(cause instanceof WebhookSendError)) throw cause;
    error = cause.message;
    permanent = cause.permanent;
  }
  const succeeded = statusCode !== null && statusCode >= 200 && statusCode <= 299;
  const reason = error ?? `The receiver answered ${statusCode}.`;
  const final = succeeded ? 'succeeded' : permanent || job.isFinalAttempt ? 'failed' : undefined;
  const durationMs = Math.max(0, now() - startedAt);
  deps.observer?.deliveryAttempt?.(succeeded ? 'delivered' : final ? 'failed' : 'retrying', durationMs / 1000);
  await webhooks.recordAttempt(job.deliveryId, { attempt, startedAt: new Date(startedAt), durationMs, statusCode, error, succeeded }, final);

  // The upload's ids, so one grep of an upload id finds its deliveries too; `deliveryAttempt`, because
  // `attempt` on an upload's lines is the upload's attempt.
  const log = deps.logger.child({ uploadId: event.uploadId, tenantId: event.tenantId, deliveryId: job.deliveryId, eventId: event.id, endpointId: endpoint.id, deliveryAttempt: attempt });
  if (succeeded) {
    log.info({ statusCode }, 'webhook delivered');
    return { kind: 'succeeded' };
  }
  log.warn({ statusCode, error, final: final ?? null }, final ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry');
  return final ? { kind: 'failed', reason } : { kind: 'retry', reason };
}
