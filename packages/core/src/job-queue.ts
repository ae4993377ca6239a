/** Hands accepted uploads to workers. Redis holds work, not truth: everything here can be rebuilt from Postgres. */
export interface JobQueue {
  /**
   * Enqueues processing of one upload. Idempotent: the job id is the upload id, so enqueueing an
   * upload that already has a job is a no-op.
   */
  enqueueUpload(uploadId: string): Promise<void>;
}
