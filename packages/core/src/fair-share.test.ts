import { describe, expect, it } from 'vitest';
import { fairSharePriority } from './fair-share.js';
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
});
