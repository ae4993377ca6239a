import { processUpload, type Logger, type ProviderThrottle, type TempStorage, type UploadEvents, type UploadProvider, type UploadRepository } from '@hoist/core';
import { UploadWorker, type UploadWorkerOptions } from '@hoist/queue';

/** The adapters the use case needs, plus the queue settings (everything but the two callbacks this file supplies). */
export interface WorkerDeps extends Omit<UploadWorkerOptions, 'handle' | 'onAbandoned'> {
  uploads: UploadRepository;
  storage: TempStorage;
  provider: UploadProvider;
  logger: Logger;
  /** Cluster-wide pacing of provider calls (PROVIDER_RATE_LIMIT, and the pace learned from 420s). */
  throttle?: ProviderThrottle;
  /** Where final statuses are announced, for long-polling clients. */
  events?: UploadEvents;
}

/** Wires the upload use case to a BullMQ worker. No I/O until `run()`. */
export function buildWorker(deps: WorkerDeps): UploadWorker {
  const { uploads, storage, provider, throttle, events, ...queueOptions } = deps;
  const { logger } = deps;
  return new UploadWorker({
    ...queueOptions,
    handle: (job) => processUpload({ uploads, storage, provider, logger, ...(throttle ? { throttle } : {}), ...(events ? { events } : {}) }, job),
    onAbandoned: async (uploadId, reason) => {
      const upload = await uploads.find(uploadId);
      if (!upload) return;
      const recorded = await uploads.markFailed(uploadId, { code: 'attempts_exhausted', message: `Gave up: ${reason}` });
      if (recorded) {
        await storage.delete(upload.storageKey);
        logger.error({ uploadId, reason }, 'upload failed: job abandoned by the queue');
      }
    },
  });
}
