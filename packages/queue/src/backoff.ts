/** Retry delays: exponential with full jitter (AWS architecture blog's "full jitter"), capped. */
export interface BackoffOptions {
  /** Delay ceiling for the first retry, ms. */
  baseMs: number;
  /** Largest delay, ms. */
  maxMs: number;
}

/**
 * Delay before retry number `attemptsMade` (1 after the first failure). Full jitter spreads retries
 * of jobs that failed together (a provider outage) so they don't return together.
 */
export function retryDelay(attemptsMade: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling * random());
}

/**
 * How long the whole queue pauses after a rate limit: until the provider's reset time when it gave
 * one, else `fallbackMs`; plus up to 10% jitter so workers on several hosts don't all restart on
 * the same instant, and clamped to [minMs, maxMs].
 */
export function rateLimitPause(
  resetAt: Date | undefined,
  options: { fallbackMs: number; minMs?: number; maxMs?: number; now?: number },
  random: () => number = Math.random,
): number {
  const now = options.now ?? Date.now();
  const minMs = options.minMs ?? 250;
  const maxMs = options.maxMs ?? 60 * 60_000;
  const base = resetAt ? resetAt.getTime() - now : options.fallbackMs;
  const jittered = base + base * 0.1 * random();
  return Math.round(Math.min(maxMs, Math.max(minMs, jittered)));
}
