/** Hooks for counting accepted uploads (metrics); every method is optional and must not throw. */
export interface AcceptObserver {
  /** An upload was accepted with `bytes` (0 for a URL upload, whose size is known only once fetched). */
  accepted?(bytes: number): void;
}

/** How one provider call ended, as metrics count it. */
export type ProviderCallOutcome = 'success' | 'rate_limited' | 'retryable' | 'permanent';

/** Hooks for measuring the upload use case (metrics); every method is optional and must not throw. */
export interface ProcessObserver {
  /** One call to `provider` (its name) ended with `outcome` after `seconds`. */
  providerCall?(outcome: ProviderCallOutcome, seconds: number, provider: string): void;
  /** This worker paused the whole upload queue for a provider rate limit, for `seconds`. */
  rateLimitPause?(seconds: number): void;
  /** A URL upload went back to the queue because every fetch slot of this worker was busy. */
  fetchDeferred?(): void;
}

/** How one webhook delivery attempt ended, as metrics count it: a 2xx, another attempt to come, or given up for good. */
export type WebhookAttemptOutcome = 'delivered' | 'retrying' | 'failed';

/** Hooks for measuring webhook deliveries (metrics); every method is optional and must not throw. */
export interface WebhookObserver {
  /** One attempt ended; `seconds` from sending the request to its answer (or to giving up on one). */
  deliveryAttempt?(outcome: WebhookAttemptOutcome, seconds: number): void;
  /** A delivery went back to the queue because its endpoint (or tenant) had as many deliveries in flight as allowed. */
  deliveryDeferred?(): void;
}
