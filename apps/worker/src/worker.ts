import { ATTEMPTS_EXHAUSTED, keepsBytesForRetry, processUpload, RECLAIMS_EXHAUSTED, type ProcessUploadDeps } from '@hoist/core';
import { UploadWorker, type UploadWorkerOptions } from '@hoist/queue';

/** What the use case needs (ProcessUploadDeps), plus the queue settings but the two callbacks this file supplies. */
export interface WorkerDeps extends Omit<UploadWorkerOptions, 'handle' | 'onAbandoned'>, ProcessUploadDeps {}

/** Wires the upload use case to a BullMQ worker. No I/O until `run()`. */
export function buildWorker(deps: WorkerDeps): UploadWorker {
  const { uploads, storage, provider, throttle, events, observer, fetcher, retainFailedBytes, maxReclaims, ...queueOptions } = deps;
  const { logger } = deps;
  const useCase: ProcessUploadDeps = {
    uploads,
    storage,
    provider,
    logger,
    ...(throttle ? { throttle } : {}),
    ...(events ? { events } : {}),
    ...(observer ? { observer } : {}),
    ...(fetcher ? { fetcher } : {}),
    ...(retainFailedBytes === undefined ? {} : { retainFailedBytes }),
    ...(maxReclaims === undefined ? {} : { maxReclaims }),
  };
  return new UploadWorker({
    ...queueOptions,
    ...(maxReclaims === undefined ? {} : { maxReclaims }),
    handle: (job) => processUpload(useCase, job),
    ...(observer?.rateLimitPause ? { onRateLimitPause: (pauseMs: number) => observer.rateLimitPause?.(pauseMs / 1000) } : {}),
    onAbandoned: async (uploadId, reason, cause) => {
      const upload = await uploads.find(uploadId);
      if (!upload) return;
      const failure = { code: cause === 'stalled' ? RECLAIMS_EXHAUSTED : ATTEMPTS_EXHAUSTED, message: `Gave up: ${reason}` };
      const recorded = await uploads.failUnfinished(uploadId, failure);
      if (recorded) {
        if (upload.storageKey && !keepsBytesForRetry(failure, retainFailedBytes)) await storage.delete(upload.storageKey);
        logger.error({ uploadId, tenantId: upload.tenantId, jobId: uploadId, attempt: upload.attempts, reason }, 'upload failed: job abandoned by the queue');
      }
    },
  });
}
