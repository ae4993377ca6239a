import { processUpload, type Logger, type TempStorage, type UploadProvider, type UploadRepository } from '@hoist/core';
import { UploadWorker, type BackoffOptions, type Redis } from '@hoist/queue';

export interface WorkerDeps {
  uploads: UploadRepository;
  storage: TempStorage;
  provider: UploadProvider;
  logger: Logger;
  connection: Redis;
  prefix: string;
  concurrency: number;
  retry: BackoffOptions;
  rateLimitFallbackMs: number;
  lockDurationMs?: number;
}

/** Wires the upload use case to a BullMQ worker. No I/O until `run()`. */
export function buildWorker(deps: WorkerDeps): UploadWorker {
  const { uploads, storage, provider, logger } = deps;
  return new UploadWorker({
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    retry: deps.retry,
    rateLimitFallbackMs: deps.rateLimitFallbackMs,
    ...(deps.lockDurationMs ? { lockDurationMs: deps.lockDurationMs } : {}),
    logger,
    handle: (job) => processUpload({ uploads, storage, provider, logger }, job),
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
