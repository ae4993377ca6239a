import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from './concurrently.js';

describe('forEachConcurrently', () => {
  it('runs every item, never more than `limit` at once, and in parallel up to it', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachConcurrently(
      Array.from({ length: 50 }, (_, i) => i),
      16,
      async (i) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        done.push(i);
      },
    );
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(peak).toBe(16);
  });

  it('throws the first failure only after every started item has settled', async () => {
    let settled = 0;
    const outcome = forEachConcurrently([1, 2, 3], 3, async (i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 10));
      settled += 1;
      if (i === 1) throw new Error('first');
    });
    await expect(outcome).rejects.toThrow('first');
    expect(settled).toBe(3);
  });
});
