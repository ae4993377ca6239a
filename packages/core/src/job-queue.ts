export interface EnqueueOptions {
  /**
   * The job's rank: a positive integer, lower runs first (1 is the highest); jobs of one rank run in
   * arrival order. Default 1. Unbounded: an adapter whose queue has a narrower range (BullMQ's ends
   * at 2^21 − 1) runs every rank beyond it at its lowest priority. See fairPriority.
   */
  priority?: number | undefined;
  /** The upload's tenant, kept in the job so the queue's own log lines can name it. */
  tenantId?: string | undefined;
}

/** Hands accepted uploads to workers. Redis holds work, not truth: everything here can be rebuilt from Postgres. */
export interface JobQueue {
  /**
   * Enqueues processing of one upload. Idempotent: the job id is the upload id, so enqueueing an
   * upload that already has a job — waiting, running or finished — is a no-op (hence
   * {@link removeFinishedJob} before enqueueing an upload again).
   */
  enqueueUpload(uploadId: string, options?: EnqueueOptions): Promise<void>;

  /**
   * Removes the upload's job unless a worker is running it. Idempotent.
   * @returns false when the job is running (locked) and could not be removed.
   */
  removeJob(uploadId: string): Promise<boolean>;

  /** Removes a finished (completed or failed) job so the upload can be enqueued again under its id. Idempotent. */
  removeFinishedJob(uploadId: string): Promise<void>;

  /** Where the upload's job is (see {@link JobState}). */
  jobState(uploadId: string): Promise<JobState>;
}

/**
 * Where an upload's job is, as far as the queue knows. `live` covers waiting, delayed, active and
 * rate-limited jobs: something will run it. `missing` means the queue has no such job (Redis was
 * flushed or failed over, or the job was removed).
 */
export type JobState = 'live' | 'completed' | 'failed' | 'missing';
