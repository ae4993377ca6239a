import { QueueUnavailableError, type EnqueueOptions, type JobQueue, type JobState, type Logger } from '@hoist/core';
import { Queue } from 'bullmq';
import { JITTER_BACKOFF, UPLOAD_QUEUE, type JobRegistry } from './jobs.js';
import { bullPriority } from './priority.js';
import { isRedisConnectionError, type RedisConnection } from './redis.js';

export interface BullJobQueueOptions {
  /** A producer connection (see createRedis); the queue does not close it. */
  connection: RedisConnection;
  /** BullMQ key prefix; default `hoist`. */
  prefix: string;
  /** Attempts per upload job, rate-limited runs excluded. */
  attempts: number;
  /** Completed jobs are kept this long for operators, seconds; default one day. */
  keepCompletedSeconds?: number;
  /** Failed jobs are kept this long, seconds; default seven days. */
  keepFailedSeconds?: number;
  /** Where connection errors go; BullMQ would otherwise print them to the console. */
  logger?: Logger;
  /** Longest wait for Redis to take a job (or answer any other call), ms; default 5 000. BullMQ itself would wait forever. */
  enqueueTimeoutMs?: number;
}

type UploadJob = JobRegistry['upload'];

/** JobQueue on BullMQ. The job id is the upload id, which makes enqueueing idempotent. */
export class BullJobQueue implements JobQueue {
  readonly queue: Queue<UploadJob>;

  constructor(private readonly options: BullJobQueueOptions) {
    this.queue = new Queue<UploadJob>(UPLOAD_QUEUE, { connection: options.connection, prefix: options.prefix });
    this.queue.on('error', (error) => options.logger?.warn({ err: error }, 'upload queue connection error'));
  }

  /**
   * @throws when Redis does not take the job within `enqueueTimeoutMs`. The job may still arrive
   * later; that is harmless, because a job for an upload that is not queued does nothing.
   */
  async enqueueUpload(uploadId: string, options: EnqueueOptions = {}): Promise<void> {
    await this.bounded('accept the job', this.add(uploadId, options.priority, options.tenantId));
  }

  /**
   * Every call is bounded by `enqueueTimeoutMs`: BullMQ waits for Redis forever, and callers (a
   * request, the outbox relay, a shutdown waiting for the relay) must not hang with it.
   * @throws QueueUnavailableError when Redis does not answer in time or cannot be reached; any other
   * error as it is (a bug, not an outage).
   */
  private async bounded<T>(what: string, work: Promise<T>): Promise<T> {
    const timeoutMs = this.options.enqueueTimeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError(`Redis did not ${what} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } catch (error) {
      throw isRedisConnectionError(error) ? new QueueUnavailableError(`Redis is unreachable: ${(error as Error).message}`, error) : error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async add(uploadId: string, priority: number | undefined, tenantId: string | undefined): Promise<void> {
    await this.queue.add(
      'upload',
      tenantId === undefined ? { uploadId } : { uploadId, tenantId },
      {
        jobId: uploadId,
        // See fairPriority.
        ...bullPriority(priority),
        attempts: this.options.attempts,
        backoff: { type: JITTER_BACKOFF },
        removeOnComplete: { age: this.options.keepCompletedSeconds ?? 86_400 },
        removeOnFail: { age: this.options.keepFailedSeconds ?? 7 * 86_400 },
        // The worker logs one line per attempt outcome; a long database outage or rate-limit storm
        // adds one per wait, so only the newest lines are kept.
        keepLogs: 50,
      },
    );
  }

  /**
   * From the job's own hash (one O(1) read), not BullMQ's getState, which scans the wait list and
   * would make a reconciler run over a large backlog quadratic.
   */
  async jobState(uploadId: string): Promise<JobState> {
    const job = await this.bounded('answer', this.queue.getJob(uploadId));
    if (!job) return 'missing';
    if (!job.finishedOn) return 'live';
    // Our processor always returns a value; a finished job without one failed.
    return job.returnvalue === null || job.returnvalue === undefined ? 'failed' : 'completed';
  }

  async removeJob(uploadId: string): Promise<boolean> {
    // BullMQ refuses (returns 0) for a job whose lock a worker holds.
    const removed = await this.bounded('answer', this.queue.remove(uploadId));
    return removed === 1 || !(await this.bounded('answer', this.queue.getJob(uploadId)));
  }

  async removeFinishedJob(uploadId: string): Promise<void> {
    if ((await this.jobState(uploadId)) !== 'live') await this.bounded('answer', this.queue.remove(uploadId));
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
