import type { ExclusiveRunner } from './exclusive.js';
import { reconcile, type ReconcileDeps, type ReconcileOptions, type ReconcileReport } from './reconcile.js';

/** Name of the cluster-wide lock: one reconciler runs at a time, in whichever process gets there first. */
export const RECONCILER_LOCK = 'hoist:reconciler';

/**
 * Runs {@link reconcile} once, unless another process (a worker's periodic run, or `hoist reconcile`)
 * is running it right now: then `{ ran: false }` at once, without waiting.
 */
export function reconcileExclusively(
  deps: ReconcileDeps & { exclusive: ExclusiveRunner },
  options: ReconcileOptions,
): Promise<{ ran: true; result: ReconcileReport } | { ran: false }> {
  const { exclusive, ...reconcileDeps } = deps;
  return exclusive.run(RECONCILER_LOCK, () => reconcile(reconcileDeps, options));
}
