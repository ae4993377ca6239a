import { reconcileExclusively, type ExclusiveRunner, type ReconcileReport, type JobInspector, type Logger, type TempStorage, type UploadRepository } from '@hoist/core';
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

/** Runs the reconciler once, unless another process (another worker, `hoist reconcile`) is running it. */
export async function reconcileOnce(deps: Omit<ReconcilerDeps, 'intervalMs'>) {
  const { uploads, queue, storage, logger, exclusive } = deps;
  const outcome = await reconcileExclusively(
    { uploads, queue, storage, logger, exclusive },
    { staleAfterMs: deps.staleAfterMs, orphanAgeMs: deps.orphanAgeMs, failedRetentionMs: deps.failedRetentionMs ?? 0 },
  );
  if (outcome.ran) deps.onReport?.(outcome.result);
  return outcome;
}

/** Runs the reconciler every `intervalMs` in this worker; the lock keeps it single-flight across workers. */
export function startReconciler(deps: ReconcilerDeps): PeriodicTask {
  return startPeriodic({ name: 'reconciler', intervalMs: deps.intervalMs, logger: deps.logger, task: () => reconcileOnce(deps) });
}
