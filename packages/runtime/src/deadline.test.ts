import { describe, expect, it } from 'vitest';
import { within } from './deadline.js';

describe('within', () => {
  it('gives the result when the work finishes in time', async () => {
    expect(await within(Promise.resolve(42), 1_000)).toBe(42);
  });

  it('gives up after the deadline on work that never finishes, and on failed work', async () => {
    const started = Date.now();
    expect(await within(new Promise(() => undefined), 50)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await within(Promise.reject(new Error('gone')), 1_000)).toBeUndefined();
  });
});
