import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgProxy } from '../../../test/support/pg-proxy.js';
import { createTestDatabase } from '../../../test/support/resources.js';
import { createDatabase } from './database.js';
import { isConnectionError } from './connection-errors.js';

// A TCP proxy between the pool and Postgres that the test can cut, as a network failure or a
// Postgres crash would: the connection just goes, with no goodbye from the server.
let proxy: PgProxy;
let proxyUrl: string;
let drop: () => Promise<void>;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
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
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Reset, not close: what a crashed server or a broken network looks like to the client.
    await proxy.cut();
    await proxy.resume();
    const outcome = await running;
    expect(outcome).toBeInstanceOf(Error);
    expect(isConnectionError(outcome)).toBe(true);
    // The pool recovers by itself once the network is back.
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    await db.destroy();
  });
});
