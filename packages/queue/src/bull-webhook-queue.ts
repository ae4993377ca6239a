import type { JobState, Logger, WebhookJobQueue } from '@hoist/core';
import { Queue } from 'bullmq';
import { WEBHOOK_BACKOFF, WEBHOOK_QUEUE, type JobRegistry } from './jobs.js';
import { bullPriority } from './priority.js';
import type { RedisConnection } from './redis.js';

type DeliverJob = JobRegistry['deliver'];

export interface BullWebhookQueueOptions {
  /** A producer connection (see createRedis); the queue does not close it. */
  connection: RedisConnection;
  /** BullMQ key prefix. */
  prefix: string;
  /** Attempts per delivery (WEBHOOK_MAX_ATTEMPTS). */
  attempts: number;
  logger?: Logger;
  /** Longest wait for Redis to take a job, ms; default 5 000. The delivery stays in the outbox otherwise. */
  enqueueTimeoutMs?: number;
}

/** WebhookJobQueue on BullMQ, queue `webhooks`. The job id is the delivery id, so enqueueing is idempotent. */
export class BullWebhookQueue implements WebhookJobQueue {
  readonly queue: Queue<DeliverJob>;

  constructor(private readonly options: BullWebhookQueueOptions) {
    this.queue = new Queue<DeliverJob>(WEBHOOK_QUEUE, { connection: options.connection, prefix: options.prefix });
    this.queue.on('error', (error) => options.logger?.warn({ err: error }, 'webhook queue connection error'));
  }

  /** @throws when Redis does not take the job within `enqueueTimeoutMs`. */
  async enqueueDelivery(deliveryId: string, options: { priority?: number | undefined } = {}): Promise<void> {
    const timeoutMs = this.options.enqueueTimeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not accept the job within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([
        this.queue.add(
          'deliver',
          { deliveryId },
          {
            jobId: deliveryId,
            // Fair share (deliveryPriorities).
            ...bullPriority(options.priority),
            attempts: this.options.attempts,
            backoff: { type: WEBHOOK_BACKOFF },
            removeOnComplete: { age: 86_400 },
            removeOnFail: { age: 7 * 86_400 },
          },
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async deliveryJobState(deliveryId: string): Promise<JobState> {
    const job = await this.queue.getJob(deliveryId);
    if (!job) return 'missing';
    if (!job.finishedOn) return 'live';
    return job.returnvalue === null || job.returnvalue === undefined ? 'failed' : 'completed';
  }

  async removeFinishedDelivery(deliveryId: string): Promise<void> {
    if ((await this.deliveryJobState(deliveryId)) !== 'live') await this.queue.remove(deliveryId);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
