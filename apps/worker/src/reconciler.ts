import { reconcile, type ExclusiveRunner, type ReconcileReport, type JobInspector, type Logger, type TempStorage, type UploadRepository } from '@hoist/core';
import { startPeriodic, type PeriodicTask } from '@hoist/runtime';

export interface ReconcilerDeps {
  uploads: UploadRepository;
  queue: JobInspector;
  storage: TempStorage;
  logger: Logger;
  exclusive: ExclusiveRunner;
  intervalMs: number;
  staleAfterMs: number;
  orphanAgeMs: number;
  /** Bytes of uploads that ran out of attempts are kept this long for a retry, ms; default 0. */
  failedRetentionMs?: number;
  /** Told what each run did (metrics). */
  onReport?: (report: ReconcileReport) => void;
}

/** Name of the cluster-wide lock: one reconciler runs at a time, whichever worker gets there first. */
export const RECONCILER_LOCK = 'hoist:reconciler';

/** Runs the reconciler once, unless another process is running it. */
export async function reconcileOnce(deps: Omit<ReconcilerDeps, 'intervalMs'>) {
  const { uploads, queue, storage, logger } = deps;
  const outcome = await deps.exclusive.run(RECONCILER_LOCK, () =>
    reconcile(
      { uploads, queue, storage, logger },
      { staleAfterMs: deps.staleAfterMs, orphanAgeMs: deps.orphanAgeMs, failedRetentionMs: deps.failedRetentionMs ?? 0 },
    ),
  );
  if (outcome.ran) deps.onReport?.(outcome.result);
  return outcome;
}

/** Runs the reconciler every `intervalMs` in this worker; the lock keeps it single-flight across workers. */
export function startReconciler(deps: ReconcilerDeps): PeriodicTask {
  return startPeriodic({ name: 'reconciler', intervalMs: deps.intervalMs, logger: deps.logger, task: () => reconcileOnce(deps) });
}
