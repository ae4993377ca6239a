import { randomUUID } from 'node:crypto';
import { describeJobQueue } from '@hoist/core/conformance';
import { Worker, type Job } from 'bullmq';
import { afterAll } from 'vitest';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { BullJobQueue } from './bull-job-queue.js';
import { UPLOAD_QUEUE } from './jobs.js';
import { createRedis } from './redis.js';

const { prefix, redisUrl, clear } = createQueuePrefix();
const producer = createRedis(redisUrl, 'producer');
const consumer = createRedis(redisUrl, 'worker');
const closing: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closing) await close();
  await clear();
  producer.disconnect();
  consumer.disconnect();
});

let queues = 0;
describeJobQueue('BullJobQueue', () => {
  // A prefix of its own per queue: each starts empty.
  const own = `${prefix}:q${++queues}`;
  const queue = new BullJobQueue({ connection: producer, prefix: own, attempts: 1 });
  // A worker that never runs by itself: the suite takes and finishes jobs one at a time.
  const worker = new Worker(UPLOAD_QUEUE, null, { connection: consumer, prefix: own, autorun: false });
  closing.push(() => worker.close(), () => queue.close());
  const taken = new Map<string, { job: Job; token: string }>();
  return Promise.resolve({
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
  });
});
