import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runPool } from './pool.js';

describe('runPool', () => {
  it('runs every item, never more than `concurrency` at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await sleep(5);
      running -= 1;
      done.push(item);
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('starts no item once the signal is aborted', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    await runPool([1, 2, 3, 4], 1, async (item) => {
      started.push(item);
      if (item === 2) controller.abort();
      await sleep(1);
    }, controller.signal);
    expect(started).toEqual([1, 2]);
  });
});
