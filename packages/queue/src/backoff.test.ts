import { describe, expect, it } from 'vitest';
import { rateLimitPause, retryDelay } from './backoff.js';

describe('retryDelay', () => {
  const options = { baseMs: 1000, maxMs: 10_000 };

  it('doubles the ceiling each attempt and caps it', () => {
    const top = () => 0.999_999;
    expect(retryDelay(1, options, top)).toBe(1000);
    expect(retryDelay(2, options, top)).toBe(2000);
    expect(retryDelay(4, options, top)).toBe(8000);
    expect(retryDelay(9, options, top)).toBe(10_000);
  });

  it('jitters across the whole range', () => {
    expect(retryDelay(3, options, () => 0)).toBe(0);
    expect(retryDelay(3, options, () => 0.5)).toBe(2000);
  });
});

describe('rateLimitPause', () => {
  const now = Date.parse('2026-11-23T17:00:00Z');

  it('waits until the reset time plus at most 10% jitter', () => {
    const resetAt = new Date(now + 20_000);
    expect(rateLimitPause(resetAt, { fallbackMs: 60_000, now }, () => 0)).toBe(20_000);
    expect(rateLimitPause(resetAt, { fallbackMs: 60_000, now }, () => 0.999)).toBeLessThanOrEqual(22_000);
  });

  it('falls back when the provider gave no reset time', () => {
    expect(rateLimitPause(undefined, { fallbackMs: 5_000, now }, () => 0)).toBe(5_000);
  });

  it('never pauses for less than the minimum or more than the maximum', () => {
    expect(rateLimitPause(new Date(now - 5_000), { fallbackMs: 1, now }, () => 0)).toBe(250);
    expect(rateLimitPause(new Date(now + 86_400_000), { fallbackMs: 1, now, maxMs: 3_600_000 }, () => 0)).toBe(3_600_000);
  });
});
