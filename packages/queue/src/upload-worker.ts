import { DEFAULT_MAX_RECLAIMS, FetchSlotsBusyError, ProviderNotConfiguredError, RateLimitedError, StoreUnavailableError, type Logger, type ProcessOutcome, type ProcessUploadJob } from '@hoist/core';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { rateLimitPause, retryDelay, type BackoffOptions } from './backoff.js';
import { UPLOAD_QUEUE, type JobRegistry } from './jobs.js';
import type { RedisConnection } from './redis.js';
import { closeWorker } from './close-worker.js';
import { deferJob, jittered } from './defer.js';
import { within } from '@hoist/runtime';
import { LOG_MESSAGES } from '@hoist/logger';

type UploadJob = JobRegistry['upload'];

/**
 * Jobs per second of every worker's own limiter: high enough never to throttle. It also tells the
 * provider's pause (which sets the limiter counter far above it) from the limiter's ordinary
 * one-second window, see {@link rateLimitedForMs}.
 */
const WORKER_LIMITER_MAX = 1_000_000;

/**
 * What is left of the queue-wide pause a worker set for a provider rate limit, ms; 0 when there is
 * none. (A plain `getRateLimitTtl()` would also report the workers' own limiter window, up to 1 s
 * after any job started.)
 */
export async function rateLimitedForMs(queue: Pick<Queue, 'getRateLimitTtl'>): Promise<number> {
  // Below zero: -2 (no limiter key) or -1 (no expiry, which BullMQ never sets).
  return Math.max(await queue.getRateLimitTtl(WORKER_LIMITER_MAX), 0);
}

export interface UploadWorkerOptions {
  /** A worker connection (see createRedis). Not closed by the worker. */
  connection: RedisConnection;
  prefix: string;
  /** Jobs this process runs at once. */
  concurrency: number;
  retry: BackoffOptions;
  /** Queue-wide pause when a rate limit comes without a reset time, ms; doubles with each such limit in a row. */
  rateLimitFallbackMs: number;
  /**
   * Re-claims the use case allows (`MAX_RECLAIMS`); default {@link DEFAULT_MAX_RECLAIMS} (5). BullMQ's own limit on stalls is one
   * more, so it is only a backstop and the upload ends with the use case's `reclaims_exhausted`.
   */
  maxReclaims?: number;
  /** Job lock duration and stalled-job check interval, ms; BullMQ's default is 30 000. */
  lockDurationMs?: number;
  /** How long a job waits before trying again while Postgres is unreachable, ms (jittered ±50 %); default 2 000. */
  storeRetryMs?: number;
  /** How long a URL upload first waits when every fetch slot is busy, ms (jittered ±50 %; doubles with each wait of the same job, up to 15 s); default 1 000. */
  fetchBusyRetryMs?: number;
  logger: Logger;
  /** The use case: one attempt at one upload. */
  handle: (job: ProcessUploadJob) => Promise<ProcessOutcome>;
  /**
   * Called when BullMQ gives up on a job for a reason the handler never saw: `stalled` when its
   * workers kept dying (more than its stall limit), `attempts` otherwise.
   */
  onAbandoned: (uploadId: string, reason: string, cause: 'stalled' | 'attempts') => Promise<void>;
  /** Called after this worker paused the whole queue for a provider rate limit, with the pause in ms (metrics). Must not throw. */
  onRateLimitPause?: (pauseMs: number) => void;
  /**
   * What a provider's rate limit stops: `queue` (default), the whole upload queue, which is the
   * cheapest pause when every upload goes to the one provider; `job`, only the job that met it
   * (delayed until the reset), when uploads go to several providers — one provider's 429 must not
   * stop another's uploads. The provider's own throttle then holds its other jobs back: each is
   * delayed when it asks for a call, without calling the provider.
   */
  rateLimitPauses?: 'queue' | 'job';
}

/**
 * Runs upload jobs and translates domain outcomes into BullMQ's vocabulary:
 * rate limited → queue-wide pause + RateLimitError (attempt not spent); retryable → thrown (backoff);
 * failed → UnrecoverableError (no retry).
 */
export class UploadWorker {
  readonly worker: Worker<UploadJob>;
  /** Handle on the same queue, used only to set the queue-wide rate limit every worker obeys. */
  private readonly limiter: Queue<UploadJob>;
  /** Rate limits in a row that named no reset time; each doubles the fallback pause. */
  private hintlessStreak = 0;

  constructor(private readonly options: UploadWorkerOptions) {
    this.limiter = new Queue<UploadJob>(UPLOAD_QUEUE, { connection: options.connection, prefix: options.prefix });
    this.limiter.on('error', (error) => options.logger.warn({ err: error }, 'queue connection error'));
    this.worker = new Worker<UploadJob>(UPLOAD_QUEUE, (job, token) => this.process(job, token), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      autorun: false,
      // How long an idle worker blocks waiting for a job, seconds (BullMQ's default is 5). A
      // prioritized job put back by a rate limit is only seen at the end of that wait, so a short
      // one keeps the restart after a provider pause prompt; it costs one Redis call a second when idle.
      drainDelay: 1,
      // BullMQ honours a queue-wide pause (queue.rateLimit) only in workers that have a limiter; this
      // one never throttles by itself, it only makes every worker obey the provider's pause.
      limiter: { max: WORKER_LIMITER_MAX, duration: 1_000 },
      // A crashed worker's job is picked up again by another (stalled-job recovery). BullMQ's default
      // gives up after one stall; a host that dies twice during one upload should not fail it. Postgres
      // bounds re-claims itself (MAX_RECLAIMS, with a clear `reclaims_exhausted`), so BullMQ's count is
      // one higher: the job that would exceed MAX_RECLAIMS still runs, and its claim ends the upload.
      maxStalledCount: (options.maxReclaims ?? DEFAULT_MAX_RECLAIMS) + 1,
      ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs, stalledInterval: options.lockDurationMs } : {}),
      settings: {
        // Jobs are enqueued with backoff type JITTER_BACKOFF; it is the only custom type there is.
        backoffStrategy: (attemptsMade) => retryDelay(attemptsMade, options.retry),
      },
    });
    // A job BullMQ will not run again (attempts exhausted, stalled too often, or one we failed on
    // purpose) must not leave its upload unfinished in Postgres. failing it is guarded, so this is a
    // no-op for uploads the use case already recorded as failed.
    this.worker.on('failed', (job, error) => {
      // Our own UnrecoverableError means the use case already recorded the failure; recording it
      // again could undo a retry accepted in between.
      if (!job?.finishedOn || error instanceof UnrecoverableError) return;
      // BullMQ's own words for a job that stalled more often than maxStalledCount allows.
      const cause = /stalled more than allowable limit/i.test(error.message) ? 'stalled' : 'attempts';
      this.options.onAbandoned(job.data.uploadId, error.message, cause).catch((cause: unknown) => {
        // attemptsMade already counts the attempt that failed.
        options.logger.error({ err: cause, ...logFields(job), attempt: job.attemptsMade }, 'could not record abandoned job');
      });
    });
    this.worker.on('error', (error) => options.logger.error({ err: error }, 'worker error'));
  }

  /** Starts taking jobs. Resolves when the worker stops. */
  run(): Promise<void> {
    return this.worker.run();
  }

  /**
   * Stops taking jobs and waits up to `timeoutMs` for running ones; after that they are released
   * (left to BullMQ's stalled-job recovery, which hands them to another worker).
   */
  async close(timeoutMs: number): Promise<{ forced: boolean }> {
    const outcome = await closeWorker(this.worker, timeoutMs);
    await within(this.limiter.close(), 2_000);
    return outcome;
  }

  private async process(job: Job<UploadJob>, token: string | undefined): Promise<ProcessOutcome['kind']> {
    const attempts = job.opts.attempts ?? 1;
    const attempt = job.attemptsMade + 1;
    const isFinalAttempt = attempt >= attempts;
    let outcome: ProcessOutcome;
    let claimToken: string | undefined;
    try {
      outcome = await this.options.handle({
        uploadId: job.data.uploadId,
        isFinalAttempt,
        jobId: job.id,
        resuming: job.data.resuming,
        onClaimed: (claimed) => (claimToken = claimed),
      });
    } catch (error) {
      const line = `attempt ${attempt}/${attempts}: ${describeError(error, isFinalAttempt)}`;
      if (error instanceof StoreUnavailableError) {
        // Postgres is down: wait and try again without spending an attempt, however long it takes.
        const delayMs = jittered(this.options.storeRetryMs ?? 2_000);
        this.options.logger.warn({ ...logFields(job), delayMs }, LOG_MESSAGES.databaseUnavailable);
        await this.note(job, line);
        // The run stopped for the database, not because a worker died: the next run resumes it.
        if (claimToken) await job.updateData({ ...job.data, resuming: claimToken });
        await job.moveToDelayed(Date.now() + delayMs, token);
        throw new DelayedError();
      }
      if (error instanceof FetchSlotsBusyError) {
        // Not holding this worker slot while a fetch slot frees up is the point: provider uploads get it.
        await deferJob(job, token, this.options.fetchBusyRetryMs ?? 1_000);
      }
      if (error instanceof ProviderNotConfiguredError) {
        // No attempt spent (the use case refunded it): back later, for a worker that has the
        // provider's credentials, waiting longer each time (up to 15 s) while none does.
        await this.note(job, line);
        await deferJob(job, token, 5_000);
      }
      if (error instanceof RateLimitedError) {
        // Without a reset time, back off exponentially: a provider that keeps refusing without
        // saying until when should see longer and longer pauses (capped by rateLimitPause at 1 h).
        this.hintlessStreak = error.resetAt ? 0 : this.hintlessStreak + 1;
        const fallbackMs = this.options.rateLimitFallbackMs * 2 ** Math.min(Math.max(this.hintlessStreak - 1, 0), 10);
        const pauseMs = rateLimitPause(error.resetAt, { fallbackMs });
        if (this.options.rateLimitPauses === 'job') {
          this.options.logger.warn({ ...logFields(job), pauseMs }, 'delaying the upload for its provider\'s rate limit');
          await this.note(job, line);
          await job.moveToDelayed(Date.now() + pauseMs, token);
          throw new DelayedError();
        }
        this.options.logger.warn({ ...logFields(job), pauseMs }, 'pausing the upload queue for the provider rate limit');
        await this.limiter.rateLimit(pauseMs);
        this.options.onRateLimitPause?.(pauseMs);
        await this.note(job, line);
        throw Worker.RateLimitError();
      }
      // Retryable and unexpected errors alike go back to BullMQ, which retries with backoff.
      await this.note(job, line);
      throw error;
    }
    await this.note(job, `attempt ${attempt}/${attempts}: ${outcome.kind === 'failed' ? `failed ${outcome.failure.code}` : outcome.kind}`);
    if (outcome.kind === 'succeeded') this.hintlessStreak = 0;
    if (outcome.kind === 'failed') throw new UnrecoverableError(`${outcome.failure.code}: ${outcome.failure.message}`);
    return outcome.kind;
  }

  /** One line in the job's log (`hoist uploads show`). Losing it is not worth failing the job for. */
  private async note(job: Job<UploadJob>, line: string): Promise<void> {
    await job.log(`${new Date().toISOString()} ${line}`).catch(() => undefined);
  }
}

/**
 * What ties the queue's own log lines to the upload (see the use case's lines): the tenant comes
 * from the job's data, since Postgres may be the very thing that is down; `attempt` is BullMQ's
 * count, which equals the upload's `attempts` unless a stalled run was picked up again.
 */
function logFields(job: Job<UploadJob>): { uploadId: string; tenantId?: string; jobId: string | undefined; attempt: number } {
  return { uploadId: job.data.uploadId, ...(job.data.tenantId ? { tenantId: job.data.tenantId } : {}), jobId: job.id, attempt: job.attemptsMade + 1 };
}

/** What an attempt that threw means for the job, in one log line: its error code and what happens next. */
function describeError(error: unknown, isFinalAttempt: boolean): string {
  if (error instanceof StoreUnavailableError) return `${error.code}: waiting for the database (attempt not spent)`;
  if (error instanceof RateLimitedError) return `${error.code}: queue paused for the rate limit (attempt not spent)`;
  // Domain errors carry a stable code (ProviderError, SourceFetchError); anything else is unexpected.
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'unexpected_error';
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 200);
  return `${code}: ${message}${isFinalAttempt ? ' (no attempts left)' : ' (will retry)'}`;
}
