/** The queue that carries uploads to workers. */
export const UPLOAD_QUEUE = 'uploads';

/** The queue that carries webhook deliveries (one job per event and endpoint). */
export const WEBHOOK_QUEUE = 'webhooks';

/**
 * Every BullMQ queue Hoist runs, for tools that show or steer all of them (the admin dashboard).
 * A new queue is appended here.
 */
export const QUEUE_NAMES: readonly string[] = [UPLOAD_QUEUE, WEBHOOK_QUEUE];

/** Job names → payloads. Payloads are ids, never bytes. */
export interface JobRegistry {
  /**
   * `tenantId` is there for the worker's log lines; jobs enqueued before it existed lack it.
   * `deferrals`: how often the job waited for a busy fetch slot without trying (see defer.ts).
   * `resuming`: the claim token of the job's last run, when that run stopped for the database.
   */
  upload: { uploadId: string; tenantId?: string; deferrals?: number; resuming?: string };
  /** `deferrals`: how often the job waited for a busy slot without trying (see defer.ts). */
  deliver: { deliveryId: string; deferrals?: number };
}

/** Backoff type name the worker's strategy answers to (see backoff.ts). */
export const JITTER_BACKOFF = 'hoist-jitter';

/** Backoff type name of webhook delivery jobs (see webhook-worker.ts). */
export const WEBHOOK_BACKOFF = 'hoist-webhook';
