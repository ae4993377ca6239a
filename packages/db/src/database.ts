import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export interface DatabaseOptions {
  /** Postgres connection string. */
  url: string;
  /** Pool size; default 10. */
  maxConnections?: number;
  /** Name reported in pg_stat_activity, so operators can tell processes apart. */
  applicationName?: string;
}

/** A Kysely instance on a pg pool. No I/O until the first query. Call `destroy()` to close the pool. */
export function createDatabase(options: DatabaseOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'hoist',
    // Fail fast when Postgres is unreachable instead of hanging a request for the OS TCP timeout.
    connectionTimeoutMillis: 5_000,
  });
  // A connection that drops (network cut, Postgres crash or failover) emits 'error' on its client.
  // The pool listens only while a client is idle, and Kysely not at all while one is checked out:
  // unheard, that event would kill the process. The query in flight rejects on its own (and becomes
  // StoreUnavailableError), and the pool discards the broken client, so there is nothing to do here.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })] });
}

/** Resolves when a trivial query succeeds; rejects with the driver's error otherwise. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
}
