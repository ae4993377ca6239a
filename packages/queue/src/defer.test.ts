import { describe, expect, it } from 'vitest';
import { deferDelay, jittered } from './defer.js';

describe('deferDelay', () => {
  const middle = () => 0.5;

  it('doubles the wait with each deferral of the same job, up to 15 s', () => {
    expect([0, 1, 2, 3, 4, 5, 30].map((n) => deferDelay(n, 1_000, middle))).toEqual([1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]);
  });

  it('spreads jobs deferred together over half to one and a half times the wait', () => {
    expect(jittered(1_000, () => 0)).toBe(500);
    expect(jittered(1_000, () => 0.999_999)).toBe(1_500);
  });
});
