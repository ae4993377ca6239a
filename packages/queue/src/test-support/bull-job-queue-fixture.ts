import { randomUUID } from 'node:crypto';
import type { JobQueueFixture } from '@hoist/core/conformance';
import { Worker, type Job } from 'bullmq';
import { BullJobQueue } from '../bull-job-queue.js';
import { UPLOAD_QUEUE } from '../jobs.js';
import type { RedisConnection } from '../redis.js';

/**
 * BullJobQueue for describeJobQueue: a queue under `prefix` and a worker that never runs by itself,
 * so the suite takes and finishes jobs one at a time. Whatever it opens goes on `closing`.
 */
export function bullJobQueueFixture(options: { producer: RedisConnection; consumer: RedisConnection; prefix: string; closing: Array<() => Promise<unknown>> }): JobQueueFixture {
  const { prefix } = options;
  const queue = new BullJobQueue({ connection: options.producer, prefix, attempts: 1 });
  const worker = new Worker(UPLOAD_QUEUE, null, { connection: options.consumer, prefix, autorun: false });
  options.closing.push(
    () => worker.close(),
    () => queue.close(),
  );
  const taken = new Map<string, { job: Job; token: string }>();
  return {
    queue,
    take: async () => {
      const token = randomUUID();
      const job = (await worker.getNextJob(token, { block: false })) as Job | undefined;
      if (!job?.id) return undefined;
      taken.set(job.id, { job, token });
      return job.id;
    },
    finish: async (uploadId, outcome) => {
      const running = taken.get(uploadId);
      if (!running) throw new Error(`${uploadId} was not taken`);
      if (outcome === 'completed') await running.job.moveToCompleted({ kind: 'succeeded' }, running.token, false);
      else await running.job.moveToFailed(new Error('gave up'), running.token, false);
    },
  };
}
