/** BullMQ's largest job priority (2^21 − 1); lower numbers run first. */
export const BULLMQ_MAX_PRIORITY = 2_097_151;

/**
 * A job's rank (core's EnqueueOptions.priority: 1 is the highest, unbounded) as BullMQ job options.
 * Rank 1 (a tenant's only unfinished upload or pending delivery) goes in BullMQ's plain wait list,
 * which is served before every prioritized job and needs no priority bookkeeping; ranks beyond
 * BullMQ's range share its lowest priority, which BullMQ would otherwise refuse.
 */
export function bullPriority(rank: number | undefined): { priority?: number } {
  // Not a number (a bug upstream): the lowest priority, never the front of the queue.
  const priority = rank === undefined ? 1 : Number.isFinite(rank) ? Math.min(Math.max(Math.floor(rank), 1), BULLMQ_MAX_PRIORITY) : BULLMQ_MAX_PRIORITY;
  return priority > 1 ? { priority } : {};
}
