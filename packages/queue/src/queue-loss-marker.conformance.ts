import type { QueueLossMarker } from '@hoist/core';
import { describe, expect, it } from 'vitest';

/** The contract every QueueLossMarker adapter passes. `make` returns a marker never checked before, and how to make its store lose its data. */
export function describeQueueLossMarker(name: string, make: () => Promise<{ marker: QueueLossMarker; lose: () => Promise<void> }>): void {
  describe(`QueueLossMarker conformance: ${name}`, () => {
    it('reports a queue never seen before as lost until a reconcile recovers it, then whole', async () => {
      const { marker } = await make();
      const first = await marker.check();
      expect(first.lost).toBe(true);
      // Every check until then says so again, with the same generation: the process that noticed may die first.
      expect(await marker.check()).toEqual(first);
      if (!first.lost) return;
      await marker.recovered(first.generation);
      expect(await marker.check()).toEqual({ lost: false });
      expect(await marker.check()).toEqual({ lost: false });
    });

    it('notices a loss, as a new generation, and keeps a newer loss pending when an older one is recovered', async () => {
      const { marker, lose } = await make();
      const first = await marker.check();
      if (first.lost) await marker.recovered(first.generation);
      await lose();
      const second = await marker.check();
      expect(second.lost).toBe(true);
      if (!second.lost || !first.lost) return;
      expect(second.generation).not.toBe(first.generation);
      // A reconcile that started before this loss finishing late must not clear it.
      await marker.recovered(first.generation);
      expect(await marker.check()).toEqual(second);
      await lose();
      const third = await marker.check();
      await marker.recovered(second.generation);
      expect(await marker.check()).toEqual(third);
    });
  });
}
