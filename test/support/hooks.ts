import { createDatabase, type Database } from '@hoist/db';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { createQueuePrefix, testDatabase } from './resources.js';

// Per-file resources in the style of graphile-worker's __tests__/helpers.ts: call one at the top of
// an integration test file and it registers its own beforeAll/afterAll. Everything it returns is
// usable at once (no I/O happens before the beforeAll); vitest runs afterAll hooks in reverse order,
// so the file's own afterAll (closing an app, a worker) runs before these tear down what it used.

/** This file's own migrated database (cloned from the run's template), and a Kysely pool on it. */
export interface TestDatabase {
  /** Pool on the database; destroyed after the file's tests. */
  db: Kysely<Database>;
  /** Its URL, for a process or a second pool of the test's own. */
  url: string;
}

/** A database of this file's own: created before its tests, its pool destroyed and the database dropped after them. */
export function useTestDatabase(): TestDatabase {
  const database = testDatabase();
  const db = createDatabase({ url: database.url });
  beforeAll(() => database.create());
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });
  return { db, url: database.url };
}

/** A BullMQ/Redis key prefix of this file's own; every key under it is deleted after the file's tests. */
export function useQueuePrefix(): { prefix: string; redisUrl: string } {
  const { prefix, redisUrl, clear } = createQueuePrefix();
  afterAll(clear);
  return { prefix, redisUrl };
}
