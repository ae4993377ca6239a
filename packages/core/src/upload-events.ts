import type { UploadStatus } from './upload.js';

/** A status change, as announced to everyone waiting on that upload. */
export interface UploadStatusEvent {
  uploadId: string;
  status: UploadStatus;
}

/**
 * Announces status changes across processes, so clients waiting on an upload (long-poll) learn of
 * it at once instead of polling. Best effort: a lost announcement only means the waiter times out
 * and re-reads Postgres, which stays the truth.
 */
export interface UploadEvents {
  publish(event: UploadStatusEvent): Promise<void>;
}

/** UploadEvents that announce nothing. */
export const SILENT_EVENTS: UploadEvents = { publish: () => Promise.resolve() };
