import type { Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

/**
 * Webhook retention deletes old events in small batches, oldest first, every few minutes; this index
 * lets each batch start at the oldest events instead of scanning and sorting the whole table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('webhook_event_created_at_idx').on('webhook_event').column('created_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('webhook_event_created_at_idx').execute();
}
