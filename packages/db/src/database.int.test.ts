import { createServer, connect, type Server, type Socket } from 'node:net';
import { StoreUnavailableError } from '@hoist/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/resources.js';
import { createDatabase } from './database.js';
import { isConnectionError } from './connection-errors.js';

// A TCP proxy between the pool and Postgres that the test can cut, as a network failure or a
// Postgres crash would: the connection just goes, with no goodbye from the server.
let proxy: Server;
let proxyUrl: string;
const sockets = new Set<Socket>();
let drop: () => Promise<void>;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  const target = new URL(inject('adminDatabaseUrl'));
  proxy = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  const url = new URL(database.url);
  url.host = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  proxyUrl = url.toString();
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => proxy.close(resolve));
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
    for (const socket of sockets) socket.resetAndDestroy();
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
