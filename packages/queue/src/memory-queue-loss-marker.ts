import { randomUUID } from 'node:crypto';
import type { QueueLossMarker, QueueLossState } from '@hoist/core';

/** QueueLossMarker in memory, for tests: {@link lose} stands for Redis losing its data. */
export class MemoryQueueLossMarker implements QueueLossMarker {
  /** undefined: no marker (never seen, or lost); null: whole; a string: the pending loss's generation. */
  private state: string | null | undefined;

  check(): Promise<QueueLossState> {
    if (this.state === undefined) this.state = randomUUID();
    return Promise.resolve(this.state === null ? { lost: false } : { lost: true, generation: this.state });
  }

  recovered(generation: string): Promise<void> {
    if (this.state === generation) this.state = null;
    return Promise.resolve();
  }

  /** The store lost its data: the marker is gone. */
  lose(): void {
    this.state = undefined;
  }
}
