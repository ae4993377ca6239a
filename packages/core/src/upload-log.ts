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

/**
 * Log lines of the upload use cases that other programs count (the drills' evidence, `pnpm drill`),
 * spelled once: renaming one changes what they look for.
 */
export const UPLOAD_LOG_MESSAGES = {
  /** A run recorded success (with `attempt`). */
  succeeded: 'upload succeeded',
  /** A provider call failed transiently; the job goes back with a backoff. */
  providerCallRetried: 'provider call failed; will retry',
  /** The upload's provider is failing (its circuit is open): this attempt goes to the failover's secondary. */
  failedOver: "provider failing: sent to its failover instead",
  /** A claim found the upload still `processing`: the run before died or lost its lock. */
  takenOver: 'upload taken over from a run that stopped (worker died or lost its lock)',
  /** A run's fenced write matched nothing: another run owns the upload now, or it became final. */
  noLongerOwned: 'this run no longer owns the upload (another run took it over, or it became final); stopped without recording an outcome',
  /** The reconciler found an unfinished upload's job gone and enqueued it again. */
  reEnqueued: 'upload re-enqueued: its job was gone',
} as const;
