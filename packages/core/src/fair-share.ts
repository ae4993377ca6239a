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
 * A tenant's backlog for {@link fairPriority} without a count per upload: counted at most once per
 * `ttlMs` per tenant, and in between each enqueue adds one to the last count (its own upload). A
 * burst of one tenant's uploads then costs one count query a second instead of one each — a count
 * that reads every open row of that tenant, so it grows with the very backlog it measures. The
 * price is precision the priority never had: uploads finished (or created by another process)
 * within the last `ttlMs` are not seen until the next count, which only shifts a tenant's rank by
 * about a second of its own traffic. Bounded memory: at most `maxTenants` tenants are remembered.
 */
export class BacklogEstimate {
  private readonly counts = new Map<string, { counted: Promise<number>; at: number; since: number }>();

  constructor(
    private readonly uploads: Pick<UploadRepository, 'countUnfinished'>,
    private readonly ttlMs = 1_000,
    private readonly maxTenants = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The tenant's unfinished uploads, the caller's own (already recorded) included. */
  async backlog(tenantId: string): Promise<number> {
    const now = this.now();
    const known = this.counts.get(tenantId);
    if (known && now - known.at < this.ttlMs) {
      known.since += 1;
      const since = known.since;
      return (await known.counted) + since;
    }
    if (this.counts.size >= this.maxTenants) this.counts.clear();
    const counted = this.uploads.countUnfinished(tenantId);
    const entry = { counted, at: now, since: 0 };
    this.counts.set(tenantId, entry);
    // A failed count is not remembered: the next upload counts again.
    counted.catch(() => {
      if (this.counts.get(tenantId) === entry) this.counts.delete(tenantId);
    });
    return counted;
  }
}

/**
 * Enqueues an upload at its fair-share priority (see {@link fairPriority}); `backlog`, when the
 * caller already counted the tenant's unfinished uploads (a create under the cap), saves the count,
 * and so does `deps.backlog`, an estimate shared by the process's requests.
 */
export async function enqueueFairly(
  deps: { uploads: UploadRepository; queue: JobQueue; backlog?: BacklogEstimate | undefined },
  upload: { id: string; tenantId: string; backlog?: number | undefined },
): Promise<void> {
  const backlog = upload.backlog ?? (deps.backlog ? await deps.backlog.backlog(upload.tenantId) : await deps.uploads.countUnfinished(upload.tenantId));
  const priority = fairSharePriority(backlog);
  await deps.queue.enqueueUpload(upload.id, { priority, tenantId: upload.tenantId });
}
