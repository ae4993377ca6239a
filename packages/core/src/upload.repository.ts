import type { ClaimedUpload, FetchedBytes, NewReceivingUpload, NewUpload, Upload, UploadFailure, UploadResult, UploadRun, UploadStatus } from './upload.js';
import type { ChunkProgress } from './chunk-progress.js';

/** Filters and page for {@link UploadRepository.list}. */
export interface UploadListQuery {
  tenantId: string;
  limit: number;
  /** Only uploads with a smaller (older) id than this: the last id of the previous page. */
  beforeId?: string | undefined;
  status?: UploadStatus | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
  tag?: string | undefined;
}

/** How {@link UploadRepository.create} records an upload: its Idempotency-Key, the tenant's cap, and who hears the count. */
export interface CreateUploadOptions {
  idempotency?: { key: string; fingerprint: string } | undefined;
  maxUnfinished?: number | undefined;
  /** Called with the tenant's open uploads, the new one included, when the create counted them (`maxUnfinished` > 0). */
  counted?: ((backlog: number) => void) | undefined;
}

/**
 * Postgres is the source of truth for uploads. Every state change is one guarded statement,
 * so a stalled job picked up twice, a late worker or a replay can never overwrite a final state.
 * Every method throws StoreUnavailableError when the database cannot be reached.
 */
export interface UploadRepository {
  /**
   * Inserts a `queued` upload. Throws if the id already exists. With `idempotency`, the key is
   * recorded in the same transaction, so two concurrent requests with one key make one upload.
   * With `maxUnfinished` (> 0), the tenant's open uploads (`OPEN_STATUSES`) are counted and the row inserted
   * atomically with respect to every other create and retry of the tenant, so concurrent requests
   * can never take it past the cap. A used Idempotency-Key is answered before the cap is checked: a
   * replay of an accepted request gets its original upload even at the cap.
   * With `maxUnfinished`, `counted` is told the tenant's open uploads after the insert (its backlog,
   * the new upload included), which the caller's fair-share priority needs: one count, not two.
   * @throws IdempotencyKeyUsedError when the tenant already used the key (nothing is written).
   * @throws TooManyUnfinishedUploadsError when the tenant already has `maxUnfinished` unfinished uploads (nothing is written).
   */
  create(upload: NewUpload, options?: CreateUploadOptions): Promise<Upload>;

  /**
   * Inserts a `receiving` upload (a tus upload whose bytes have not all arrived; no byte facts yet,
   * not in the outbox). Idempotency-Key and the tenant's cap as for {@link create}: `receiving`
   * counts against the cap.
   * @throws IdempotencyKeyUsedError when the tenant already used the key (nothing is written).
   * @throws TooManyUnfinishedUploadsError when the tenant already has `maxUnfinished` open uploads (nothing is written).
   */
  createReceiving(upload: NewReceivingUpload, options?: { idempotency?: { key: string; fingerprint: string } | undefined; maxUnfinished?: number | undefined }): Promise<Upload>;

  /**
   * receiving → queued with the facts of its bytes, in the outbox (`enqueuedAt` null) until
   * {@link markEnqueued}. Fenced by the status: of two completions of one upload only the first
   * changes anything.
   * @returns the queued upload, or undefined when it was not `receiving` (completed already,
   * cancelled, expired, unknown): the bytes are the caller's to delete.
   */
  completeReceiving(id: string, stored: FetchedBytes): Promise<Upload | undefined>;

  /**
   * receiving → failed with a reason: its bytes were refused, or it expired unfinished.
   * @returns false when it was not `receiving`.
   */
  failReceiving(id: string, failure: UploadFailure): Promise<boolean>;

  /** `receiving` uploads created before `createdBefore`, oldest first: candidates for expiry. */
  listReceiving(options: { createdBefore: Date; limit: number }): Promise<Upload[]>;

  /**
   * A tenant's uploads, newest first (by id: UUIDv7 ids sort by creation), older than the keyset
   * cursor `beforeId`, filtered.
   */
  list(query: UploadListQuery): Promise<Upload[]>;

  /**
   * The tenant's most recent upload of exactly these bytes that succeeded on `provider`, if any
   * (content dedup: an asset on another provider is not the one a client asked for).
   */
  findSucceededBySha256(tenantId: string, sha256: string, provider: string): Promise<Upload | undefined>;

  /** How many uploads of the tenant are open (`OPEN_STATUSES`: receiving, queued or processing). */
  countUnfinished(tenantId: string): Promise<number>;

  /**
   * The upload, or undefined if there is none with this id — or, with `tenantId`, none of that
   * tenant's (so another tenant's upload is indistinguishable from a missing one).
   */
  find(id: string, scope?: { tenantId: string }): Promise<Upload | undefined>;

  /**
   * queued|processing → processing under a new fencing token (`claimToken`), which every outcome of
   * the run must name. From `queued` it counts one attempt; from `processing` (the run before died
   * or lost its job lock, and the queue handed the job out again) it counts a re-claim instead, so
   * dying workers never spend provider attempts. The earlier run's token stops working at once.
   * `resuming`: the token of this job's own previous run, which did not die but stopped because the
   * database was unreachable; taking over from it is neither an attempt nor a re-claim.
   * @returns the claimed upload, or undefined when it is unknown or already final (nothing to do).
   */
  claim(id: string, options?: { resuming?: string | undefined }): Promise<ClaimedUpload | undefined>;

  /**
   * processing → queued while the job waits to run again, if `run` still owns the upload. With
   * `refundAttempt` the attempt counted by `claim` is given back (a rate-limited call did not
   * consume a retry).
   * @returns false when the upload is no longer `processing` under this run's token (it became
   * final, or another run claimed it): the caller's run is over.
   */
  requeue(run: UploadRun, options: { refundAttempt: boolean }): Promise<boolean>;

  /**
   * processing → succeeded with the provider's result, if `run` still owns the upload.
   * @returns false when it is final or another run claimed it since.
   */
  markSucceeded(run: UploadRun, result: UploadResult): Promise<boolean>;

  /**
   * processing → failed with a reason, if `run` still owns the upload.
   * @returns false when it is final or another run claimed it since.
   */
  markFailed(run: UploadRun, failure: UploadFailure): Promise<boolean>;

  /**
   * queued|processing → failed, whoever runs it: for failures decided outside any run (the queue
   * gave up on the job, the bytes are gone, the reconciler found the job failed).
   * @returns false when it was already final.
   */
  failUnfinished(id: string, failure: UploadFailure): Promise<boolean>;

  /**
   * queued|processing (or, when `from` names it, receiving) → cancelled. A `processing` upload's worker finds out when it tries to record
   * its outcome (or its next chunk) and undoes what it did.
   * @returns false when it was already final.
   */
  markCancelled(id: string, options?: { from: readonly ('receiving' | 'queued' | 'processing')[] }): Promise<boolean>;

  /**
   * failed → queued for another round of attempts: attempts and re-claims back to 0, error cleared, retry count + 1,
   * and out of the queue (`enqueuedAt` null) until {@link markEnqueued}, so the outbox relay enqueues
   * it if the caller cannot. With `maxUnfinished` (> 0), the tenant's cap holds as for {@link create}:
   * a retry makes the upload unfinished again.
   * @returns false when it was not `failed`.
   * @throws TooManyUnfinishedUploadsError when the tenant already has `maxUnfinished` unfinished uploads (nothing changes).
   */
  reopenForRetry(id: string, options?: { maxUnfinished?: number | undefined }): Promise<boolean>;

  /**
   * {@link FINAL_STATUSES} (succeeded|failed|cancelled|deleted) → deleted, once the provider asset is
   * gone. Idempotent: a repeat keeps the first `deletedAt`; the result and error stay as a record.
   * @returns false when it is unknown or unfinished.
   */
  markDeleted(id: string): Promise<boolean>;

  /**
   * True when another upload holds the asset at this public id on this provider, so deleting or
   * undoing `id` must not destroy it: one that succeeded after `since` (it overwrote `id`'s asset),
   * or one a worker is producing right now ({@link holdsAssetAgainst}; `since` is
   * {@link assetHeldSince} of `id`). A succeeded upload's provider is where it landed
   * (`result.provider`), and it holds its mirror copies (`result.mirrors`) too; a running one's, where it was sent.
   */
  otherUploadOwnsAsset(id: string, asset: { provider: string; publicId: string }, since: Date): Promise<boolean>;

  /**
   * A URL upload's source has been fetched into temp storage: records what the bytes are, if `run`
   * still owns the upload. @returns false otherwise (the fetched bytes are the caller's to delete).
   */
  recordFetched(run: UploadRun, fetched: FetchedBytes): Promise<boolean>;

  /** The job reached the queue: the upload leaves the outbox. Idempotent. */
  markEnqueued(id: string): Promise<void>;

  /** Queued uploads whose job never reached the queue (the outbox), created before `before`, oldest first. */
  listOutbox(options: { before: Date; limit: number }): Promise<Upload[]>;

  /**
   * Unfinished (queued|processing) uploads last changed before `before`, in id order after
   * `afterId`, for the reconciler to check against the queue.
   */
  listUnfinished(options: { before: Date; limit: number; afterId?: string | undefined }): Promise<Upload[]>;

  /**
   * Records chunked-upload progress of `run`, so a later attempt can resume.
   * @returns false when the run no longer owns the upload (cancelled, or claimed by another run meanwhile): stop sending.
   */
  saveChunkProgress(run: UploadRun, progress: ChunkProgress): Promise<boolean>;

  /**
   * The subset of `keys` still needed: by unfinished uploads, and by uploads failed with
   * {@link RETRYABLE_FAILURE_CODES} since `keepFailedSince` (their bytes are kept so they can be
   * retried); {@link needsStoredBytes} is the rule. Without `keepFailedSince`, only unfinished ones.
   */
  storageKeysInUse(keys: readonly string[], options?: { keepFailedSince?: Date | undefined }): Promise<Set<string>>;
}
