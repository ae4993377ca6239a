import type { JobQueue } from './job-queue.js';
import type { Logger } from './logger.js';
import type { TempStorage } from './temp-storage.js';
import type { Upload } from './upload.js';
import type { UploadRepository } from './upload.repository.js';
import { bindLogger } from './upload-log.js';

export interface CancelUploadDeps {
  uploads: UploadRepository;
  queue: JobQueue;
  storage: TempStorage;
  logger: Logger;
}

export type CancelOutcome =
  /** Now `cancelled` (or already was). `stopping`: a worker is running it and will undo its attempt. */
  | { kind: 'cancelled'; upload: Upload; stopping: boolean }
  | { kind: 'not_found' }
  /** Already succeeded, failed or deleted: nothing to cancel. */
  | { kind: 'final'; upload: Upload };

/**
 * Cancels an upload that has not finished. Idempotent.
 * - Receiving (tus, bytes still arriving): the row becomes `cancelled`; no job or stored bytes exist yet.
 * - Queued (waiting, or waiting for a retry or a rate limit): its job is removed and its bytes deleted.
 * - Running: the row becomes `cancelled` at once; the worker finds out at its next step (between
 *   chunks, or when it tries to record its result), stops, and destroys the asset it may have
 *   created, so a cancelled upload never leaves an asset behind. It deletes the bytes itself.
 *
 * @throws StoreUnavailableError, or the queue's error (nothing changed then).
 */
export async function cancelUpload(deps: CancelUploadDeps, uploadId: string, scope?: { tenantId: string }): Promise<CancelOutcome> {
  const upload = await deps.uploads.find(uploadId, scope);
  if (!upload) return { kind: 'not_found' };
  if (upload.status === 'cancelled') return { kind: 'cancelled', upload, stopping: false };
  const log = bindLogger(deps.logger, { uploadId: upload.id, tenantId: upload.tenantId, jobId: upload.id });
  if (upload.status === 'receiving') {
    // Bytes still arriving (tus): no job and no stored bytes exist yet. The completion finds the
    // upload no longer `receiving` and discards the bytes; the partial file expires with the tus upload.
    if (await deps.uploads.markCancelled(upload.id, { from: ['receiving'] })) {
      log.info({ stopping: false }, 'upload cancelled while receiving');
      return { kind: 'cancelled', upload: (await deps.uploads.find(upload.id)) ?? upload, stopping: false };
    }
    // Its last byte arrived meanwhile (or it ended): decide again on what it is now. It never
    // becomes `receiving` again, so this recurses at most once.
    return cancelUpload(deps, uploadId, scope);
  }
  if (upload.status !== 'queued' && upload.status !== 'processing') return { kind: 'final', upload };

  // A job that is not running goes first, so no worker can pick the upload up while it is cancelled.
  // A running job cannot be removed (its worker holds the lock); that is what the second case is for.
  await deps.queue.removeJob(upload.id);
  let stopping = false;
  if (await deps.uploads.markCancelled(upload.id, { from: ['queued'] })) {
    // No worker holds it: a claim needs `queued` or `processing`.
    if (upload.storageKey) {
      await deps.storage.delete(upload.storageKey).catch((error: unknown) => log.warn({ err: error }, 'could not delete the bytes of a cancelled upload'));
    }
  } else if (await deps.uploads.markCancelled(upload.id, { from: ['processing'] })) {
    stopping = true;
  }
  const current = await deps.uploads.find(upload.id);
  if (!current) return { kind: 'not_found' };
  if (current.status !== 'cancelled') return { kind: 'final', upload: current };
  log.info({ stopping }, stopping ? 'upload cancelled while running; the worker will stop and remove its asset' : 'upload cancelled');
  return { kind: 'cancelled', upload: current, stopping };
}
