import {
  deliverWebhook,
  type ConcurrencyLeases,
  pruneWebhooks,
  relayWebhooks,
  repairWebhookJobs,
  WebhookSendError,
  type ExclusiveRunner,
  type Logger,
  type WebhookObserver,
  type WebhookRepository,
  type WebhookSender,
} from '@hoist/core';
import { BullWebhookQueue, WebhookWorker, type RedisConnection } from '@hoist/queue';
import { postRemote, RemoteFetchError, type ResolveHost } from '@hoist/remote-fetch';
import { startPeriodic, within } from '@hoist/runtime';
import { FIRST_RUN_AFTER_MS } from './reconciler.js';

/** Codes that mean the URL itself is refused by policy: retrying the same URL cannot help. */
const REFUSALS = new Set(['invalid_url', 'scheme_not_allowed', 'credentials_in_url', 'port_not_allowed', 'address_not_allowed']);

/** WebhookSender through @hoist/remote-fetch: the URL-upload address policy, pinned DNS, no redirects. */
export function remoteWebhookSender(options: { allow: readonly string[]; timeoutMs: number; lookup?: ResolveHost | undefined }): WebhookSender {
  return {
    async send(request) {
      try {
        return await postRemote(request.url, { allow: options.allow }, { body: request.body, headers: request.headers, timeoutMs: options.timeoutMs, lookup: options.lookup });
      } catch (error) {
        if (!(error instanceof RemoteFetchError)) throw error;
        throw new WebhookSendError(error.message, REFUSALS.has(error.code), { cause: error });
      }
    },
  };
}

export interface WebhookServiceOptions {
  webhooks: WebhookRepository;
  /** A worker connection (blocking commands) and a producer connection (fail fast); neither is closed here. */
  connection: RedisConnection;
  producer: RedisConnection;
  prefix: string;
  logger: Logger;
  exclusive: ExclusiveRunner;
  /** URL_FETCH_ALLOW. */
  allow: readonly string[];
  maxAttempts: number;
  retry: { baseMs: number; maxMs: number };
  timeoutMs: number;
  concurrency: number;
  /** Deliveries in flight to one endpoint across the cluster (WEBHOOK_ENDPOINT_CONCURRENCY); needs `leases`. 0 or unset: no bound. */
  endpointConcurrency?: number | undefined;
  /** Deliveries in flight for one tenant across the cluster (WEBHOOK_TENANT_CONCURRENCY); needs `leases`. 0 or unset: no bound. */
  tenantConcurrency?: number | undefined;
  /** Where those bounds are counted (RedisLeases); without it there are none. */
  leases?: ConcurrencyLeases | undefined;
  /** How long a delivery to a busy endpoint waits before trying again, ms; default 2 000. */
  busyRetryMs?: number | undefined;
  relayIntervalMs: number;
  /** How often the job repair runs (RECONCILE_INTERVAL_MS), ms; 0: never. */
  repairIntervalMs: number;
  /** Pending deliveries untouched this long are checked against the queue, ms. */
  repairStaleAfterMs: number;
  /** WEBHOOK_RETENTION_DAYS: finished events older than this are deleted, days; 0: kept forever. */
  retentionDays: number;
  /** How often the retention runs, ms; default 10 minutes. */
  pruneIntervalMs?: number;
  /** Counts delivery attempts (metrics). */
  observer?: WebhookObserver | undefined;
  /** Tests inject a resolver; default: the system's. */
  lookup?: ResolveHost;
}

/** Name of the cluster-wide lock of the delivery job repair. */
export const WEBHOOK_REPAIR_LOCK = 'hoist:webhook-repair';

/** Name of the cluster-wide lock of webhook retention. */
export const WEBHOOK_PRUNE_LOCK = 'hoist:webhook-prune';

/**
 * Webhooks in a worker process: the relay (events → deliveries → queue) on a short timer in every
 * worker (relays share the work through SKIP LOCKED), the delivery worker on the `webhooks` queue,
 * a periodic repair of deliveries whose job Redis lost, and retention, which deletes old finished
 * events (each of the two runs in one worker at a time across the cluster).
 */
export function startWebhookService(options: WebhookServiceOptions) {
  const { webhooks, logger } = options;
  const queue = new BullWebhookQueue({ connection: options.producer, prefix: options.prefix, attempts: options.maxAttempts, logger });
  const sender = remoteWebhookSender({ allow: options.allow, timeoutMs: options.timeoutMs, lookup: options.lookup });
  // A lease outlasts the request timeout plus recording the attempt; a crashed worker's lapses after it.
  const concurrency = options.leases
    ? { leases: options.leases, perEndpoint: options.endpointConcurrency ?? 0, perTenant: options.tenantConcurrency ?? 0, ttlMs: options.timeoutMs + 30_000 }
    : undefined;
  const worker = new WebhookWorker({
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    retry: options.retry,
    logger,
    ...(options.busyRetryMs ? { busyRetryMs: options.busyRetryMs } : {}),
    handle: (job) => deliverWebhook({ webhooks, sender, logger, observer: options.observer, concurrency }, job),
    onAbandoned: async (deliveryId, reason) => {
      if (!(await webhooks.markDeliveryFailed(deliveryId))) return;
      const event = (await webhooks.findDeliveryWork(deliveryId))?.event;
      logger.warn({ uploadId: event?.uploadId, tenantId: event?.tenantId, deliveryId, reason }, 'webhook delivery abandoned by the queue; marked failed');
    },
  });
  const running = worker.run().catch((error: unknown) => logger.error({ err: error }, 'webhook worker stopped with an error'));
  const relay = startPeriodic({ name: 'webhook relay', intervalMs: options.relayIntervalMs, jitter: 0.1, logger, task: () => relayWebhooks({ webhooks, queue, logger }) });
  const repair =
    options.repairIntervalMs > 0
      ? startPeriodic({
          name: 'webhook repair',
          intervalMs: options.repairIntervalMs,
          // Soon after start-up, like the reconciler: a worker in a crash loop may never live one interval.
          firstRunAfterMs: Math.min(FIRST_RUN_AFTER_MS, options.repairIntervalMs),
          logger,
          task: () => options.exclusive.run(WEBHOOK_REPAIR_LOCK, () => repairWebhookJobs({ webhooks, queue, logger }, { staleAfterMs: options.repairStaleAfterMs })),
        })
      : undefined;
  // Its own task rather than part of the repair: it needs only Postgres, so it keeps running while Redis is down.
  const prune =
    options.retentionDays > 0
      ? startPeriodic({
          name: 'webhook retention',
          intervalMs: options.pruneIntervalMs ?? 10 * 60_000,
          logger,
          task: () => options.exclusive.run(WEBHOOK_PRUNE_LOCK, () => pruneWebhooks({ webhooks, logger }, { retentionMs: options.retentionDays * 86_400_000 })),
        })
      : undefined;

  return {
    queue,
    /**
     * After Redis lost its data: re-enqueues every pending delivery whose job is gone, whatever its
     * age (single-flight with the periodic repair). False when another process holds the repair lock.
     */
    async repairLost(): Promise<boolean> {
      const outcome = await options.exclusive.run(WEBHOOK_REPAIR_LOCK, () => repairWebhookJobs({ webhooks, queue, logger }, { staleAfterMs: 0 }));
      return outcome.ran;
    },
    /** Stops the relay, repair and retention, lets deliveries in flight finish for up to `timeoutMs`, then closes the queue. */
    async stop(timeoutMs: number): Promise<{ forced: boolean }> {
      // Each step is bounded: with Redis down, a relay run, BullMQ's run loop and the queue's close
      // would otherwise wait for it forever, and the process would never exit.
      await within(relay.stop(), 10_000);
      await within(repair?.stop() ?? Promise.resolve(), 10_000);
      await within(prune?.stop() ?? Promise.resolve(), 10_000);
      const result = await worker.close(timeoutMs);
      await within(running, 2_000);
      await within(queue.close(), 2_000);
      return result;
    },
  };
}
