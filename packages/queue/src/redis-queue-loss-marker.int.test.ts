import { afterAll } from 'vitest';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { describeQueueLossMarker } from './queue-loss-marker.conformance.js';
import { createRedis } from './redis.js';
import { RedisQueueLossMarker } from './redis-queue-loss-marker.js';

const { prefix, redisUrl, clear } = createQueuePrefix();
const redis = createRedis(redisUrl, 'worker');
afterAll(async () => {
  await clear();
  redis.disconnect();
});

let markers = 0;
describeQueueLossMarker('redis', () => {
  // A prefix of its own per marker: each starts never seen.
  const own = `${prefix}:m${++markers}`;
  return Promise.resolve({
    marker: new RedisQueueLossMarker({ redis, prefix: own }),
    lose: async () => {
      await redis.del(`${own}:queue-marker`);
    },
  });
});
