import type { Logger, UploadEvents, UploadStatusEvent } from '@hoist/core';
import type { UploadViewCache } from './upload-view-cache.js';

export interface ChangeAnnouncer {
  /** This process's cached views; the changed upload's goes at once. */
  viewCache?: UploadViewCache | undefined;
  /** Every API process's subscription (RedisUploadEvents): their cached views go, their long-polls wake. */
  events?: UploadEvents | undefined;
}

/**
 * After the API changed an upload's status (retry, cancel, delete): forgets this process's cached
 * view of it and announces the change to every other API process. Best effort, like the workers'
 * announcements: a lost one costs at most UPLOAD_VIEW_MAX_STALE_MS of staleness elsewhere.
 */
export function announceChange(deps: ChangeAnnouncer, log: Logger, event: UploadStatusEvent): void {
  deps.viewCache?.invalidate(event.uploadId);
  deps.events?.publish(event).catch((error: unknown) => log.warn({ err: error, uploadId: event.uploadId }, 'could not announce the status change'));
}
