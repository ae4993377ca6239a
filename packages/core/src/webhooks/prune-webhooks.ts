import type { Logger } from '../logger.js';
import type { WebhookRepository } from './webhook.repository.js';

export interface PruneWebhooksOptions {
  /** Finished events older than this are deleted, ms. */
  retentionMs: number;
  now?: Date;
  /** Rows per statement; default 1 000 (small enough that a backlog never holds many locks for long). */
  batchSize?: number;
  /** Batches per run, default 100; what is left waits for the next run, so stopping a worker never waits long. */
  maxBatches?: number;
}

/**
 * Retention: deletes webhook events older than `retentionMs` whose deliveries are all finished
 * (`succeeded` or `failed`), with their deliveries and attempts, in bounded batches. Events with a
 * pending delivery stay whatever their age.
 */
export async function pruneWebhooks(
  deps: { webhooks: WebhookRepository; logger: Logger },
  options: PruneWebhooksOptions,
): Promise<{ events: number; deliveries: number; attempts: number }> {
  const before = new Date((options.now ?? new Date()).getTime() - options.retentionMs);
  const limit = options.batchSize ?? 1_000;
  const total = { events: 0, deliveries: 0, attempts: 0 };
  for (let batch = 0; batch < (options.maxBatches ?? 100); batch++) {
    const pruned = await deps.webhooks.pruneFinished({ before, limit });
    total.events += pruned.events;
    total.deliveries += pruned.deliveries;
    total.attempts += pruned.attempts;
    if (pruned.events < limit && pruned.deliveries < limit && pruned.attempts < limit) break;
  }
  if (total.events || total.deliveries || total.attempts) deps.logger.info({ ...total, before: before.toISOString() }, 'old webhook events pruned');
  return total;
}
