import { describe, expect, it } from 'vitest';
import { FaultInjector } from './faults.js';

function clock(start = 1_800_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

describe('FaultInjector', () => {
  it('consumes the script one request at a time, then passes', () => {
    const faults = new FaultInjector({ latencyMs: 0, rateLimitPerSecond: null });
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
    const faults = new FaultInjector({ latencyMs: 0, rateLimitPerSecond: null }, time.now);
    faults.replace({ script: [{ kind: 'rate_limit', resetInSeconds: 10 }, { kind: 'timeout' }] });
    expect(faults.next()).toEqual({
      action: 'rate_limit',
      status: 420,
      hint: 'both',
      limit: 500,
      retryAfterSeconds: 10,
      resetAt: new Date(1_800_000_011_000),
    });
    expect(faults.next()).toEqual({ action: 'timeout', hangMs: 30_000 });
  });

  it('lets a burst of R through a token bucket of R/s, then refills', () => {
    const time = clock();
    const faults = new FaultInjector({ latencyMs: 0, rateLimitPerSecond: 3 }, time.now);
    expect([faults.next(), faults.next(), faults.next()]).toEqual(Array(3).fill({ action: 'pass' }));
    expect(faults.next()).toMatchObject({ action: 'rate_limit', status: 420, limit: 3, retryAfterSeconds: 1 });
    time.advance(334);
    expect(faults.next()).toEqual({ action: 'pass' });
    expect(faults.next()).toMatchObject({ action: 'rate_limit' });
  });

  it('replaces everything on replace() and returns to the defaults on reset()', () => {
    const faults = new FaultInjector({ latencyMs: 5, rateLimitPerSecond: 10 });
    faults.replace({ rateLimitPerSecond: null, script: [{ kind: 'reset' }] });
    expect(faults.settings()).toEqual({ latencyMs: 5, rateLimitPerSecond: null, script: [{ kind: 'reset', count: 1 }] });
    faults.reset();
    expect(faults.settings()).toEqual({ latencyMs: 5, rateLimitPerSecond: 10, script: [] });
  });
});
