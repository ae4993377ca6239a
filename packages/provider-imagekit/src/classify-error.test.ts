import { PermanentProviderError, RateLimitedError, RetryableProviderError } from '@hoist/core';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from '@imagekit/nodejs';
import { describe, expect, it } from 'vitest';
import { classifyImageKitError } from './classify-error.js';

const NOW = new Date('2026-12-07T20:00:00.000Z');
const HELP = 'For support kindly contact us at support@imagekit.io .';

/** An SDK error as the SDK makes it from an answer. */
function answer(status: number, message: string, headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, { message, help: HELP }, undefined, new Headers(headers));
}

describe('classifyImageKitError', () => {
  it('makes a 429 a rate limit, with the hint its headers give', () => {
    const error = classifyImageKitError(answer(429, 'Too many requests', { 'x-ratelimit-limit': '10', 'x-ratelimit-interval': '1000', 'x-ratelimit-reset': '1500' }), 'delete', NOW);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).hint).toEqual({ ratePerSecond: 10, resetAt: new Date(NOW.getTime() + 1500), remaining: 0 });
    expect((error as RateLimitedError).resetAt).toEqual(new Date(NOW.getTime() + 1500));
    expect(error.status).toBe(429);
  });

  it.each([401, 403])('makes a %i permanent, naming the setting to check', (status) => {
    const error = classifyImageKitError(answer(status, 'Your account cannot be authenticated.'), 'upload', NOW);
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toContain('IMAGEKIT_PRIVATE_KEY');
    expect(error.message).toContain('Your account cannot be authenticated.');
  });

  it.each([400, 404, 409, 422])('makes another 4xx (%i) permanent with ImageKit message', (status) => {
    const error = classifyImageKitError(answer(status, 'Your request is missing file parameter.'), 'upload', NOW);
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toContain('Your request is missing file parameter.');
    expect(error.status).toBe(status);
  });

  it.each([500, 502, 503])('makes a %i retryable', (status) => {
    expect(classifyImageKitError(answer(status, 'Internal error'), 'upload', NOW)).toBeInstanceOf(RetryableProviderError);
  });

  it('makes a timeout, a connection failure and anything unknown retryable', () => {
    expect(classifyImageKitError(new APIConnectionTimeoutError(), 'upload', NOW)).toBeInstanceOf(RetryableProviderError);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const connection = classifyImageKitError(new APIConnectionError({ cause: new TypeError('fetch failed', { cause: refused }) }), 'lookup', NOW);
    expect(connection).toBeInstanceOf(RetryableProviderError);
    expect(connection.message).toContain('ECONNREFUSED');
    expect(classifyImageKitError(new Error('something else'), 'upload', NOW)).toBeInstanceOf(RetryableProviderError);
  });
});
