import { describe, expect, it } from 'vitest';
import { hintFromHeaders, resetFromHeaders } from './rate-limit-hints.js';

const now = new Date('2026-11-23T17:00:00Z');

describe('resetFromHeaders', () => {
  it('reads Retry-After as seconds or as an HTTP-date', () => {
    expect(resetFromHeaders({ 'retry-after': '30' }, now)?.toISOString()).toBe('2026-11-23T17:00:30.000Z');
    expect(resetFromHeaders({ 'retry-after': 'Mon, 23 Nov 2026 17:05:00 GMT' }, now)?.toISOString()).toBe('2026-11-23T17:05:00.000Z');
  });

  it("reads Cloudinary's X-FeatureRateLimit-Reset as the end of its hourly window", () => {
    const headers = { 'x-featureratelimit-limit': '500', 'x-featureratelimit-remaining': '0', 'x-featureratelimit-reset': 'Mon, 23 Nov 2026 18:00:00 GMT' };
    expect(resetFromHeaders(headers, now)?.toISOString()).toBe('2026-11-23T18:00:00.000Z');
  });

  it('prefers Retry-After when both are given', () => {
    expect(resetFromHeaders({ 'retry-after': '2', 'x-featureratelimit-reset': 'Mon, 23 Nov 2026 18:00:00 GMT' }, now)?.toISOString()).toBe(
      '2026-11-23T17:00:02.000Z',
    );
  });

  it('reads X-RateLimit-Reset as a delta, unix seconds or unix milliseconds', () => {
    expect(resetFromHeaders({ 'x-ratelimit-reset': '12' }, now)?.toISOString()).toBe('2026-11-23T17:00:12.000Z');
    const at = Date.parse('2026-11-23T17:10:00Z');
    expect(resetFromHeaders({ 'x-ratelimit-reset': String(at / 1000) }, now)?.getTime()).toBe(at);
    expect(resetFromHeaders({ 'x-ratelimit-reset': String(at) }, now)?.getTime()).toBe(at);
  });

  it('ignores missing, malformed and past values', () => {
    expect(resetFromHeaders({}, now)).toBeUndefined();
    expect(resetFromHeaders({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(resetFromHeaders({ 'x-featureratelimit-reset': 'Mon, 23 Nov 2026 16:00:00 GMT' }, now)).toBeUndefined();
  });

  it('reads an HTTP-date only in its IMF-fixdate form, never guessing at numbers or zoneless dates', () => {
    // Date.parse would read these as the year 3600, the year 99999, 2001-12-01 and local time.
    for (const odd of ['3600', '99999', '  12', '2026-11-23 18:00:00']) {
      expect(resetFromHeaders({ 'x-featureratelimit-reset': odd }, now)).toBeUndefined();
      expect(resetFromHeaders({ 'retry-after': `${odd}x` }, now)).toBeUndefined();
    }
  });
});

describe('hintFromHeaders', () => {
  it("turns Cloudinary's hourly limit into a rate per second, with what is left until the reset", () => {
    const headers = { 'x-featureratelimit-limit': '72000', 'x-featureratelimit-remaining': '17', 'x-featureratelimit-reset': 'Mon, 23 Nov 2026 17:00:01 GMT' };
    expect(hintFromHeaders(headers, now)).toEqual({ ratePerSecond: 20, remaining: 17, resetAt: new Date('2026-11-23T17:00:01Z') });
  });

  it('says nothing for an answer without such headers, and drops malformed values', () => {
    expect(hintFromHeaders({}, now)).toEqual({});
    expect(hintFromHeaders({ 'x-featureratelimit-limit': 'lots', 'x-featureratelimit-remaining': '-1', 'x-featureratelimit-reset': 'soon' }, now)).toEqual({});
    // A count with no instant it runs to is no bound.
    expect(hintFromHeaders({ 'x-featureratelimit-remaining': '3' }, now)).toEqual({});
    expect(hintFromHeaders({ 'x-featureratelimit-limit': '0' }, now)).toEqual({});
    // 400 digits: Infinity, which would switch pacing off.
    expect(hintFromHeaders({ 'x-featureratelimit-limit': '9'.repeat(400) }, now)).toEqual({});
  });
});
