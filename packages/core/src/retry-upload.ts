import { handToQueueOrOutbox } from './hand-to-queue.js';
import type { JobQueue } from './job-queue.js';
import type { Logger } from './logger.js';
import type { TempStorage } from './temp-storage.js';
import type { Upload } from './upload.js';
import type { UploadRepository } from './upload.repository.js';
import { bindLogger } from './upload-log.js';

export interface RetryUploadDeps {
  uploads: UploadRepository;
  queue: JobQueue;
  storage: TempStorage;
  logger: Logger;
  /**
   * The tenant's cap on unfinished uploads (`TENANT_MAX_UNFINISHED_UPLOADS`): a retry makes the
   * upload unfinished again, so it is refused at the cap. 0 or absent: no cap (an operator's retry).
   */
  maxUnfinished?: number | undefined;
}

/** Why a retry did or did not happen. */
export type RetryOutcome =
  /** Back in the queue with fresh attempts. */
  | { kind: 'queued'; upload: Upload }
  /** No such upload (or, with a tenant scope, not that tenant's). */
  | { kind: 'not_found' }
  /** Only `failed` uploads can be retried. */
  | { kind: 'not_failed'; upload: Upload }
  /** A file upload whose temp bytes are gone (a permanent failure, or the retention ran out): upload the file again. */
  | { kind: 'bytes_gone'; upload: Upload }
  /**
   * The upload has just failed and its job is still being wound up by the queue; retrying now would
   * race the queue's own bookkeeping (which would mark it failed again). Try again in a moment.
   */
  | { kind: 'settling'; upload: Upload };

/**
 * Sends a failed upload back to the queue: failed → queued with its attempts reset, then enqueued.
 * A URL upload is always retryable (its source is fetched again when its bytes are gone); a file
 * upload only while its bytes are still in temp storage.
 *
 * Order matters: the queue's finished job (kept under the same id) is removed first, so a queue
 * that is down fails the call before anything changes; once the row is `queued`, a failed enqueue
 * leaves it in the outbox, which the relay enqueues later.
 *
 * @throws StoreUnavailableError, or the queue's error while removing the old job (nothing changed).
 * @throws TooManyUnfinishedUploadsError when the tenant is at `maxUnfinished` (the upload stays failed).
 */
export async function retryUpload(deps: RetryUploadDeps, uploadId: string, scope?: { tenantId: string }): Promise<RetryOutcome> {
  const upload = await deps.uploads.find(uploadId, scope);
  if (!upload) return { kind: 'not_found' };
  if (upload.status !== 'failed') return { kind: 'not_failed', upload };
  const hasBytes = upload.storageKey !== null && (await deps.storage.exists(upload.storageKey));
  if (!hasBytes && upload.sourceUrl === null) return { kind: 'bytes_gone', upload };

  if ((await deps.queue.jobState(upload.id)) === 'live') return { kind: 'settling', upload };
  await deps.queue.removeFinishedJob(upload.id);
  if (!(await deps.uploads.reopenForRetry(upload.id, { maxUnfinished: deps.maxUnfinished }))) {
    const current = await deps.uploads.find(upload.id);
    return current ? { kind: 'not_failed', upload: current } : { kind: 'not_found' };
  }
  const log = bindLogger(deps.logger, { uploadId: upload.id, tenantId: upload.tenantId, jobId: upload.id });
  await handToQueueOrOutbox(deps, upload, log, 'retry accepted but not enqueued yet; the outbox relay will enqueue it');
  log.info({ retryCount: upload.retryCount + 1 }, 'failed upload sent back to the queue');
  return { kind: 'queued', upload: (await deps.uploads.find(upload.id)) ?? upload };
}
