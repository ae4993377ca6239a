import type { ExclusiveRunner } from '@hoist/core';
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * ExclusiveRunner on a Postgres session advisory lock. The lock lives on one pooled connection for
 * the length of the work, and dies with it: a process that crashes mid-run frees the lock at once.
 */
export class AdvisoryLockRunner implements ExclusiveRunner {
  constructor(private readonly db: Kysely<Database>) {}

  run<T>(name: string, work: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }> {
    return this.db.connection().execute(async (connection) => {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(hashtext(${name})) as locked`.execute(connection);
      if (!rows[0]?.locked) return { ran: false as const };
      try {
        return { ran: true as const, result: await work() };
      } finally {
        await sql`select pg_advisory_unlock(hashtext(${name}))`.execute(connection);
      }
    });
  }
}
