import {
  reconcileExclusively,
  type ExclusiveRunner,
  type JobQueue,
  type Logger,
  type QueueLossMarker,
  type ReconcileReport,
  type TempStorage,
  type UploadRepository,
} from '@hoist/core';
import { startPeriodic, type PeriodicTask } from '@hoist/runtime';
import { LOG_MESSAGES } from '@hoist/logger';

export interface ReconcilerDeps {
  uploads: UploadRepository;
  queue: JobQueue;
  storage: TempStorage;
  logger: Logger;
  exclusive: ExclusiveRunner;
  intervalMs: number;
  /**
   * The first run comes this long after start-up, ms (± 20 %, so workers started together spread
   * out); default {@link FIRST_RUN_AFTER_MS}. Not one interval later: a worker that lives
   * less than an interval (a crash loop) must still repair what Redis lost.
   */
  firstRunAfterMs?: number;
  staleAfterMs: number;
  orphanAgeMs: number;
  /** Bytes of uploads that ran out of attempts are kept this long for a retry, ms; default 0. */
  failedRetentionMs?: number;
  /**
   * Notices Redis losing its data; then every unfinished upload whose job is gone is re-enqueued at
   * once, whatever its age, instead of at the next periodic run. Without one, only the periodic runs repair.
   */
  marker?: QueueLossMarker;
  /** How often the marker is checked, ms; default {@link LOSS_CHECK_INTERVAL_MS}. */
  lossCheckIntervalMs?: number;
  /**
   * Other queues' repair after a loss (webhook deliveries), run after the uploads' reconcile;
   * false (its lock was busy) keeps the loss pending for the next check.
   */
  onQueueLoss?: () => Promise<boolean>;
  /** Told what each run did (metrics). */
  onReport?: (report: ReconcileReport) => void;
}

/** Default of {@link ReconcilerDeps.firstRunAfterMs}, ms. */
export const FIRST_RUN_AFTER_MS = 2_000;
/** Default of {@link ReconcilerDeps.lossCheckIntervalMs} (`QUEUE_LOSS_CHECK_INTERVAL_MS`), ms. */
export const LOSS_CHECK_INTERVAL_MS = 5_000;

/**
 * Runs the reconciler once, unless another process (another worker, `hoist reconcile`) is running it.
 * `staleAfterMs` 0 checks every unfinished upload, however recently it changed.
 */
export async function reconcileOnce(deps: Omit<ReconcilerDeps, 'intervalMs'>) {
  const { uploads, queue, storage, logger, exclusive } = deps;
  const outcome = await reconcileExclusively(
    { uploads, queue, storage, logger, exclusive },
    { staleAfterMs: deps.staleAfterMs, orphanAgeMs: deps.orphanAgeMs, failedRetentionMs: deps.failedRetentionMs ?? 0 },
  );
  if (outcome.ran) deps.onReport?.(outcome.result);
  return outcome;
}

/**
 * Checks the queue-loss marker once; while a loss is pending, runs a reconcile of every unfinished
 * upload (single-flight as always: when another process holds the lock, the next check tries
 * again) and, once one has finished, clears the loss. Any worker can finish what a dead one began.
 * @returns whether a loss was pending, and whether this call recovered from it.
 */
export async function recoverFromQueueLoss(deps: Omit<ReconcilerDeps, 'intervalMs'> & { marker: QueueLossMarker }): Promise<{ lost: boolean; recovered: boolean }> {
  const state = await deps.marker.check();
  if (!state.lost) return { lost: false, recovered: false };
  const outcome = await reconcileOnce({ ...deps, staleAfterMs: 0 });
  if (!outcome.ran) return { lost: true, recovered: false };
  if (deps.onQueueLoss && !(await deps.onQueueLoss())) return { lost: true, recovered: false };
  await deps.marker.recovered(state.generation);
  deps.logger.warn({ ...outcome.result, generation: state.generation }, LOG_MESSAGES.queueStoreLost);
  return { lost: true, recovered: true };
}

/**
 * Runs the reconciler in this worker: soon after start-up, then every `intervalMs`; and, with a
 * marker, checks every `lossCheckIntervalMs` whether Redis lost its data. The lock keeps runs
 * single-flight across workers.
 */
export function startReconciler(deps: ReconcilerDeps): PeriodicTask {
  const periodic = startPeriodic({
    name: 'reconciler',
    intervalMs: deps.intervalMs,
    firstRunAfterMs: Math.min(deps.firstRunAfterMs ?? FIRST_RUN_AFTER_MS, deps.intervalMs),
    logger: deps.logger,
    task: () => reconcileOnce(deps),
  });
  const { marker } = deps;
  const lossCheckIntervalMs = deps.lossCheckIntervalMs ?? LOSS_CHECK_INTERVAL_MS;
  const watch =
    marker && lossCheckIntervalMs > 0
      ? startPeriodic({
          name: 'queue loss check',
          intervalMs: lossCheckIntervalMs,
          // Checked right away: a worker started after a flush must not wait to notice it.
          firstRunAfterMs: Math.min(200, lossCheckIntervalMs),
          logger: deps.logger,
          task: () => recoverFromQueueLoss({ ...deps, marker }),
        })
      : undefined;
  return {
    async stop() {
      await Promise.all([periodic.stop(), watch?.stop()]);
    },
  };
}
