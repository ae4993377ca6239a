import { StoreUnavailableError, type DeliveryOutcome, type Logger } from '@hoist/core';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { BackoffOptions } from './backoff.js';
import { WEBHOOK_QUEUE, type JobRegistry } from './jobs.js';
import type { RedisConnection } from './redis.js';
import { closeWorker } from './close-worker.js';
import { deferJob, jittered } from './defer.js';

type DeliverJob = JobRegistry['deliver'];

/**
 * Delay before retry number `attemptsMade` (1 after the first failure): exponential ("equal
 * jitter": half the ceiling plus a random part of the other half). Unlike the uploads' full jitter
 * it never retries at once: a receiver that just failed is given time, while deliveries that failed
 * together (a receiver outage) still spread out when it comes back.
 */
export function webhookRetryDelay(attemptsMade: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

export interface WebhookWorkerOptions {
  /** A worker connection (see createRedis). Not closed by the worker. */
  connection: RedisConnection;
  prefix: string;
  /** Deliveries this process sends at once. */
  concurrency: number;
  retry: BackoffOptions;
  /** How long a job waits before trying again while Postgres is unreachable, ms (jittered ±50 %); default 2 000. */
  storeRetryMs?: number;
  /** How long a delivery first waits when its endpoint is busy, ms (jittered ±50 %; doubles with each wait of the same job, up to 15 s); default 2 000. */
  busyRetryMs?: number;
  logger: Logger;
  /** The use case: one attempt at one delivery (deliverWebhook). */
  handle: (job: { deliveryId: string; isFinalAttempt: boolean }) => Promise<DeliveryOutcome>;
  /** Called when BullMQ gives up on a job for a reason the handler never saw (stalled too often, an unexpected error). */
  onAbandoned: (deliveryId: string, reason: string) => Promise<void>;
}

/**
 * Runs delivery jobs from the `webhooks` queue: `retry` → thrown (BullMQ retries with
 * {@link webhookRetryDelay}); `failed` → UnrecoverableError; Postgres down, or the endpoint busy →
 * back to delayed without spending an attempt.
 */
export class WebhookWorker {
  readonly worker: Worker<DeliverJob>;

  constructor(private readonly options: WebhookWorkerOptions) {
    this.worker = new Worker<DeliverJob>(WEBHOOK_QUEUE, (job, token) => this.process(job, token), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      autorun: false,
      settings: { backoffStrategy: (attemptsMade) => webhookRetryDelay(attemptsMade, options.retry) },
    });
    this.worker.on('failed', (job, error) => {
      if (!job?.finishedOn) return;
      // markDeliveryFailed is guarded: a no-op when the handler already recorded the failure.
      this.options.onAbandoned(job.data.deliveryId, job.failedReason || String(error)).catch((cause: unknown) => {
        options.logger.error({ err: cause, deliveryId: job.data.deliveryId }, 'could not record an abandoned delivery');
      });
    });
    this.worker.on('error', (error) => options.logger.error({ err: error }, 'webhook worker error'));
  }

  /** Starts taking jobs. Resolves when the worker stops. */
  run(): Promise<void> {
    return this.worker.run();
  }

  /** Stops taking jobs and waits up to `timeoutMs` for running ones; then releases them to stalled-job recovery. */
  async close(timeoutMs: number): Promise<{ forced: boolean }> {
    return closeWorker(this.worker, timeoutMs);
  }

  private async process(job: Job<DeliverJob>, token: string | undefined): Promise<DeliveryOutcome['kind']> {
    const isFinalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.options.handle({ deliveryId: job.data.deliveryId, isFinalAttempt });
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        const delayMs = jittered(this.options.storeRetryMs ?? 2_000);
        this.options.logger.warn({ deliveryId: job.data.deliveryId, delayMs }, 'database unavailable; delivery will try again');
        await job.moveToDelayed(Date.now() + delayMs, token);
        throw new DelayedError();
      }
      throw error;
    }
    if (outcome.kind === 'busy') {
      // Back to the queue without spending an attempt, and without holding this slot meanwhile.
      await deferJob(job, token, this.options.busyRetryMs ?? 2_000);
    }
    if (outcome.kind === 'retry') throw new Error(outcome.reason);
    if (outcome.kind === 'failed') throw new UnrecoverableError(outcome.reason);
    return outcome.kind;
  }
}
