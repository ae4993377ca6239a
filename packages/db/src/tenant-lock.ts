import { sql, type Transaction } from 'kysely';
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
 * Takes the tenant's `lock` until `trx` ends (commit or rollback), waiting for whoever holds it.
 * A count-then-insert under it is atomic with respect to every other one of the tenant's, which a
 * plain transaction is not (two READ COMMITTED transactions both count n and both insert).
 */
export async function lockTenant(trx: Transaction<Database>, lock: (typeof TENANT_LOCKS)[keyof typeof TENANT_LOCKS], tenantId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${lock}::int4, hashtext(${tenantId}))`.execute(trx);
}
