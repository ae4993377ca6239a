import {
  PermanentProviderError,
  ProviderError,
  RateLimitedError,
  RetryableProviderError,
  TempObjectMissingError,
} from './errors.js';
import type { Logger } from './logger.js';
import type { ProcessObserver, ProviderCallOutcome } from './observer.js';
import { UNTHROTTLED, type ProviderThrottle } from './provider-throttle.js';
import { SILENT_EVENTS, type UploadEvents, type UploadStatusEvent } from './upload-events.js';
import type { TempStorage } from './temp-storage.js';
import type { UploadFailure } from './upload.js';
import type { UploadProvider } from './upload-provider.js';
import type { UploadRepository } from './upload.repository.js';

export interface ProcessUploadDeps {
  uploads: UploadRepository;
  storage: TempStorage;
  provider: UploadProvider;
  logger: Logger;
  /** Cluster-wide pacing of provider calls; default: none. */
  throttle?: ProviderThrottle;
  /** Where final statuses are announced (long-poll waiters); default: nowhere. */
  events?: UploadEvents;
  /** Measurements (metrics); default: none. */
  observer?: ProcessObserver;
}

export interface ProcessUploadJob {
  uploadId: string;
  /** True when a retryable failure now must end the upload `failed` instead of retrying. */
  isFinalAttempt: boolean;
}

/** How one run ended when it did not throw. */
export type ProcessOutcome =
  | { kind: 'succeeded' }
  /** Unknown upload, or already final: a duplicate or late job, nothing to do. */
  | { kind: 'skipped' }
  /** Failed for good and recorded so; the job must not be retried. */
  | { kind: 'failed'; failure: UploadFailure; error: Error };

/**
 * One attempt at one upload: claim it, send the bytes, record the outcome, clean up.
 *
 * Idempotent end to end: the claim is guarded, the provider call targets a deterministic public id,
 * and final states are never overwritten, so running the job twice has the effect of running it once.
 *
 * @throws RateLimitedError (the upload is back to `queued` with its attempt refunded: pause and retry)
 * @throws RetryableProviderError (back to `queued`, attempt spent: retry with backoff)
 * @throws anything unexpected (DB down…): the upload stays claimed and the job is retried.
 */
export async function processUpload(deps: ProcessUploadDeps, job: ProcessUploadJob): Promise<ProcessOutcome> {
  const upload = await deps.uploads.claim(job.uploadId);
  if (!upload) return { kind: 'skipped' };
  const log = deps.logger.child({ uploadId: upload.id, attempt: upload.attempts });
  const throttle = deps.throttle ?? UNTHROTTLED;

  let callStarted: number | undefined;
  try {
    await throttle.acquire();
    callStarted = performance.now();
    const result = await deps.provider.upload({
      uploadId: upload.id,
      publicId: upload.publicId,
      filename: upload.filename,
      contentType: upload.contentType,
      bytes: upload.bytes,
      tags: upload.tags,
      metadata: upload.metadata,
      resourceType: upload.resourceType,
      eager: upload.eager,
      open: (range) => deps.storage.openRead(upload.storageKey, range),
      resume: upload.chunkProgress ?? undefined,
      onProgress: (progress) => deps.uploads.saveChunkProgress(upload.id, progress),
    });
    observeCall(deps, 'success', callStarted);
    const recorded = await deps.uploads.markSucceeded(upload.id, result);
    if (recorded) await announce(deps, { uploadId: upload.id, status: 'succeeded' }, log);
    // Learning the provider's pace is best effort: it must never cost a finished upload an attempt.
    await throttle.succeeded().catch((error: unknown) => log.warn({ err: error }, 'could not record the success with the throttle'));
    if (!recorded) log.warn({}, 'upload already final; a duplicate job uploaded the same asset again');
    // Deleted only after the outcome is recorded: if recording fails the job retries and needs the bytes.
    await deps.storage.delete(upload.storageKey);
    log.info({ publicId: result.publicId }, 'upload succeeded');
    return { kind: 'succeeded' };
  } catch (error) {
    if (error instanceof ProviderError) {
      const outcome = error instanceof RateLimitedError ? 'rate_limited' : error instanceof PermanentProviderError ? 'permanent' : 'retryable';
      observeCall(deps, outcome, callStarted);
    }
    if (error instanceof RateLimitedError) {
      await throttle.limited(error.resetAt).catch((cause: unknown) => log.warn({ err: cause }, 'could not record the rate limit with the throttle'));
      await deps.uploads.requeue(upload.id, { refundAttempt: true });
      log.warn({ resetAt: error.resetAt?.toISOString() }, 'provider rate limited; attempt not counted');
      throw error;
    }
    if (error instanceof RetryableProviderError && !job.isFinalAttempt) {
      await deps.uploads.requeue(upload.id, { refundAttempt: false });
      log.warn({ err: error }, 'provider call failed; will retry');
      throw error;
    }
    const failure = toFailure(error, job.isFinalAttempt);
    if (!failure) throw error;
    if (await deps.uploads.markFailed(upload.id, failure)) await announce(deps, { uploadId: upload.id, status: 'failed' }, log);
    await deps.storage.delete(upload.storageKey);
    log.error({ err: error, code: failure.code }, 'upload failed');
    return { kind: 'failed', failure, error: error as Error };
  }
}

function observeCall(deps: ProcessUploadDeps, outcome: ProviderCallOutcome, startedAt: number | undefined): void {
  // A rate limit from the throttle itself (before any call) is not a provider call.
  if (startedAt === undefined) return;
  deps.observer?.providerCall?.(outcome, (performance.now() - startedAt) / 1000);
}

/** Best effort: waiters fall back to re-reading Postgres when an announcement is lost. */
async function announce(deps: ProcessUploadDeps, event: UploadStatusEvent, log: Logger): Promise<void> {
  await (deps.events ?? SILENT_EVENTS).publish(event).catch((error: unknown) => log.warn({ err: error }, 'could not announce the status change'));
}

/** The failure to record, or undefined when the error should be retried as it is. */
function toFailure(error: unknown, isFinalAttempt: boolean): UploadFailure | undefined {
  if (error instanceof PermanentProviderError || error instanceof TempObjectMissingError) {
    return { code: error.code, message: error.message };
  }
  if (error instanceof ProviderError && isFinalAttempt) {
    return { code: 'attempts_exhausted', message: `Gave up after the last attempt: ${error.message}` };
  }
  return undefined;
}
