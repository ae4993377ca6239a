import type { JobQueue } from '@hoist/core';

/** A JobQueue that accepts everything and runs nothing, for API tests that don't need workers. */
export const nullQueue: JobQueue = {
  enqueueUpload: () => Promise.resolve(),
  removeJob: () => Promise.resolve(true),
  removeFinishedJob: () => Promise.resolve(),
  jobState: () => Promise.resolve('missing'),
};
