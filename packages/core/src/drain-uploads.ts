import { cancelUpload, type CancelUploadDeps } from './cancel-upload.js';

/** What {@link cancelQueuedUploads} did. */
export interface DrainReport {
  /** Uploads now `cancelled`. */
  cancelled: string[];
  /** Uploads that finished before their turn came (nothing to cancel any more). */
  finished: string[];
}

const PAGE = 200;

/**
 * An operator's drain: cancels every upload (of one tenant, or of all) that was `queued` and last
 * changed before `before`, through {@link cancelUpload}, so the effect sticks. Removing the jobs
 * alone would not: the reconciler re-enqueues queued uploads whose job is missing. Uploads accepted
 * after `before`, and uploads already running, are left alone.
 * @throws as cancelUpload does; uploads cancelled before the error stay cancelled.
 */
export async function cancelQueuedUploads(deps: CancelUploadDeps, options: { before: Date; tenantId?: string | undefined }): Promise<DrainReport> {
  const report: DrainReport = { cancelled: [], finished: [] };
  let afterId: string | undefined;
  for (;;) {
    const batch = await deps.uploads.listUnfinished({ before: options.before, limit: PAGE, afterId });
    for (const upload of batch) {
      if (upload.status !== 'queued' || (options.tenantId !== undefined && upload.tenantId !== options.tenantId)) continue;
      const outcome = await cancelUpload(deps, upload.id);
      (outcome.kind === 'cancelled' ? report.cancelled : report.finished).push(upload.id);
    }
    if (batch.length < PAGE) break;
    afterId = batch.at(-1)?.id;
  }
  if (report.cancelled.length) deps.logger.info({ cancelled: report.cancelled.length, tenantId: options.tenantId }, 'queued uploads drained');
  return report;
}
