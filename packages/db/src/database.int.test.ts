import { StoreUnavailableError } from '@hoist/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgProxy } from '../../../test/support/pg-proxy.js';
import { createTestDatabase } from '../../../test/support/resources.js';
import { waitFor } from '../../../test/support/wait.js';
import { createDatabase } from './database.js';
import { isConnectionError } from './connection-errors.js';

// A TCP proxy between the pool and Postgres that the test can cut, as a network failure or a
// Postgres crash would: the connection just goes, with no goodbye from the server.
let proxy: PgProxy;
let proxyUrl: string;
let directUrl: string;
let drop: () => Promise<void>;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  directUrl = database.url;
  proxy = await PgProxy.start(database.url);
  proxyUrl = proxy.urlFor(database.url);
});
afterAll(async () => {
  await proxy.shutdown();
  await drop();
});

describe('createDatabase', () => {
  it('survives a connection cut in the middle of a query: the query fails, the process does not', async () => {
    const db = createDatabase({ url: proxyUrl });
    const running = sql`select pg_sleep(5)`.execute(db).then(
      () => 'finished',
      (error: unknown) => error,
    );
    // Cut only once Postgres is running it: cut earlier, on a slow machine, it would just be a refused connect.
    const direct = createDatabase({ url: directUrl });
    await waitFor(
      async () => {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and query = 'select pg_sleep(5)' and state = 'active'`.execute(direct);
        return (rows[0]?.n ?? 0) > 0 ? true : undefined;
      },
      { timeoutMs: 10_000, what: 'pg_sleep to be running' },
    );
    await direct.destroy();
    // Reset, not close: what a crashed server or a broken network looks like to the client.
    await proxy.cut();
    await proxy.resume();
    const outcome = await running;
    // Already the domain's error: no caller has to translate it.
    expect(outcome).toBeInstanceOf(StoreUnavailableError);
    expect(isConnectionError((outcome as Error).cause)).toBe(true);
    // The pool recovers by itself once the network is back.
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    await db.destroy();
  });

  it('reports an unreachable Postgres as StoreUnavailableError for queries and transactions alike', async () => {
    const db = createDatabase({ url: 'postgres://postgres@127.0.0.1:1/nowhere' });
    await expect(sql`select 1`.execute(db)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(db.transaction().execute((trx) => sql`select 1`.execute(trx))).rejects.toBeInstanceOf(StoreUnavailableError);
    await db.destroy();
  });

  it('passes every other error on as it is, so a bug is not mistaken for an outage', async () => {
    const db = createDatabase({ url: proxyUrl });
    const refused = await sql`select 1 / 0`.execute(db).catch((error: unknown) => error);
    expect(refused).not.toBeInstanceOf(StoreUnavailableError);
    expect(refused).toMatchObject({ code: '22012' });
    const duplicate = await db
      .transaction()
      .execute(async (trx) => {
        await sql`create temporary table t (id int constraint t_pkey primary key)`.execute(trx);
        await sql`insert into t values (1), (1)`.execute(trx);
      })
      .catch((error: unknown) => error);
    expect(duplicate).toMatchObject({ code: '23505', constraint: 't_pkey' });
    await db.destroy();
  });
});
