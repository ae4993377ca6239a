import { describe, expect, it } from 'vitest';
import { FaultInjector } from './faults.js';

function clock(start = 1_800_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

describe('FaultInjector', () => {
  it('consumes the script one request at a time, then passes', () => {
    const faults = new FaultInjector({ latencyMs: 0, rateLimitPerSecond: null, rateLimitStyle: 'cloudinary' });
    faults.replace({ script: [{ kind: 'error', status: 502, count: 2 }, { kind: 'reset' }] });
    expect(faults.settings().script).toEqual([{ kind: 'error', status: 502, count: 2 }, { kind: 'reset', count: 1 }]);
    expect(faults.next()).toEqual({ action: 'error', status: 502, message: undefined });
    expect(faults.settings().script[0]).toEqual({ kind: 'error', status: 502, count: 1 });
    expect(faults.next()).toMatchObject({ action: 'error' });
    expect(faults.next()).toEqual({ action: 'reset' });
    expect(faults.next()).toEqual({ action: 'pass' });
  });

  it('gives scripted rate limits a reset time rounded up to the second', () => {
    const time = clock(1_800_000_000_400);
    const faults = new FaultInjector({ latencyMs: 0, rateLimitPerSecond: null, rateLimitStyle: 'cloudinary' }, time.now);
    faults.replace({ script: [{ kind: 'rate_limit', resetInSeconds: 10 }, { kind: 'timeout' }] });
    expect(faults.next()).toEqual({
      action: 'rate_limit',
      status: 420,
      hint: 'both',
      // No limiter configured: no hourly figure to state.
      limit: undefined,
      retryAfterSeconds: 10,
      resetAt: new Date(1_800_000_011_000),
    });
    expect(faults.next()).toEqual({ action: 'timeout', hangMs: 30_000 });
  });

  it('admits R per one-second window aligned to whole seconds, and its headers say so', () => {
    // 300 ms into a second: the window ends at the next whole second.
    const time = clock(1_800_000_000_300);
    const faults = new FaultInjector({ latencyMs: 0, rateLimitPerSecond: 3, rateLimitStyle: 'cloudinary' }, time.now);
    const resetAt = new Date(1_800_000_001_000);
    expect([faults.next(), faults.next(), faults.next()]).toEqual([2, 1, 0].map((remaining) => ({ action: 'pass', quota: { limit: 10_800, remaining, resetAt } })));
    expect(faults.next()).toEqual({ action: 'over_limit', style: 'cloudinary', quota: { limit: 10_800, remaining: 0, resetAt }, retryAfterSeconds: 1 });
    // Still the same window: nothing refills before its end...
    time.advance(650);
    expect(faults.next()).toMatchObject({ action: 'over_limit' });
    // ...and the next window admits R again.
    time.advance(50);
    expect(faults.next()).toEqual({ action: 'pass', quota: { limit: 10_800, remaining: 2, resetAt: new Date(1_800_000_002_000) } });
  });

  it('leaves the headers out of passing answers unless the style is cloudinary', () => {
    const faults = new FaultInjector({ latencyMs: 0, rateLimitPerSecond: 1, rateLimitStyle: 'bare' }, clock().now);
    expect(faults.next()).toEqual({ action: 'pass' });
    expect(faults.next()).toMatchObject({ action: 'over_limit', style: 'bare' });
  });

  it('counts a rate below one per second over a window of several seconds', () => {
    const time = clock(1_800_000_000_000);
    const faults = new FaultInjector({ latencyMs: 0, rateLimitPerSecond: 0.25, rateLimitStyle: 'cloudinary' }, time.now);
    expect(faults.next()).toEqual({ action: 'pass', quota: { limit: 900, remaining: 0, resetAt: new Date(1_800_000_004_000) } });
    time.advance(3_000);
    expect(faults.next()).toMatchObject({ action: 'over_limit', retryAfterSeconds: 1 });
    time.advance(1_000);
    expect(faults.next()).toMatchObject({ action: 'pass' });
  });

  it('replaces everything on replace() and returns to the defaults on reset()', () => {
    const faults = new FaultInjector({ latencyMs: 5, rateLimitPerSecond: 10, rateLimitStyle: 'cloudinary' });
    faults.replace({ rateLimitPerSecond: null, rateLimitStyle: 'bare', script: [{ kind: 'reset' }] });
    expect(faults.settings()).toEqual({ latencyMs: 5, rateLimitPerSecond: null, rateLimitStyle: 'bare', script: [{ kind: 'reset', count: 1 }] });
    faults.reset();
    expect(faults.settings()).toEqual({ latencyMs: 5, rateLimitPerSecond: 10, rateLimitStyle: 'cloudinary', script: [] });
  });
});
