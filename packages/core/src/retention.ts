import { ATTEMPTS_EXHAUSTED, RECLAIMS_EXHAUSTED } from './failure-codes.js';
import { isUnfinished, type Upload, type UploadFailure } from './upload.js';

/**
 * Failure codes worth retrying later as they are: the provider kept failing transiently until the
 * attempts ran out, or workers kept dying while running the upload (`reclaims_exhausted`: worth a
 * retry once whatever killed them is fixed). The bytes of uploads failed this way are kept for a while (`FAILED_UPLOAD_RETENTION_MS`)
 * so an operator or client can send them again after an outage; every other failure (the provider
 * refused the file, the bytes were lost) deletes them at once, as nothing would change on a retry.
 */
export const RETRYABLE_FAILURE_CODES: readonly string[] = [ATTEMPTS_EXHAUSTED, RECLAIMS_EXHAUSTED];

/**
 * True when a failed upload's temp bytes should be kept for a later retry: retention is on
 * (`FAILED_UPLOAD_RETENTION_MS` > 0, the default) and the failure is worth retrying as it is.
 */
export function keepsBytesForRetry(failure: UploadFailure, retainFailedBytes = true): boolean {
  return retainFailedBytes && RETRYABLE_FAILURE_CODES.includes(failure.code);
}

/**
 * True when the upload still needs its temp bytes, so the reconciler's sweep must not remove them:
 * it is unfinished (a worker will send them), or it failed in a way worth retrying
 * ({@link RETRYABLE_FAILURE_CODES}) at or after `keepFailedSince` (the retention window). The rule
 * behind `UploadRepository.storageKeysInUse`; an adapter that cannot call it (SQL) states the same
 * conditions, and the repository conformance suite holds both to it.
 */
export function needsStoredBytes(upload: Pick<Upload, 'status' | 'error' | 'completedAt'>, keepFailedSince?: Date): boolean {
  if (isUnfinished(upload.status)) return true;
  return (
    keepFailedSince !== undefined &&
    upload.status === 'failed' &&
    upload.error !== null &&
    RETRYABLE_FAILURE_CODES.includes(upload.error.code) &&
    upload.completedAt !== null &&
    upload.completedAt >= keepFailedSince
  );
}
