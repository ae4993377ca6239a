import { forEachConcurrently } from './concurrently.js';
import { ATTEMPTS_EXHAUSTED } from './failure-codes.js';
import { handToQueue } from './hand-to-queue.js';
import type { JobQueue } from './job-queue.js';
import type { Logger } from './logger.js';
import type { TempStorage } from './temp-storage.js';
import type { Upload } from './upload.js';
import type { UploadRepository } from './upload.repository.js';
import { bindLogger, UPLOAD_LOG_MESSAGES } from './upload-log.js';

/** What one reconciler run did; every count is also logged. */
export interface ReconcileReport {
  /** Outbox uploads (accepted while Redis was down) now enqueued. */
  enqueued: number;
  /** Unfinished uploads whose job had vanished (Redis flushed or failed over), enqueued again. */
  requeued: number;
  /** Uploads failed because their bytes are gone, or because the queue gave up on their job. */
  failed: number;
  /** Temp objects no unfinished upload refers to, removed. */
  orphansRemoved: number;
}

export interface OutboxDeps {
  uploads: UploadRepository;
  queue: JobQueue;
  storage: TempStorage;
  logger: Logger;
}

const PAGE = 200;
/**
 * Uploads repaired (or relayed) at once. Each repair is a few round trips to Redis and Postgres; one
 * after the other, 300 uploads lost in a flush would take tens of seconds to come back. Each repair
 * in flight holds a database connection, which the worker's pool reserves beside its jobs' own
 * (`RECONCILE_CONNECTIONS`), so a repair never makes a job wait for a connection.
 */
export const RECONCILE_CONCURRENCY = 4;
const TEMP_FILE_MISSING = { code: 'temp_file_missing', message: 'The temporary file for this upload is gone; it cannot be sent to the provider.' };

/**
 * Enqueues uploads that were accepted but never reached the queue (the outbox). Uploads younger
 * than `graceMs` are left alone: the API that accepted them may be enqueueing them right now.
 * Idempotent, so several processes may relay at once.
 */
export async function relayOutbox(deps: OutboxDeps, options: { graceMs?: number; now?: Date; concurrency?: number } = {}): Promise<{ enqueued: number; failed: number }> {
  const now = options.now ?? new Date();
  const before = new Date(now.getTime() - (options.graceMs ?? 2_000));
  let enqueued = 0;
  let failed = 0;
  for (;;) {
    const batch = await deps.uploads.listOutbox({ before, limit: PAGE });
    await forEachConcurrently(batch, options.concurrency ?? RECONCILE_CONCURRENCY, async (upload) => {
      // A URL upload's bytes may not be fetched yet; a file upload without its bytes can never run.
      if (!(await hasBytesOrSource(deps.storage, upload))) {
        if (await deps.uploads.failUnfinished(upload.id, TEMP_FILE_MISSING)) {
          failed += 1;
          bindLogger(deps.logger, { uploadId: upload.id, tenantId: upload.tenantId }).error({ storageKey: upload.storageKey }, 'upload failed: temp file gone');
        }
        return;
      }
      // A retried upload may still have its old finished job under the same id, which would make
      // the enqueue a no-op.
      await deps.queue.removeFinishedJob(upload.id);
      await handToQueue(deps, upload);
      enqueued += 1;
    });
    if (batch.length < PAGE) break;
  }
  if (enqueued || failed) deps.logger.info({ enqueued, failed }, 'outbox relayed');
  return { enqueued, failed };
}

export interface ReconcileDeps extends OutboxDeps {
  queue: JobQueue;
}

export interface ReconcileOptions {
  /**
   * Unfinished uploads untouched for this long are checked against the queue, ms. 0 checks every
   * one (after the queue's store lost its data, any job may be gone, however young its upload).
   */
  staleAfterMs: number;
  /** Uploads repaired at once; default {@link RECONCILE_CONCURRENCY}. */
  concurrency?: number;
  /** Temp objects unreferenced for this long are removed, ms. */
  orphanAgeMs: number;
  /** Bytes of uploads that failed by running out of attempts are kept this long for a retry, ms; default 0. */
  failedRetentionMs?: number;
  now?: Date;
}

/**
 * Makes Redis and temp storage agree with Postgres, the source of truth:
 * 1. relays the outbox;
 * 2. re-enqueues unfinished uploads whose job vanished (after a Redis flush or failover) and fails,
 *    with a clear error, those whose bytes are gone or whose job the queue gave up on;
 * 3. removes temp objects (complete or partial) that no unfinished upload refers to, but for the
 *    bytes of uploads that ran out of attempts within `failedRetentionMs` (kept for a retry).
 * Safe to run concurrently with workers: every write is a guarded, idempotent operation.
 */
export async function reconcile(deps: ReconcileDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const now = options.now ?? new Date();
  const concurrency = options.concurrency ?? RECONCILE_CONCURRENCY;
  const outbox = await relayOutbox(deps, { now, concurrency });
  const report: ReconcileReport = { enqueued: outbox.enqueued, requeued: 0, failed: outbox.failed, orphansRemoved: 0 };

  const before = new Date(now.getTime() - options.staleAfterMs);
  let afterId: string | undefined;
  for (;;) {
    const batch = await deps.uploads.listUnfinished({ before, limit: PAGE, afterId });
    await forEachConcurrently(batch, concurrency, (upload) => repair(deps, upload, report));
    if (batch.length < PAGE) break;
    afterId = batch.at(-1)?.id;
  }

  report.orphansRemoved = await sweepOrphans(deps, {
    olderThan: new Date(now.getTime() - options.orphanAgeMs),
    keepFailedSince: new Date(now.getTime() - (options.failedRetentionMs ?? 0)),
  });
  if (report.requeued || report.failed || report.orphansRemoved || report.enqueued) deps.logger.info({ ...report }, 'reconciled');
  return report;
}

async function repair(deps: ReconcileDeps, upload: Upload, report: ReconcileReport): Promise<void> {
  const state = await deps.queue.jobState(upload.id);
  if (state === 'live') return;
  const log = bindLogger(deps.logger, { uploadId: upload.id, tenantId: upload.tenantId, jobId: upload.id, attempt: upload.attempts }).child({ jobState: state });
  if (state === 'failed') {
    // The queue gave up but the worker could not record it (e.g. Postgres was down at that moment).
    // Its bytes stay for the retry window, as for any upload that ran out of attempts.
    if (await deps.uploads.failUnfinished(upload.id, { code: ATTEMPTS_EXHAUSTED, message: 'Gave up: the queue exhausted this job.' })) {
      report.failed += 1;
      log.warn({}, 'upload failed: its job had failed');
    }
    return;
  }
  if (!(await hasBytesOrSource(deps.storage, upload))) {
    if (await deps.uploads.failUnfinished(upload.id, TEMP_FILE_MISSING)) {
      report.failed += 1;
      log.error({ storageKey: upload.storageKey }, 'upload failed: temp file gone');
    }
    return;
  }
  // missing (Redis lost it) or completed without a final row (it cannot finish from there): run it again.
  if (state === 'completed') await deps.queue.removeFinishedJob(upload.id);
  await handToQueue(deps, upload);
  report.requeued += 1;
  log.warn({}, UPLOAD_LOG_MESSAGES.reEnqueued);
}

async function hasBytesOrSource(storage: TempStorage, upload: Upload): Promise<boolean> {
  if (upload.sourceUrl !== null) return true;
  return upload.storageKey !== null && (await storage.exists(upload.storageKey));
}

async function sweepOrphans(deps: ReconcileDeps, options: { olderThan: Date; keepFailedSince: Date }): Promise<number> {
  const { olderThan, keepFailedSince } = options;
  let removed = 0;
  let batch: string[] = [];
  const flush = async () => {
    const inUse = await deps.uploads.storageKeysInUse(batch, { keepFailedSince });
    for (const key of batch) {
      if (inUse.has(key)) continue;
      await deps.storage.delete(key);
      removed += 1;
    }
    batch = [];
  };
  for await (const object of deps.storage.list({ olderThan })) {
    batch.push(object.key);
    if (batch.length >= PAGE) await flush();
  }
  if (batch.length) await flush();
  return removed;
}
