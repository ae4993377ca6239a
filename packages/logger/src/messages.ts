/**
 * Log messages that other programs wait for or count: the e2e tests' stack waits for the ready lines,
 * `pnpm drill` and `pnpm bench:ratelimit` count the rest. They live here, spelled once, so renaming
 * one changes (or fails to compile) every reader instead of silently breaking the drills.
 */
export const LOG_MESSAGES = {
  /** The API listens and serves (apps/api). */
  apiReady: 'api ready',
  /** The worker takes jobs (apps/worker). */
  workerReady: 'worker ready',
  /** The reconciler found Redis empty or new and checked every unfinished upload (apps/worker). */
  queueStoreLost: 'queue store was new or had lost its data; every unfinished upload checked against it',
  /** A job met an unreachable database and goes back to the queue (packages/queue). */
  databaseUnavailable: 'database unavailable; job will try again',
  /** The provider answered 420/429: the shared throttle pauses and sets a pace (packages/queue). */
  providerRateLimitPause: 'provider rate limit: pausing and slowing down',
} as const;
