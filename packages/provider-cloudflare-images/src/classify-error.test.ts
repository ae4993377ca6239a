import { PermanentProviderError, RateLimitedError, RetryableProviderError } from '@hoist/core';
import * as sdk from 'cloudflare';
import { APIConnectionError, APIConnectionTimeoutError, APIError, CloudflareError } from 'cloudflare';
import { describe, expect, it } from 'vitest';
import { classifyCloudflareError } from './classify-error.js';

const now = new Date('2026-12-07T12:00:00Z');
const classify = (raw: unknown, at: Date): ReturnType<typeof classifyCloudflareError> => classifyCloudflareError(raw, sdk, at);

function answer(status: number, errors: { code: number; message: string }[], headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, { result: null, success: false, errors, messages: [] }, undefined, new Headers(headers));
}

describe('classifyCloudflareError', () => {
  it('makes a 429 rate limited, with the reset of its Retry-After', () => {
    const error = classify(answer(429, [{ code: 971, message: 'Please wait and consider throttling your request speed' }], { 'retry-after': '30' }), now);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).resetAt).toEqual(new Date('2026-12-07T12:00:30Z'));
    expect(error.status).toBe(429);
  });

  it("takes Cloudflare's throttling code as a rate limit whatever the status", () => {
    expect(classify(answer(400, [{ code: 971, message: 'Please wait' }]), now)).toBeInstanceOf(RateLimitedError);
  });

  it('makes 5xx, timeouts and failed connections retryable', () => {
    expect(classify(answer(503, [{ code: 5503, message: 'Service Unavailable' }]), now)).toBeInstanceOf(RetryableProviderError);
    expect(classify(new APIConnectionTimeoutError(), now)).toBeInstanceOf(RetryableProviderError);
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const failed = classify(new APIConnectionError({ cause: new TypeError('fetch failed', { cause: reset }) }), now);
    expect(failed).toBeInstanceOf(RetryableProviderError);
    expect(failed.message).toContain('ECONNRESET');
  });

  it("makes other 4xx permanent, with Cloudflare's codes and messages", () => {
    const error = classify(answer(400, [{ code: 5400, message: 'Bad request: metadata must be a JSON object' }]), now);
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toContain('5400: Bad request: metadata must be a JSON object');
  });

  it('names the settings to check when the credentials or the account are refused', () => {
    expect(classify(answer(401, [{ code: 10000, message: 'Authentication error' }]), now).message).toMatch(/CLOUDFLARE_API_TOKEN/);
    expect(classify(answer(403, [{ code: 10000, message: 'Authentication error' }]), now).message).toMatch(/CLOUDFLARE_ACCOUNT_ID/);
    const route = classify(answer(404, [{ code: 7003, message: 'Could not route to /accounts/x/images/v1' }]), now);
    expect(route).toBeInstanceOf(PermanentProviderError);
    expect(route.message).toMatch(/check CLOUDFLARE_ACCOUNT_ID/);
  });

  it('makes a request the SDK would not build permanent, and anything unknown retryable', () => {
    expect(classify(new CloudflareError('Path parameters result in path with invalid segments'), now)).toBeInstanceOf(PermanentProviderError);
    expect(classify(new Error('something new'), now)).toBeInstanceOf(RetryableProviderError);
  });
});
