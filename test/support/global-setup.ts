import { randomBytes } from 'node:crypto';
import { migrateToLatest } from '@hoist/db';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { withDatabase } from './databases.js';
import { deleteKeys } from './redis-keys.js';
import { startTestServices } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a database on the test server that tests may use to create and drop their own. */
    adminDatabaseUrl: string;
    /** Migrated database that every test file clones. */
    templateDatabase: string;
    /** Prefix of every database and Redis key this run creates, so teardown can remove them all. */
    runId: string;
    redisUrl: string;
  }
}

/**
 * Once per run: find (or start) Postgres and Redis, migrate a template database, and tell every
 * test file where they are. Each file then clones the template (one CREATE DATABASE … TEMPLATE,
 * much faster than migrating) and uses its own Redis key prefix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await startTestServices();
  const runId = `hoist_test_${randomBytes(4).toString('hex')}`;
  const adminDatabaseUrl = withDatabase(services.databaseUrl, 'postgres');
  const templateDatabase = `${runId}_template`;

  await assertReachable(adminDatabaseUrl, services.redisUrl);
  await migrateToLatest(withDatabase(services.databaseUrl, templateDatabase));

  project.provide('adminDatabaseUrl', adminDatabaseUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('runId', runId);
  project.provide('redisUrl', services.redisUrl);

  return async () => {
    await dropRunDatabases(adminDatabaseUrl, runId);
    await deleteKeys(services.redisUrl, `${runId}*`);
    await services.stop();
  };
}

async function assertReachable(databaseUrl: string, redisUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Tests need Postgres at ${databaseUrl} (set DATABASE_URL, or make a Docker engine reachable for testcontainers): ${String(error)}`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Tests need Redis at ${redisUrl} (set REDIS_URL, or make a Docker engine reachable): ${String(error)}`, {
      cause: error,
    });
  } finally {
    redis.disconnect();
  }
}

async function dropRunDatabases(adminUrl: string, runId: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${runId}%`]);
    for (const { datname } of rows) await client.query(`drop database if exists ${pg.escapeIdentifier(datname)} with (force)`);
  } finally {
    await client.end();
  }
}
