import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('upload')
    // Outbox: null until the job is in Redis. The API writes the row first, so an upload accepted
    // while Redis is down is enqueued later from here.
    .addColumn('enqueued_at', 'timestamptz')
    // Resumable chunked uploads: the provider's upload session and the bytes it acknowledged.
    .addColumn('chunk_session', 'text')
    .addColumn('chunk_offset', 'bigint', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('upload')
    .addCheckConstraint('upload_chunk_offset_check', sql`chunk_offset >= 0 and chunk_offset <= bytes`)
    .execute();
  // Rows accepted before this migration were enqueued when they were accepted.
  await sql`update upload set enqueued_at = created_at`.execute(db);
  await db.schema
    .createIndex('upload_outbox_idx')
    .on('upload')
    .column('created_at')
    .where(sql.ref('enqueued_at'), 'is', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('upload_outbox_idx').execute();
  await db.schema.alterTable('upload').dropColumn('enqueued_at').dropColumn('chunk_session').dropColumn('chunk_offset').execute();
}
