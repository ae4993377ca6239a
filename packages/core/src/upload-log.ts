import type { Logger } from './logger.js';

/**
 * The fields that tie a log line to an upload, so that one grep of its id follows it from the API
 * request through the worker. The job id is the upload id; `attempt` is the attempt a worker is on.
 */
export interface UploadLogFields {
  uploadId: string;
  tenantId: string;
  jobId?: string;
  attempt?: number;
}

/**
 * A child of `logger` carrying `fields`, but for the ones it already carries: a request logger the
 * API has bound to the upload must not get them twice (pino would write each key twice per line,
 * which strict JSON readers refuse).
 */
export function bindLogger(logger: Logger, fields: UploadLogFields): Logger {
  const bound = logger.bindings?.() ?? {};
  const missing = Object.fromEntries(Object.entries(fields).filter(([key, value]) => value !== undefined && !(key in bound)));
  return Object.keys(missing).length > 0 ? logger.child(missing) : logger;
}
