import { describe, expect, it } from 'vitest';
import { webhookRetryDelay } from './webhook-worker.js';

describe('webhookRetryDelay', () => {
  const options = { baseMs: 1000, maxMs: 10_000 };

  it('doubles per attempt up to the cap, never less than half the ceiling', () => {
    expect(webhookRetryDelay(1, options, () => 0)).toBe(500);
    expect(webhookRetryDelay(1, options, () => 0.999_999)).toBe(1000);
    expect(webhookRetryDelay(3, options, () => 0)).toBe(2000);
    expect(webhookRetryDelay(3, options, () => 0.5)).toBe(3000);
    expect(webhookRetryDelay(12, options, () => 0.999_999)).toBe(10_000);
    expect(webhookRetryDelay(12, options, () => 0)).toBe(5000);
  });
});
