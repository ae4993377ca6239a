import { describeJobQueue } from '../conformance/job-queue.conformance.js';
import { MemoryJobQueue } from './memory-job-queue.js';

describeJobQueue('MemoryJobQueue', () => {
  const queue = new MemoryJobQueue();
  return Promise.resolve({
    queue,
    take: () => Promise.resolve(queue.take()),
    finish: (uploadId, outcome) => Promise.resolve(queue.finish(uploadId, outcome)),
  });
});
