import { PermanentProviderError, RateLimitedError, RetryableProviderError } from '@hoist/core';
import { describe, expect, it } from 'vitest';
import { classifyCloudinaryError, parseResetTime } from './classify-error.js';

const now = new Date('2026-11-23T16:00:00Z');

describe('classifyCloudinaryError', () => {
  it.each([420, 429])('treats %i as rate limited with the reset time from the message', (status) => {
    const error = classifyCloudinaryError(
      { http_code: status, message: 'Rate Limit Exceeded. Try again on 2026-11-23 17:00:00 UTC' },
      now,
    );
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).resetAt?.toISOString()).toBe('2026-11-23T17:00:00.000Z');
  });

  it('treats 5xx, the SDK timeout (499) and socket errors as retryable', () => {
    expect(classifyCloudinaryError({ http_code: 500, message: 'Internal' })).toBeInstanceOf(RetryableProviderError);
    expect(classifyCloudinaryError({ http_code: 503, message: 'Server returned unexpected status code - 503' })).toBeInstanceOf(RetryableProviderError);
    expect(classifyCloudinaryError({ http_code: 499, message: 'Request Timeout', name: 'TimeoutError' })).toBeInstanceOf(RetryableProviderError);
    expect(classifyCloudinaryError({ error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) })).toBeInstanceOf(RetryableProviderError);
  });

  it('treats other 4xx as permanent and keeps the provider message', () => {
    const error = classifyCloudinaryError({ http_code: 401, message: "Invalid Signature abc. String to sign - 'x'." });
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/Invalid Signature/);
    expect(error.status).toBe(401);
  });
});

describe('rate-limit reset precedence', () => {
  it('takes the headers over the message, and the message when there are no headers', () => {
    const raw = { http_code: 420, message: 'Rate Limit Exceeded. Try again on 2026-11-23 17:00:00 UTC' };
    const fromHeaders = classifyCloudinaryError(raw, now, { status: 420, headers: { 'retry-after': '5' } }) as RateLimitedError;
    expect(fromHeaders.resetAt?.toISOString()).toBe('2026-11-23T16:00:05.000Z');
    const fromMessage = classifyCloudinaryError(raw, now, { status: 420, headers: {} }) as RateLimitedError;
    expect(fromMessage.resetAt?.toISOString()).toBe('2026-11-23T17:00:00.000Z');
  });
});

describe('a rate-limit answer seen on the wire', () => {
  it('wins over the socket error the SDK may report after it', () => {
    const reset = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    const error = classifyCloudinaryError({ error: reset }, now, { status: 420, headers: { 'retry-after': '2' } });
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).resetAt?.toISOString()).toBe('2026-11-23T16:00:02.000Z');
  });
});

describe('parseResetTime', () => {
  it('ignores resets in the past and text without a date', () => {
    expect(parseResetTime('Try again on 2020-01-01 00:00:00 UTC', now)).toBeUndefined();
    expect(parseResetTime('Rate Limit Exceeded', now)).toBeUndefined();
  });
});

describe("a 420 in Cloudinary's own style", () => {
  it('hands on the rate, remaining and reset from its headers, without Retry-After', () => {
    const raw = { http_code: 420, message: 'Rate Limit Exceeded. Limit of 72000 api operations reached. Try again on 2026-11-23 16:00:01 UTC' };
    const headers = { 'x-featureratelimit-limit': '72000', 'x-featureratelimit-remaining': '0', 'x-featureratelimit-reset': 'Mon, 23 Nov 2026 16:00:01 GMT' };
    const error = classifyCloudinaryError(raw, now, { status: 420, headers }) as RateLimitedError;
    expect(error.hint).toEqual({ ratePerSecond: 20, remaining: 0, resetAt: new Date('2026-11-23T16:00:01Z') });
    // Without the headers, the message still gives the reset.
    expect((classifyCloudinaryError(raw, now) as RateLimitedError).hint).toEqual({ resetAt: new Date('2026-11-23T16:00:01Z') });
  });
});
