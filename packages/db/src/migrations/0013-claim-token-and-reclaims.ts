import type { Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

/**
 * - `claim_token`: a fencing token, new on every claim. A run records its outcome only while the
 *   row still carries its token, so a worker whose job lock lapsed (and whose upload another worker
 *   claimed since) can no longer write one.
 * - `reclaim_count`: claims that found the upload still `processing` (the run before died or lost
 *   its lock), counted apart from provider `attempts` so dying workers never spend attempts, and
 *   bounded on their own so an upload that kills every worker that runs it still ends.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('upload')
    .addColumn('claim_token', 'uuid')
    .addColumn('reclaim_count', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('upload').dropColumn('claim_token').dropColumn('reclaim_count').execute();
}
