import type { Logger } from '@hoist/core';
import { Queue } from 'bullmq';
import { QUEUE_NAMES } from './jobs.js';
import type { RedisConnection } from './redis.js';
import { rateLimitedForMs } from './upload-worker.js';

export type { Queue };

/**
 * A BullMQ Queue handle for every queue in QUEUE_NAMES, for inspecting and steering them (the admin
 * dashboard). Opening one does no I/O of its own; the handles share `connection`, which closing them
 * leaves open, so the caller closes both. Connection errors go to `logger` (an "error" event with no
 * listener would crash the process).
 */
export function openQueues(connection: RedisConnection, prefix: string, logger?: Logger): Queue[] {
  return QUEUE_NAMES.map((name) => {
    const queue = new Queue(name, { connection, prefix });
    queue.on('error', (error) => logger?.warn({ err: error, queue: name }, 'queue connection error'));
    return queue;
  });
}

/** What the metrics' queue gauges read from one queue at scrape time (HoistMetrics' QueueGaugeSource). */
export function queueGaugeSource(queue: Queue) {
  return {
    name: queue.name,
    counts: () => queue.getJobCounts(),
    isPaused: () => queue.isPaused(),
    rateLimitedForMs: () => rateLimitedForMs(queue),
  };
}
