import { describe, expect, it } from 'vitest';
import { BacklogEstimate, fairSharePriority } from './fair-share.js';
import { memoryWorld } from './test-support/memory-world.js';

// Fair share between tenants, on the in-memory queue: which upload a free worker runs next.

describe('fair share', () => {
  it("runs a quiet tenant's upload right after the busy tenant's first, not after its whole backlog", async () => {
    const world = memoryWorld();
    const busy = [];
    for (let i = 0; i < 5; i++) busy.push((await world.accept({ tenantId: 'busy' })).id);
    const quiet = (await world.accept({ tenantId: 'quiet' })).id;
    expect(world.queue.waiting()).toEqual([busy[0], quiet, ...busy.slice(1)]);
  });

  it("interleaves two busy tenants' backlogs in arrival order within each", async () => {
    const world = memoryWorld();
    const a = [];
    const b = [];
    for (let i = 0; i < 3; i++) a.push((await world.accept({ tenantId: 'a' })).id);
    for (let i = 0; i < 3; i++) b.push((await world.accept({ tenantId: 'b' })).id);
    expect(world.queue.waiting()).toEqual([a[0], b[0], a[1], b[1], a[2], b[2]]);
  });

  it('ranks by backlog from 1, however large the backlog: the queue adapter maps ranks into its range', () => {
    expect(fairSharePriority(0)).toBe(1);
    expect(fairSharePriority(1)).toBe(1);
    expect(fairSharePriority(7)).toBe(7);
    expect(fairSharePriority(10_000_000)).toBe(10_000_000);
  });

  describe('BacklogEstimate', () => {
    function counting(counts: number[]) {
      const calls: string[] = [];
      return { calls, uploads: { countUnfinished: (tenantId: string) => (calls.push(tenantId), Promise.resolve(counts.shift() ?? 0)) } };
    }

    it('counts a tenant once per ttl and adds one per upload in between, the caller\'s own included', async () => {
      let now = 0;
      const { calls, uploads } = counting([5, 2]);
      const estimate = new BacklogEstimate(uploads, 1_000, 10, () => now);
      expect(await estimate.backlog('a')).toBe(5);
      expect(await Promise.all([estimate.backlog('a'), estimate.backlog('a')])).toEqual([6, 7]);
      now = 999;
      expect(await estimate.backlog('a')).toBe(8);
      expect(calls).toEqual(['a']);
      now = 1_000;
      expect(await estimate.backlog('a')).toBe(2);
      expect(calls).toEqual(['a', 'a']);
    });

    it('keeps tenants apart, forgets a failed count, and remembers at most maxTenants', async () => {
      const calls: string[] = [];
      let fail = true;
      const uploads = {
        countUnfinished: (tenantId: string) => {
          calls.push(tenantId);
          return fail ? Promise.reject(new Error('down')) : Promise.resolve(tenantId === 'a' ? 3 : 1);
        },
      };
      const estimate = new BacklogEstimate(uploads, 1_000, 2, () => 0);
      await expect(estimate.backlog('a')).rejects.toThrow('down');
      fail = false;
      expect(await estimate.backlog('a')).toBe(3);
      expect(await estimate.backlog('b')).toBe(1);
      expect(await estimate.backlog('a')).toBe(4);
      expect(calls).toEqual(['a', 'a', 'b']);
      expect(await estimate.backlog('c')).toBe(1);
      expect(await estimate.backlog('a')).toBe(3);
      expect(calls).toEqual(['a', 'a', 'b', 'c', 'a']);
    });
  });
});
