import { Queue, type Job } from 'bullmq';
import { QUEUE_NAMES } from './jobs.js';
import type { RedisConnection } from './redis.js';
import { rateLimitedForMs } from './upload-worker.js';

/** Job states counted per queue, in the order operators read them. */
export const COUNTED_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children', 'completed', 'failed'] as const;
export type CountedState = (typeof COUNTED_STATES)[number];

/** One queue at a glance. */
export interface QueueOverview {
  name: string;
  counts: Record<CountedState, number>;
  /** Paused queue-wide (`queue.pause()`): no worker on any host takes a job. */
  paused: boolean;
  /** Remaining queue-wide rate-limit pause (a provider 420/429), ms; 0 when not rate limited. */
  rateLimitedForMs: number;
}

/** A job BullMQ gave up on. */
export interface FailedJob {
  queue: string;
  jobId: string;
  /** From the job's payload, when it names an upload. */
  uploadId: string | undefined;
  attemptsMade: number;
  failedReason: string;
  createdAt: Date;
  finishedAt: Date | undefined;
}

/** One job as BullMQ knows it, with its log lines (one per attempt outcome, see UploadWorker). */
export interface JobDetails {
  queue: string;
  jobId: string;
  /** BullMQ's state: waiting, delayed, active, prioritized, waiting-children, completed, failed or unknown. */
  state: string;
  attemptsMade: number;
  /** Attempts allowed before BullMQ gives up. */
  attempts: number;
  failedReason: string | undefined;
  createdAt: Date;
  processedAt: Date | undefined;
  finishedAt: Date | undefined;
  /** Delay the job was (last) scheduled with, ms: a retry backoff or a wait while Postgres was down. */
  delayMs: number;
  logs: string[];
}

export interface QueueAdminOptions {
  /** A producer connection (see createRedis), shared by every queue handle and not closed by `close`. */
  connection: RedisConnection;
  /** BullMQ key prefix, as the workers use it. */
  prefix: string;
}

/** Thrown for a queue name that is not one of QUEUE_NAMES. */
export class UnknownQueueError extends Error {
  constructor(readonly queue: string) {
    super(`unknown queue "${queue}"; Hoist's queues are: ${QUEUE_NAMES.join(', ')}`);
    this.name = 'UnknownQueueError';
  }
}

/**
 * Inspects and steers every Hoist queue for operators (the CLI). BullMQ only: it never changes an
 * upload's row, so anything that must stick (retry, cancel) goes through a core use case instead.
 * Constructing it does no I/O.
 */
export class QueueAdmin {
  private readonly queues: Map<string, Queue>;

  constructor(options: QueueAdminOptions) {
    this.queues = new Map(QUEUE_NAMES.map((name) => [name, new Queue(name, { connection: options.connection, prefix: options.prefix })]));
  }

  /** Names of every queue, in QUEUE_NAMES order. */
  get names(): readonly string[] {
    return [...this.queues.keys()];
  }

  async overview(): Promise<QueueOverview[]> {
    return Promise.all(
      [...this.queues.values()].map(async (queue) => {
        const [counts, paused, limitedMs] = await Promise.all([queue.getJobCounts(...COUNTED_STATES), queue.isPaused(), rateLimitedForMs(queue)]);
        return {
          name: queue.name,
          counts: Object.fromEntries(COUNTED_STATES.map((state) => [state, counts[state] ?? 0])) as Record<CountedState, number>,
          paused,
          rateLimitedForMs: limitedMs,
        };
      }),
    );
  }

  /** The most recently failed jobs of every queue (or of `queue`), newest first. */
  async failed(options: { limit: number; queue?: string | undefined }): Promise<FailedJob[]> {
    const queues = options.queue ? [this.queue(options.queue)] : [...this.queues.values()];
    const jobs = (await Promise.all(queues.map((queue) => queue.getFailed(0, options.limit - 1)))).flat();
    return jobs
      .map((job) => ({
        queue: job.queueName,
        jobId: job.id ?? '',
        uploadId: uploadIdOf(job.data),
        attemptsMade: job.attemptsMade,
        failedReason: job.failedReason,
        createdAt: new Date(job.timestamp),
        finishedAt: job.finishedOn ? new Date(job.finishedOn) : undefined,
      }))
      .sort((a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0))
      .slice(0, options.limit);
  }

  /** Ids of every failed job in the queue, newest first. */
  async failedJobIds(queueName: string): Promise<string[]> {
    return this.queue(queueName).getRanges(['failed'], 0, -1, false);
  }

  /** One job with its logs, or undefined when the queue has no job with this id. */
  async job(queueName: string, jobId: string): Promise<JobDetails | undefined> {
    const queue = this.queue(queueName);
    const job = (await queue.getJob(jobId)) as Job | undefined;
    if (!job) return undefined;
    const [state, { logs }] = await Promise.all([job.getState(), queue.getJobLogs(jobId)]);
    return {
      queue: queueName,
      jobId,
      state,
      attemptsMade: job.attemptsMade,
      attempts: job.opts.attempts ?? 1,
      failedReason: job.failedReason || undefined,
      createdAt: new Date(job.timestamp),
      processedAt: job.processedOn ? new Date(job.processedOn) : undefined,
      finishedAt: job.finishedOn ? new Date(job.finishedOn) : undefined,
      delayMs: job.delay,
      logs,
    };
  }

  /** Pauses the queue for every worker on every host; jobs keep arriving and wait. Idempotent. */
  async pause(queueName: string): Promise<void> {
    await this.queue(queueName).pause();
  }

  /** Undoes {@link pause}. Idempotent. */
  async resume(queueName: string): Promise<void> {
    await this.queue(queueName).resume();
  }

  async isPaused(queueName: string): Promise<boolean> {
    return this.queue(queueName).isPaused();
  }

  /** Removes the queue's completed or failed jobs that finished more than `olderThanMs` ago. @returns how many. */
  async clean(queueName: string, state: 'completed' | 'failed', olderThanMs: number): Promise<number> {
    // limit 0: no limit (BullMQ cleans in batches of 10 000 until none is left).
    return (await this.queue(queueName).clean(olderThanMs, 0, state)).length;
  }

  /** Closes the queue handles; the shared connection stays open for its owner to close. */
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }

  private queue(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new UnknownQueueError(name);
    return queue;
  }
}

function uploadIdOf(data: unknown): string | undefined {
  const value = typeof data === 'object' && data !== null ? (data as { uploadId?: unknown }).uploadId : undefined;
  return typeof value === 'string' ? value : undefined;
}
