import { MemoryQueueLossMarker } from './memory-queue-loss-marker.js';
import { describeQueueLossMarker } from './queue-loss-marker.conformance.js';

// The Redis adapter runs the same suite in redis-queue-loss-marker.int.test.ts.
describeQueueLossMarker('memory', () => {
  const marker = new MemoryQueueLossMarker();
  return Promise.resolve({ marker, lose: () => Promise.resolve(marker.lose()) });
});
