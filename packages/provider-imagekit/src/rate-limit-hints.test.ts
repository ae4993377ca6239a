import { describe, expect, it } from 'vitest';
import { hintFromHeaders } from './rate-limit-hints.js';

const NOW = new Date('2026-12-07T20:00:00.000Z');

describe('hintFromHeaders', () => {
  it('reads the rate from limit per interval and the reset as milliseconds from now', () => {
    const headers = new Headers({ 'X-RateLimit-Limit': '100', 'X-RateLimit-Interval': '1000', 'X-RateLimit-Reset': '250' });
    expect(hintFromHeaders(headers, NOW)).toEqual({ ratePerSecond: 100, resetAt: new Date(NOW.getTime() + 250) });
  });

  it('says nothing remains before the reset on a 429', () => {
    const headers = new Headers({ 'x-ratelimit-limit': '1000', 'x-ratelimit-interval': '900000', 'x-ratelimit-reset': '30000' });
    expect(hintFromHeaders(headers, NOW, true)).toEqual({ ratePerSecond: 1000 / 900, resetAt: new Date(NOW.getTime() + 30_000), remaining: 0 });
  });

  it('leaves out what is missing or malformed', () => {
    expect(hintFromHeaders(new Headers(), NOW, true)).toEqual({});
    expect(hintFromHeaders(new Headers({ 'x-ratelimit-limit': '10', 'x-ratelimit-interval': '0', 'x-ratelimit-reset': 'soon' }), NOW, true)).toEqual({});
    expect(hintFromHeaders(new Headers({ 'x-ratelimit-limit': '-5', 'x-ratelimit-interval': '1000' }), NOW)).toEqual({});
    expect(hintFromHeaders(new Headers({ 'x-ratelimit-limit': '10' }), NOW)).toEqual({});
  });
});
