import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

/**
 * Deleting an upload, and undoing a cancelled one, first asks whether another upload holds the
 * asset at the same public id; rows are kept as records, so without this that is a full scan.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('upload_public_id_live_idx')
    .on('upload')
    .column('public_id')
    .where(sql.ref('status'), 'in', sql`('succeeded', 'processing')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('upload_public_id_live_idx').execute();
}
