import { StoreUnavailableError } from '@hoist/core';
import { redactUrl } from '@hoist/logger';
import type { Kysely } from 'kysely';
import { createDatabase, type DatabaseOptions } from './database.js';
import { assertSchemaCurrent } from './migrate.js';
import type { Database } from './schema.js';

/**
 * The database for an app process: a pool, checked to reach Postgres and to have every migration
 * applied. Throws an error naming the (password-free) URL and what to do; the pool is closed then.
 */
export async function connectDatabase(options: DatabaseOptions): Promise<Kysely<Database>> {
  const db = createDatabase(options);
  try {
    await assertSchemaCurrent(db);
  } catch (error) {
    await db.destroy();
    // The driver's own words ("connect ECONNREFUSED …"), not the domain's "the database is unavailable" around them.
    const reason = error instanceof StoreUnavailableError && error.cause instanceof Error ? error.cause : error;
    throw new Error(`Postgres at ${redactUrl(options.url)}: ${reason instanceof Error ? reason.message : String(reason)}`, { cause: error });
  }
  return db;
}
