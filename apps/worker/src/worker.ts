import { giveUpUpload, processUpload, type ProcessUploadDeps } from '@hoist/core';
import { UploadWorker, type UploadWorkerOptions } from '@hoist/queue';

/** What the use case needs (ProcessUploadDeps), plus the queue settings but the two callbacks this file supplies. */
export interface WorkerDeps extends Omit<UploadWorkerOptions, 'handle' | 'onAbandoned'>, ProcessUploadDeps {}

/** Wires the upload use case to a BullMQ worker. No I/O until `run()`. */
export function buildWorker(deps: WorkerDeps): UploadWorker {
  const { uploads, storage, providers, events, observer, fetcher, retainFailedBytes, maxReclaims, ...queueOptions } = deps;
  const { logger } = deps;
  const useCase: ProcessUploadDeps = {
    uploads,
    storage,
    providers,
    logger,
    ...(events ? { events } : {}),
    ...(observer ? { observer } : {}),
    ...(fetcher ? { fetcher } : {}),
    ...(retainFailedBytes === undefined ? {} : { retainFailedBytes }),
    ...(maxReclaims === undefined ? {} : { maxReclaims }),
  };
  return new UploadWorker({
    // With several providers a rate limit pauses only its provider's uploads (see rateLimitPauses).
    rateLimitPauses: providers.names.length > 1 ? 'job' : 'queue',
    ...queueOptions,
    ...(maxReclaims === undefined ? {} : { maxReclaims }),
    handle: (job) => processUpload(useCase, job),
    ...(observer?.rateLimitPause ? { onRateLimitPause: (pauseMs: number) => observer.rateLimitPause?.(pauseMs / 1000) } : {}),
    onAbandoned: async (uploadId, reason, cause) => {
      await giveUpUpload({ uploads, storage, logger, retainFailedBytes }, uploadId, { cause, reason });
    },
  });
}
