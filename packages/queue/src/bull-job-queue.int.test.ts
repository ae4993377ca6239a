import { describeJobQueue } from '@hoist/core/conformance';
import { afterAll } from 'vitest';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { createRedis } from './redis.js';
import { bullJobQueueFixture } from './test-support/bull-job-queue-fixture.js';

const { prefix, redisUrl, clear } = createQueuePrefix();
const producer = createRedis(redisUrl, 'producer');
const consumer = createRedis(redisUrl, 'worker');
const closing: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of closing) await close();
  await clear();
  producer.disconnect();
  consumer.disconnect();
});

let queues = 0;
// A prefix of its own per queue: each starts empty.
describeJobQueue('BullJobQueue', () => Promise.resolve(bullJobQueueFixture({ producer, consumer, prefix: `${prefix}:q${++queues}`, closing })));
