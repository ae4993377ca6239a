import { describe, expect, it } from 'vitest';
import { newUploadId } from '../ids.js';
import type { JobQueue } from '../job-queue.js';

/** What {@link describeJobQueue} needs of one adapter. */
export interface JobQueueFixture {
  /** A fresh queue holding no jobs, with one attempt per job (a failed job is failed for good). */
  queue: JobQueue;
  /** Plays a worker: takes the job the queue hands out next (now running) and says whose it is; undefined when none waits. */
  take: () => Promise<string | undefined>;
  /** Ends a job `take` handed out: completed (the processor returned a value) or failed. */
  finish: (uploadId: string, outcome: 'completed' | 'failed') => Promise<void>;
}

/**
 * The contract every JobQueue adapter passes: idempotent enqueueing by upload id, what `jobState`
 * reports through a job's life, which removals take effect, and the order jobs run in by priority
 * (an unbounded rank: the adapter maps it into its own range). `make` returns a fresh, empty queue.
 */
export function describeJobQueue(name: string, make: () => Promise<JobQueueFixture>): void {
  describe(`JobQueue conformance: ${name}`, () => {
    it('reports a job live from enqueue until it finishes, then completed or failed; an unknown one missing', async () => {
      const { queue, take, finish } = await make();
      const [a, b] = [newUploadId(), newUploadId()];
      expect(await queue.jobState(a)).toBe('missing');
      await queue.enqueueUpload(a);
      await queue.enqueueUpload(b);
      expect(await queue.jobState(a)).toBe('live');
      expect(await take()).toBe(a);
      expect(await queue.jobState(a)).toBe('live');
      await finish(a, 'completed');
      expect(await queue.jobState(a)).toBe('completed');
      expect(await take()).toBe(b);
      await finish(b, 'failed');
      expect(await queue.jobState(b)).toBe('failed');
      expect(await take()).toBeUndefined();
    });

    it('enqueues one job per upload, however often it is enqueued, also once it has finished', async () => {
      const { queue, take, finish } = await make();
      const id = newUploadId();
      await queue.enqueueUpload(id);
      await queue.enqueueUpload(id, { priority: 1, tenantId: 'acme' });
      expect(await take()).toBe(id);
      await queue.enqueueUpload(id);
      expect(await take()).toBeUndefined();
      await finish(id, 'completed');
      await queue.enqueueUpload(id);
      expect(await queue.jobState(id)).toBe('completed');
      expect(await take()).toBeUndefined();
    });

    it('removes a finished job so the upload can be enqueued again, and leaves a live one alone', async () => {
      const { queue, take, finish } = await make();
      const id = newUploadId();
      await queue.removeFinishedJob(id);
      await queue.enqueueUpload(id);
      await queue.removeFinishedJob(id);
      expect(await queue.jobState(id)).toBe('live');
      expect(await take()).toBe(id);
      await queue.removeFinishedJob(id);
      expect(await queue.jobState(id)).toBe('live');
      await finish(id, 'failed');
      await queue.removeFinishedJob(id);
      expect(await queue.jobState(id)).toBe('missing');
      await queue.enqueueUpload(id);
      expect(await queue.jobState(id)).toBe('live');
      expect(await take()).toBe(id);
    });

    it('removes a waiting job, idempotently, but not one a worker is running', async () => {
      const { queue, take } = await make();
      const [waiting, running] = [newUploadId(), newUploadId()];
      await queue.enqueueUpload(running);
      expect(await take()).toBe(running);
      await queue.enqueueUpload(waiting);
      expect(await queue.removeJob(waiting)).toBe(true);
      expect(await queue.jobState(waiting)).toBe('missing');
      expect(await queue.removeJob(waiting)).toBe(true);
      expect(await queue.removeJob(running)).toBe(false);
      expect(await queue.jobState(running)).toBe('live');
      expect(await take()).toBeUndefined();
    });

    it('runs lower priorities first, one priority in arrival order, and accepts any rank however large', async () => {
      const { queue, take } = await make();
      const ids = Array.from({ length: 6 }, () => newUploadId());
      const [last, first, secondA, secondB, third, beyond] = ids as [string, string, string, string, string, string];
      // 2^22: beyond BullMQ's range (2^21 − 1); it still runs, after every smaller rank.
      await queue.enqueueUpload(beyond, { priority: 4_194_304 });
      await queue.enqueueUpload(last, { priority: 3_000 });
      await queue.enqueueUpload(secondA, { priority: 2 });
      await queue.enqueueUpload(first);
      await queue.enqueueUpload(secondB, { priority: 2 });
      await queue.enqueueUpload(third, { priority: 3 });
      const order: (string | undefined)[] = [];
      for (let i = 0; i < 6; i++) order.push(await take());
      expect(order).toEqual([first, secondA, secondB, third, last, beyond]);
    });
  });
}
