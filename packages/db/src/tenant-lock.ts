import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * What a per-tenant lock guards; each is its own lock, so registering a webhook never waits for an
 * upload. The values are the first key of Postgres's two-key advisory locks: that key space never
 * overlaps the one-key (bigint) locks the rest of the codebase takes (AdvisoryLockRunner's
 * `hashtext(name)`, Kysely's migration lock), so no name can ever collide with these.
 */
export const TENANT_LOCKS = {
  /** Counting a tenant's unfinished uploads and adding one (create, retry). */
  unfinishedUploads: 0x486f_0001,
  /** Counting a tenant's webhook endpoints and adding one. */
  webhookEndpoints: 0x486f_0002,
} as const;

/**
 * Longest wait for a tenant's lock. Holders keep it for one count and one insert (milliseconds); a
 * holder that hangs (a frozen process, a half-open connection) must not make every one of the
 * tenant's requests wait with it: past this, the wait fails as "database unavailable" (503,
 * retried by clients; lock_not_available is one of the unavailable states).
 */
export const TENANT_LOCK_TIMEOUT = '5s';

/**
 * Takes the tenant's `lock` until `trx` ends (commit or rollback), waiting for whoever holds it,
 * for at most {@link TENANT_LOCK_TIMEOUT}. A count-then-insert under it is atomic with respect to
 * every other one of the tenant's, which a plain transaction is not (two READ COMMITTED
 * transactions both count n and both insert).
 */
export async function lockTenant(trx: Transaction<Database>, lock: (typeof TENANT_LOCKS)[keyof typeof TENANT_LOCKS], tenantId: string): Promise<void> {
  // One round trip: the materialized CTE (the timeout) is evaluated before the select list (the wait).
  await sql`with timeout as materialized (select set_config('lock_timeout', ${TENANT_LOCK_TIMEOUT}, true)) select pg_advisory_xact_lock(${lock}::int4, hashtext(${tenantId})) from timeout`.execute(trx);
}

/**
 * Runs work one at a time per key within this process. Callers that are about to wait for a
 * tenant's advisory lock queue here first, so a burst from one tenant holds one pooled connection
 * per process instead of every one of them (which would make every other tenant's queries wait for
 * a connection: a noisy neighbour). The advisory lock still orders processes among themselves.
 */
export class SerialByKey {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work);
    // The next one waits for this one to settle, whatever its outcome.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

/** Runs `work` in a transaction of `db`, joining it when `db` already is one rather than nesting. */
export function inTransaction<T>(db: Kysely<Database> | Transaction<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Transaction<Database>) : db.transaction().execute(work);
}

/**
 * One per-tenant lock as repositories take it: callers wait in this process behind the tenant's
 * earlier ones ({@link SerialByKey}), then hold the lock in their transaction ({@link lockTenant}).
 */
export class TenantLock {
  private readonly waiting = new SerialByKey();

  constructor(private readonly lock: (typeof TENANT_LOCKS)[keyof typeof TENANT_LOCKS]) {}

  /** Runs `work` in a transaction of `db` that holds the tenant's lock until it ends. */
  /**
   * Runs `work` after the tenant's earlier callers in this process, with no transaction of its own:
   * for a single statement that takes the lock itself (`hoist_create_upload`, migration 0015).
   */
  queue<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    return this.waiting.run(tenantId, work);
  }

  run<T>(db: Kysely<Database> | Transaction<Database>, tenantId: string, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.waiting.run(tenantId, () =>
      inTransaction(db, async (trx) => {
        await lockTenant(trx, this.lock, tenantId);
        return work(trx);
      }),
    );
  }
}
