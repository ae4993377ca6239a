import { CamelCasePlugin, Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { toStoreError } from './connection-errors.js';
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
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: reportingUnavailability(pool) }), plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })] });
}

/**
 * The pool as Kysely sees it, where "Postgres cannot be reached" is the domain's
 * StoreUnavailableError wherever it happens — connecting, any query, a transaction's begin or
 * commit — so no repository method has to wrap itself for it, and none can forget to. Every other
 * error (a constraint, a query Postgres refuses) passes unchanged. (Streamed queries through a
 * cursor are the exception; nothing streams today, and Kysely has no cursor configured here.)
 */
function reportingUnavailability(pool: pg.Pool): PostgresPool {
  // One wrapper per pg client: Kysely keeps its connection objects in a map keyed by the client.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let wrapper = wrappers.get(client);
    if (!wrapper) {
      const query = ((text: unknown, parameters?: readonly unknown[]) =>
        // A cursor (streamed queries) reports its errors on its own reads; anything else is a query.
        typeof text === 'string' ? client.query(text, parameters as unknown[]).catch(rethrowAsStoreError) : client.query(text as pg.Submittable)) as unknown as PostgresPoolClient['query'];
      wrapper = {
        query,
        release: (destroy?: boolean) => client.release(destroy),
        // Kysely reads the backend pid to cancel an aborted query; pg has it, its types do not.
        get processID() {
          return (client as unknown as { processID?: number }).processID;
        },
      };
      wrappers.set(client, wrapper);
    }
    return wrapper;
  };
  return {
    options: pool.options,
    // What Kysely opens its own control connection with to cancel an aborted query.
    Client: pg.Client,
    connect: async () => wrap(await pool.connect().catch(rethrowAsStoreError)),
    end: () => pool.end(),
  };
}

function rethrowAsStoreError(error: unknown): never {
  throw toStoreError(error);
}

/** Resolves when a trivial query succeeds; rejects with the driver's error otherwise. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
}
