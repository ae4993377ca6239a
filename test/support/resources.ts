import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { inject, type ProvidedContext } from 'vitest';
import { withDatabase } from './services.js';

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

/** A database of this test file's own, cloned from the run's migrated template. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = provided('adminDatabaseUrl');
  const name = `${provided('runId')}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`create database ${pg.escapeIdentifier(name)} template ${pg.escapeIdentifier(provided('templateDatabase'))}`);
  } finally {
    await client.end();
  }
  return {
    url: withDatabase(admin, name),
    drop: async () => {
      const dropper = new pg.Client({ connectionString: admin });
      await dropper.connect();
      try {
        await dropper.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** A BullMQ key prefix of this test's own, and a function that deletes every key under it. */
export function createQueuePrefix(): { prefix: string; redisUrl: string; clear: () => Promise<void> } {
  const prefix = `${provided('runId')}:${randomBytes(4).toString('hex')}`;
  const redisUrl = provided('redisUrl');
  return {
    prefix,
    redisUrl,
    clear: async () => {
      const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
          cursor = next;
          if (keys.length) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}
