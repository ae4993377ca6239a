import type { NewUpload, Upload, UploadFailure, UploadResult } from './upload.js';

/**
 * Postgres is the source of truth for uploads. Every state change is one guarded statement,
 * so a stalled job picked up twice, a late worker or a replay can never overwrite a final state.
 * Every method throws StoreUnavailableError when the database cannot be reached.
 */
export interface UploadRepository {
  /** Inserts a `queued` upload. Throws if the id already exists. */
  create(upload: NewUpload): Promise<Upload>;

  /** The upload, or undefined if there is none with this id. */
  find(id: string): Promise<Upload | undefined>;

  /**
   * queued|processing → processing, counting one attempt. A stalled job picked up again claims an
   * upload that is already `processing`, and that attempt counts too.
   * @returns the claimed upload, or undefined when it is unknown or already final (nothing to do).
   */
  claim(id: string): Promise<Upload | undefined>;

  /**
   * processing → queued while the job waits to run again. With `refundAttempt` the attempt counted
   * by `claim` is given back (a rate-limited call did not consume a retry).
   * @returns false when the upload was not `processing` (e.g. it became final meanwhile).
   */
  requeue(id: string, options: { refundAttempt: boolean }): Promise<boolean>;

  /**
   * queued|processing → succeeded with the provider's result. `queued` is allowed because a
   * duplicate worker may have requeued the upload while this one was finishing it.
   * @returns false when it was already final.
   */
  markSucceeded(id: string, result: UploadResult): Promise<boolean>;

  /** queued|processing → failed with a reason. @returns false when it was already final. */
  markFailed(id: string, failure: UploadFailure): Promise<boolean>;
}
