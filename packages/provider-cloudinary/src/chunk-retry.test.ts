import { PermanentProviderError, RateLimitedError, RetryableProviderError } from '@hoist/core';
import { describe, expect, it } from 'vitest';
import { chunkBackoffMs, chunkRetryPolicy, withChunkRetry } from './chunk-retry.js';

const policy = chunkRetryPolicy({ tries: 3, baseDelayMs: 100, maxDelayMs: 150 });

function recorder() {
  const sleeps: number[] = [];
  return { sleeps, environment: { sleep: (ms: number) => (sleeps.push(ms), Promise.resolve()), random: () => 1 } };
}

describe('withChunkRetry', () => {
  it('retries transient failures in place with growing, capped delays', async () => {
    const { sleeps, environment } = recorder();
    let calls = 0;
    const result = await withChunkRetry(
      () => (++calls < 3 ? Promise.reject(new RetryableProviderError('503', { status: 503 })) : Promise.resolve('ok')),
      policy,
      environment,
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(sleeps).toEqual([100, 150]);
  });

  it('throws the last transient failure when the tries run out', async () => {
    const { environment } = recorder();
    let calls = 0;
    const error = await withChunkRetry(() => Promise.reject(new RetryableProviderError(`try ${++calls}`)), policy, environment).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableProviderError);
    expect((error as Error).message).toBe('try 3');
  });

  it.each([
    ['a rate limit', new RateLimitedError('420', { status: 420 })],
    ['a permanent rejection', new PermanentProviderError('401', { status: 401 })],
    ['anything that is not a provider error', new Error('disk gone')],
  ])('throws %s at once', async (_name, failure) => {
    const { sleeps, environment } = recorder();
    let calls = 0;
    await expect(withChunkRetry(() => (calls++, Promise.reject(failure)), policy, environment)).rejects.toBe(failure);
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
  });
});

describe('chunk retry policy', () => {
  it('draws each delay from the upper half of a doubling ceiling', () => {
    const defaults = chunkRetryPolicy();
    expect(defaults).toEqual({ tries: 3, baseDelayMs: 250, maxDelayMs: 2_000 });
    expect(chunkBackoffMs(1, defaults, () => 0)).toBe(125);
    expect(chunkBackoffMs(1, defaults, () => 1)).toBe(250);
    expect(chunkBackoffMs(2, defaults, () => 1)).toBe(500);
    expect(chunkBackoffMs(10, defaults, () => 1)).toBe(2_000);
  });

  it('refuses settings that would never send or never wait sensibly', () => {
    expect(() => chunkRetryPolicy({ tries: 0 })).toThrow(RangeError);
    expect(() => chunkRetryPolicy({ baseDelayMs: 500, maxDelayMs: 100 })).toThrow(RangeError);
    expect(chunkRetryPolicy({ tries: 1, baseDelayMs: undefined })).toMatchObject({ tries: 1, baseDelayMs: 250 });
  });
});
