import type { RateLimitHint } from './rate-limit-hint.js';

/**
 * Paces calls to the provider across the whole cluster, so that workers on every host together
 * stay under the provider's rate limit, and return from a rate-limit pause gradually instead of all
 * at the same instant.
 */
export interface ProviderThrottle {
  /**
   * Resolves when this caller may send one request to the provider. Waits a few seconds at most:
   * during a longer provider pause it throws RateLimitedError so the job goes back to the queue.
   */
  acquire(): Promise<void>;
  /**
   * The request went through: how the throttle learns the rate the provider admits. `hint` is what
   * the answer said about the limit, if anything (its rate becomes the pace's ceiling; remaining
   * and reset bound the current window).
   */
  succeeded(hint?: RateLimitHint): Promise<void>;
  /**
   * The provider answered 420/429: hold every caller until the hint's reset (or a short pause when
   * it names none) and lower the cluster's pace, so the restart after the pause is gradual.
   * Resolves with when the cluster resumes calling the provider, if the throttle paused it.
   */
  limited(hint: RateLimitHint): Promise<Date | undefined>;
}

/** A throttle that never waits, for tests and for providers without limits. */
export const UNTHROTTLED: ProviderThrottle = {
  acquire: () => Promise.resolve(),
  succeeded: () => Promise.resolve(),
  limited: () => Promise.resolve(undefined),
};
