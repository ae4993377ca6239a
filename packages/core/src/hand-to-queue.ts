import { enqueueFairly, type BacklogEstimate } from './fair-share.js';
import type { JobQueue } from './job-queue.js';
import type { Logger } from './logger.js';
import type { UploadRepository } from './upload.repository.js';

/**
 * The one way a `queued` upload reaches the queue: enqueued at its tenant's fair-share priority,
 * then marked enqueued, so it leaves the outbox. The order matters: marked first, a crash in
 * between would leave an upload no one enqueues; this way, at worst the outbox relay enqueues it a
 * second time, which the queue ignores (the job id is the upload id).
 * @throws the queue's or the store's error; the upload then stays in the outbox.
 */
export async function handToQueue(deps: { uploads: UploadRepository; queue: JobQueue; backlog?: BacklogEstimate | undefined }, upload: { id: string; tenantId: string; backlog?: number | undefined }): Promise<void> {
  await enqueueFairly(deps, upload);
  await deps.uploads.markEnqueued(upload.id);
}

/**
 * {@link handToQueue} for an upload that is already safe in Postgres (just accepted, or sent back
 * for a retry): when Redis is down it stays in the outbox, which the relay enqueues as soon as the
 * queue is back, so the caller's answer does not depend on Redis.
 * @returns true when it reached the queue, false when it waits in the outbox (logged on `log` with
 * `message`: the runbook quotes these lines).
 */
export async function handToQueueOrOutbox(
  deps: { uploads: UploadRepository; queue: JobQueue; backlog?: BacklogEstimate | undefined },
  upload: { id: string; tenantId: string; backlog?: number | undefined },
  log: Logger,
  message: string,
): Promise<boolean> {
  try {
    await handToQueue(deps, upload);
    return true;
  } catch (error) {
    log.warn({ err: error }, message);
    return false;
  }
}
