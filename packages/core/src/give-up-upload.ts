import type { Logger } from './logger.js';
import { ATTEMPTS_EXHAUSTED, RECLAIMS_EXHAUSTED } from './failure-codes.js';
import { keepsBytesForRetry } from './retention.js';
import type { TempStorage } from './temp-storage.js';
import type { Upload, UploadFailure } from './upload.js';
import type { UploadRepository } from './upload.repository.js';
import { bindLogger } from './upload-log.js';

/**
 * Why the queue gave up on an upload's job: it ran out of attempts, or it stalled (its worker
 * died or lost its lock) more often than the queue allows.
 */
export type GiveUpCause = 'attempts' | 'stalled';

export interface GiveUpUploadDeps {
  uploads: UploadRepository;
  storage: TempStorage;
  logger: Logger;
  /** As in ProcessUploadDeps: keep the bytes of uploads failed in a way worth retrying; default true. */
  retainFailedBytes?: boolean | undefined;
}

export type GiveUpOutcome =
  /** Recorded as failed (its bytes kept for a retry or deleted, see keepsBytesForRetry). */
  | { kind: 'failed'; upload: Upload; failure: UploadFailure }
  /** No such upload, or it was final already (its own run recorded the outcome): nothing to do. */
  | { kind: 'nothing_to_do' };

/**
 * The queue gave up on an upload's job without the use case recording an outcome (the worker
 * died on its last attempt, or the job stalled too often): the upload fails — wherever it stood,
 * as no run will record anything any more — with `attempts_exhausted` or `reclaims_exhausted`.
 */
export async function giveUpUpload(deps: GiveUpUploadDeps, uploadId: string, options: { cause: GiveUpCause; reason: string }): Promise<GiveUpOutcome> {
  const upload = await deps.uploads.find(uploadId);
  if (!upload) return { kind: 'nothing_to_do' };
  const failure: UploadFailure = { code: options.cause === 'stalled' ? RECLAIMS_EXHAUSTED : ATTEMPTS_EXHAUSTED, message: `Gave up: ${options.reason}` };
  if (!(await deps.uploads.failUnfinished(uploadId, failure))) return { kind: 'nothing_to_do' };
  if (upload.storageKey && !keepsBytesForRetry(failure, deps.retainFailedBytes)) await deps.storage.delete(upload.storageKey);
  bindLogger(deps.logger, { uploadId, tenantId: upload.tenantId, jobId: uploadId, attempt: upload.attempts }).error({ reason: options.reason }, 'upload failed: job abandoned by the queue');
  return { kind: 'failed', upload, failure };
}
