/**
 * What a provider's answer said about its rate limit, in no provider's vocabulary: each adapter
 * translates its own headers and messages into this, and the throttle acts on it. Every field is
 * optional — a provider may say any of them, or nothing at all.
 */
export interface RateLimitHint {
  /** The sustained rate the provider admits, requests per second (e.g. an hourly quota / 3600). */
  readonly ratePerSecond?: number | undefined;
  /**
   * When the provider's current window ends, or — on a rate-limit answer — when requests may resume.
   * An absolute time, as the provider's clock gives it.
   */
  readonly resetAt?: Date | undefined;
  /** Requests the provider will still admit before {@link resetAt}; 0 means wait for it. */
  readonly remaining?: number | undefined;
}

/** True when the hint says anything at all. */
export function saysAnything(hint: RateLimitHint | undefined): hint is RateLimitHint {
  return hint !== undefined && (hint.ratePerSecond !== undefined || hint.resetAt !== undefined || hint.remaining !== undefined);
}
