import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDatabase, type OwnDatabase } from './databases.js';
import { deleteKeys } from './redis-keys.js';

/** A database of this test file's own, cloned from the run's migrated template. */
export async function createTestDatabase(): Promise<OwnDatabase> {
  const name = `${inject('runId')}_${randomBytes(4).toString('hex')}`;
  return createDatabase(inject('adminDatabaseUrl'), name, { template: inject('templateDatabase') });
}

/** A BullMQ key prefix of this test's own, and a function that deletes every key under it. */
export function createQueuePrefix(): { prefix: string; redisUrl: string; clear: () => Promise<void> } {
  const prefix = `${inject('runId')}:${randomBytes(4).toString('hex')}`;
  const redisUrl = inject('redisUrl');
  return {
    prefix,
    redisUrl,
    clear: async () => {
      await deleteKeys(redisUrl, `${prefix}:*`);
    },
  };
}
