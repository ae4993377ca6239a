import { describe, expect, it } from 'vitest';
import { hintFromHeaders } from './rate-limit-hints.js';

const now = new Date('2026-12-07T12:00:00Z');

describe('hintFromHeaders', () => {
  it('reads the reset from Retry-After in seconds, before the Ratelimit window', () => {
    const hint = hintFromHeaders(new Headers({ 'retry-after': '30', ratelimit: '"default";r=0;t=50' }), now);
    expect(hint.resetAt).toEqual(new Date('2026-12-07T12:00:30Z'));
    expect(hint.remaining).toBe(0);
  });

  it('reads Retry-After as an HTTP-date', () => {
    expect(hintFromHeaders(new Headers({ 'retry-after': 'Mon, 07 Dec 2026 12:01:00 GMT' }), now).resetAt).toEqual(new Date('2026-12-07T12:01:00Z'));
  });

  it('reads the window and the rate of a successful answer from Ratelimit and Ratelimit-Policy', () => {
    const hint = hintFromHeaders(new Headers({ ratelimit: '"default";r=1199;t=299', 'ratelimit-policy': '"default";q=1200;w=300' }), now);
    expect(hint).toEqual({ ratePerSecond: 4, remaining: 1199, resetAt: new Date('2026-12-07T12:04:59Z') });
  });

  it('takes the strictest of several limits and policies', () => {
    const hint = hintFromHeaders(new Headers({ ratelimit: '"default";r=900;t=200, "burst";r=3;t=10', 'ratelimit-policy': '"default";q=1200;w=300, "burst";q=100;w=60' }), now);
    expect(hint).toEqual({ ratePerSecond: 100 / 60, remaining: 3, resetAt: new Date('2026-12-07T12:00:10Z') });
  });

  it('leaves out what is malformed, and says nothing without the headers', () => {
    expect(hintFromHeaders(new Headers({ 'retry-after': '3600.5x', ratelimit: '"default";r=-1;t=abc', 'ratelimit-policy': '"default";q=0;w=60' }), now)).toEqual({});
    expect(hintFromHeaders(new Headers({ 'retry-after': '2026-12-07 12:01:00' }), now)).toEqual({});
    expect(hintFromHeaders(new Headers(), now)).toEqual({});
  });

  it('does not state a remaining count without the instant it runs to', () => {
    expect(hintFromHeaders(new Headers({ ratelimit: '"default";r=5' }), now)).toEqual({});
  });
});
