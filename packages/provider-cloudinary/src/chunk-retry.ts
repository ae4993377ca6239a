import { setTimeout as sleepFor } from 'node:timers/promises';
import { RetryableProviderError } from '@hoist/core';

/** How a chunk that failed transiently is retried in place, before the whole job is given back to the queue. */
export interface ChunkRetryOptions {
  /** Tries per chunk, the first included (default 3). */
  tries?: number;
  /** Ceiling of the first backoff, ms (default 250); doubles per retry. */
  baseDelayMs?: number;
  /** Largest backoff, ms (default 2000). */
  maxDelayMs?: number;
}

/** {@link ChunkRetryOptions} with every default applied. */
export type ChunkRetryPolicy = Required<ChunkRetryOptions>;

/** Short on purpose: the job's own retry (with its much longer backoff) takes over after these. */
export const DEFAULT_CHUNK_RETRY: ChunkRetryPolicy = { tries: 3, baseDelayMs: 250, maxDelayMs: 2_000 };

/** Applies the defaults and refuses values that would never send a chunk or never wait. */
export function chunkRetryPolicy(options: ChunkRetryOptions = {}): ChunkRetryPolicy {
  const policy: ChunkRetryPolicy = {
    tries: options.tries ?? DEFAULT_CHUNK_RETRY.tries,
    baseDelayMs: options.baseDelayMs ?? DEFAULT_CHUNK_RETRY.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_CHUNK_RETRY.maxDelayMs,
  };
  if (!Number.isSafeInteger(policy.tries) || policy.tries < 1) throw new RangeError('Chunk retry tries must be a whole number of at least 1');
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= policy.baseDelayMs)) {
    throw new RangeError('Chunk retry delays must satisfy 0 <= baseDelayMs <= maxDelayMs');
  }
  return policy;
}

/** Clock and randomness, replaceable in tests. */
export interface RetryEnvironment {
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

const realEnvironment: RetryEnvironment = { sleep: (ms) => sleepFor(ms), random: Math.random };

/**
 * Delay before retry number `retry` (1-based): the ceiling doubles from `baseDelayMs` up to
 * `maxDelayMs`, and the delay is drawn from its upper half. Half jitter rather than full jitter: a
 * 503 answered again a millisecond later helps nobody, yet concurrent uploads still spread out.
 */
export function chunkBackoffMs(retry: number, policy: ChunkRetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Runs `attempt` until it succeeds, retrying only {@link RetryableProviderError} (5xx, timeouts,
 * resets) up to `policy.tries` times with backoff. Everything else — rate limits, permanent
 * rejections, temp storage errors, a failed progress write — is thrown at once: retrying in place
 * cannot help, and the job layer knows what to do with each. When the tries run out the last
 * RetryableProviderError is thrown, so the job is retried later and resumes from saved progress.
 */
export async function withChunkRetry<T>(attempt: () => Promise<T>, policy: ChunkRetryPolicy, environment: RetryEnvironment = realEnvironment): Promise<T> {
  for (let tryNumber = 1; ; tryNumber++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof RetryableProviderError) || tryNumber >= policy.tries) throw error;
      await environment.sleep(chunkBackoffMs(tryNumber, policy, environment.random));
    }
  }
}
