import { randomBytes } from 'node:crypto';
import { inject, type ProvidedContext } from 'vitest';
import { createDatabase, dropDatabase, withDatabase, type OwnDatabase } from './databases.js';
import { deleteKeys } from './redis-keys.js';

/**
 * What the integration project's global setup provides. Anywhere else (a unit test) it is missing,
 * and the test fails here, naming the fix, instead of connecting to a default server.
 */
function provided<K extends keyof ProvidedContext>(key: K): ProvidedContext[K] {
  const value = inject(key) as ProvidedContext[K] | undefined;
  if (value === undefined) {
    throw new Error(`This test uses Postgres or Redis (it asked for ${key}): name its file *.int.test.ts so it runs in the integration project`);
  }
  return value;
}

/** A database of this test's own, cloned from the run's migrated template: its URL now, the database on `create()`. */
export function testDatabase(): { url: string; create: () => Promise<void>; drop: () => Promise<void> } {
  const admin = provided('adminDatabaseUrl');
  const name = `${provided('runId')}_${randomBytes(4).toString('hex')}`;
  const template = provided('templateDatabase');
  return {
    url: withDatabase(admin, name),
    create: async () => {
      await createDatabase(admin, name, { template });
    },
    drop: () => dropDatabase(admin, name),
  };
}

/** A database of this test's own, created now (see `useTestDatabase()` for one per file). */
export async function createTestDatabase(): Promise<OwnDatabase> {
  const database = testDatabase();
  await database.create();
  return { url: database.url, drop: database.drop };
}

/** A BullMQ key prefix of this test's own, and a function that deletes every key under it. */
export function createQueuePrefix(): { prefix: string; redisUrl: string; clear: () => Promise<void> } {
  const prefix = `${provided('runId')}:${randomBytes(4).toString('hex')}`;
  const redisUrl = provided('redisUrl');
  return {
    prefix,
    redisUrl,
    clear: async () => {
      await deleteKeys(redisUrl, `${prefix}:*`);
    },
  };
}
