import { fairSharePriority } from '../fair-share.js';
import { newUploadId } from '../ids.js';
import type { JobState } from '../job-queue.js';
import type { Logger } from '../logger.js';
import { MAX_WEBHOOK_ENDPOINTS_PER_TENANT } from './webhook.js';
import type { WebhookRepository } from './webhook.repository.js';

/** Hands deliveries to workers. Redis holds work, not truth: everything here can be rebuilt from Postgres. */
export interface WebhookJobQueue {
  /**
   * Enqueues one delivery. Idempotent: the job id is the delivery id.
   * `priority`: a rank as for uploads (EnqueueOptions.priority: lower runs first, 1, the default, is
   * the highest; unbounded, the adapter maps it into its range); see {@link deliveryPriorities}.
   */
  enqueueDelivery(deliveryId: string, options?: { priority?: number | undefined }): Promise<void>;
  deliveryJobState(deliveryId: string): Promise<JobState>;
  /** Removes a finished job so the delivery can be enqueued again under its id. */
  removeFinishedDelivery(deliveryId: string): Promise<void>;
}

export interface WebhookRelayDeps {
  webhooks: WebhookRepository;
  queue: WebhookJobQueue;
  logger: Logger;
}

const PAGE = 100;

/**
 * UUIDv7s that strictly increase, even within one millisecond (each id's time is at least 1 ms past
 * the last one's), so deliveries created in one batch list in the order of their events.
 */
export function monotonicIds(): () => string {
  let last = 0;
  return () => {
    last = Math.max(Date.now(), last + 1);
    return newUploadId(last);
  };
}

/**
 * Moves events on: 1. fans new events out to deliveries (Postgres only, so it works while Redis is
 * down), to at most {@link MAX_WEBHOOK_ENDPOINTS_PER_TENANT} endpoints per event; 2. enqueues deliveries not yet in the queue. Both steps are idempotent and may run in
 * several processes at once. A delivery that cannot be enqueued (Redis down) stays in the outbox
 * for the next run.
 */
export async function relayWebhooks(deps: WebhookRelayDeps, options: { newId?: () => string } = {}): Promise<{ events: number; deliveries: number; enqueued: number }> {
  const newId = options.newId ?? monotonicIds();
  let events = 0;
  let deliveries = 0;
  for (;;) {
    const batch = await deps.webhooks.relayEvents({ limit: PAGE, newId, maxEndpointsPerTenant: MAX_WEBHOOK_ENDPOINTS_PER_TENANT });
    events += batch.events;
    deliveries += batch.deliveries;
    if (batch.events < PAGE) break;
  }
  let enqueued = 0;
  for (;;) {
    const ids = await deps.webhooks.listUnenqueuedDeliveries(PAGE);
    const priorities = ids.length ? await deliveryPriorities(deps.webhooks, ids) : new Map<string, number>();
    for (const id of ids) {
      await deps.queue.enqueueDelivery(id, { priority: priorities.get(id) });
      await deps.webhooks.markDeliveryEnqueued(id);
      enqueued += 1;
    }
    if (ids.length < PAGE) break;
  }
  if (events || enqueued) deps.logger.info({ events, deliveries, enqueued }, 'webhook events relayed');
  return { events, deliveries, enqueued };
}

/**
 * Fair share between tenants for webhook deliveries, by the uploads' rule ({@link fairSharePriority}):
 * a delivery's priority is its place in its tenant's pending backlog, so one tenant's burst of events
 * (or its slow receivers' growing backlog) does not queue ahead of another tenant's delivery. `ids`
 * are oldest first; a tenant's older deliveries in the batch get the smaller numbers.
 */
export async function deliveryPriorities(webhooks: Pick<WebhookRepository, 'deliveryBacklogs'>, ids: readonly string[]): Promise<Map<string, number>> {
  const rows = await webhooks.deliveryBacklogs(ids);
  const byId = new Map(rows.map((row) => [row.id, row]));
  const inBatch = new Map<string, number>();
  for (const row of rows) inBatch.set(row.tenantId, (inBatch.get(row.tenantId) ?? 0) + 1);
  const seen = new Map<string, number>();
  const priorities = new Map<string, number>();
  for (const id of ids) {
    const row = byId.get(id);
    if (!row) continue;
    const place = (seen.get(row.tenantId) ?? 0) + 1;
    seen.set(row.tenantId, place);
    // The backlog counts the whole batch; this one is preceded by the backlog before the batch plus its place in it.
    priorities.set(id, fairSharePriority(row.backlog - (inBatch.get(row.tenantId) ?? 0) + place));
  }
  return priorities;
}

/**
 * Makes the queue agree with Postgres for deliveries: a pending delivery untouched for `staleAfterMs`
 * whose job vanished (Redis flushed or failed over) is enqueued again; one whose job the queue gave
 * up on without recording it is marked failed.
 */
export async function repairWebhookJobs(deps: WebhookRelayDeps, options: { staleAfterMs: number; now?: Date }): Promise<{ requeued: number; failed: number }> {
  const before = new Date((options.now ?? new Date()).getTime() - options.staleAfterMs);
  let requeued = 0;
  let failed = 0;
  let afterId: string | undefined;
  for (;;) {
    const ids = await deps.webhooks.listStalePendingDeliveries({ before, limit: PAGE, afterId });
    let priorities: Map<string, number> | undefined;
    for (const id of ids) {
      const state = await deps.queue.deliveryJobState(id);
      if (state === 'live') continue;
      if (state === 'failed') {
        if (await deps.webhooks.markDeliveryFailed(id)) failed += 1;
        continue;
      }
      if (state === 'completed') await deps.queue.removeFinishedDelivery(id);
      priorities ??= await deliveryPriorities(deps.webhooks, ids);
      await deps.queue.enqueueDelivery(id, { priority: priorities.get(id) });
      await deps.webhooks.markDeliveryEnqueued(id);
      requeued += 1;
    }
    if (ids.length < PAGE) break;
    afterId = ids.at(-1);
  }
  if (requeued || failed) deps.logger.warn({ requeued, failed }, 'webhook deliveries repaired');
  return { requeued, failed };
}
