/** How one provider call ended, as metrics count it. */
export type ProviderCallOutcome = 'success' | 'rate_limited' | 'retryable' | 'permanent';

/** Hooks for measuring the upload use case (metrics); every method is optional and must not throw. */
export interface ProcessObserver {
  providerCall?(outcome: ProviderCallOutcome, seconds: number): void;
  /** This worker paused the whole upload queue for a provider rate limit, for `seconds`. */
  rateLimitPause?(seconds: number): void;
}
