/** The queue that carries uploads to workers. */
export const UPLOAD_QUEUE = 'uploads';

/** Job names → payloads. Payloads are ids, never bytes. */
export interface JobRegistry {
  upload: { uploadId: string };
}

/** Backoff type name the worker's strategy answers to (see backoff.ts). */
export const JITTER_BACKOFF = 'hoist-jitter';
