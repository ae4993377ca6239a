import type { JobQueue } from './job-queue.js';
import type { UploadRepository } from './upload.repository.js';

/** BullMQ's largest job priority (2^21 − 1); lower numbers run first. */
export const MAX_PRIORITY = 2_097_151;

/**
 * Fair scheduling between tenants, with plain BullMQ priorities (BullMQ's own group scheduling is a
 * commercial feature): an upload is enqueued with its tenant's number of unfinished uploads as its
 * priority. A tenant's k-th waiting upload therefore runs alongside every other tenant's k-th, so a
 * tenant who submits ten thousand files delays another tenant's single file by about one upload per
 * busy tenant, not by ten thousand. Uploads of one priority run in arrival order.
 *
 * The price: order within a tenant is only approximate (an upload submitted after the tenant's
 * backlog has shrunk can overtake that tenant's older ones), and one count query per enqueue.
 */
export async function fairPriority(uploads: UploadRepository, tenantId: string): Promise<number> {
  const backlog = await uploads.countUnfinished(tenantId);
  return Math.min(Math.max(backlog, 1), MAX_PRIORITY);
}

/** Enqueues an upload at its fair-share priority (see {@link fairPriority}). */
export async function enqueueFairly(deps: { uploads: UploadRepository; queue: JobQueue }, upload: { id: string; tenantId: string }): Promise<void> {
  await deps.queue.enqueueUpload(upload.id, { priority: await fairPriority(deps.uploads, upload.tenantId), tenantId: upload.tenantId });
}
