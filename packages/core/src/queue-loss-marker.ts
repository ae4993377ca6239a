/**
 * What the queue's store (Redis) looks like to the reconciler: whole, or lost since it was last seen
 * whole. Redis holds work, not truth; when it loses its data (a flush, a restart without persistence,
 * a failover to an empty replica) every job of an unfinished upload may be gone, and waiting for the
 * periodic reconciler (and its staleness filter) would leave those uploads `queued` for minutes.
 *
 * A marker key is written once when the queue is first seen; its absence later means the store lost
 * its data. Adapters: `RedisQueueLossMarker` (packages/queue) and `MemoryQueueLossMarker` (tests).
 */
export interface QueueLossMarker {
  /**
   * Looks at the marker, and re-creates it at once when it is missing (so the loss is noticed by
   * exactly one check, and recorded as pending until {@link recovered}). Cheap: one round trip.
   * The first check of a queue never seen before reports a loss too: nothing says it is whole.
   * @returns `lost: false` when the store is known whole; `lost: true` with the loss's `generation`
   * while a loss has not been recovered from (again on every check, from any process, until then:
   * the process that noticed it may die before it recovers).
   * @throws when the store cannot be reached (the caller tries again on its next check).
   */
  check(): Promise<QueueLossState>;

  /**
   * A full reconcile started after loss `generation` was noticed has finished: the loss is over,
   * unless the store lost its data again meanwhile (then the newer loss stays pending). Idempotent.
   */
  recovered(generation: string): Promise<void>;
}

/** See {@link QueueLossMarker.check}. */
export type QueueLossState = { lost: false } | { lost: true; generation: string };
