import type { JobQueue } from './job-queue.js';
import type { UploadRepository } from './upload.repository.js';

/**
 * Fair scheduling between tenants with nothing but job priorities (the queue need not know tenants;
 * BullMQ's own group scheduling is a commercial feature): a job is enqueued with its tenant's backlog
 * (its own included) as its priority, an unbounded rank the queue adapter maps into its range. A tenant's k-th waiting job therefore runs alongside every other tenant's k-th, so a
 * tenant who submits ten thousand jobs delays another tenant's single one by about one job per busy
 * tenant, not by ten thousand. Jobs of one priority run in arrival order. Uploads and webhook
 * deliveries both follow this rule.
 *
 * The price: order within a tenant is only approximate (a job enqueued after the tenant's backlog
 * has shrunk can overtake that tenant's older ones).
 */
export function fairSharePriority(backlog: number): number {
  return Math.max(backlog, 1);
}

/** An upload's fair-share priority: its tenant's unfinished uploads (see {@link fairSharePriority}); one count query. */
export async function fairPriority(uploads: UploadRepository, tenantId: string): Promise<number> {
  return fairSharePriority(await uploads.countUnfinished(tenantId));
}

/**
 * Enqueues an upload at its fair-share priority (see {@link fairPriority}); `backlog`, when the
 * caller already counted the tenant's unfinished uploads (a create under the cap), saves the count.
 */
export async function enqueueFairly(deps: { uploads: UploadRepository; queue: JobQueue }, upload: { id: string; tenantId: string; backlog?: number | undefined }): Promise<void> {
  const priority = upload.backlog === undefined ? await fairPriority(deps.uploads, upload.tenantId) : fairSharePriority(upload.backlog);
  await deps.queue.enqueueUpload(upload.id, { priority, tenantId: upload.tenantId });
}
