import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code, so later changes can't rewrite history.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('upload')
    .addColumn('id', 'uuid', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('queued'))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('filename', 'text', (col) => col.notNull())
    .addColumn('bytes', 'bigint', (col) => col.notNull())
    .addColumn('content_type', 'text', (col) => col.notNull())
    .addColumn('sha256', 'text', (col) => col.notNull())
    .addColumn('storage_key', 'text', (col) => col.notNull())
    .addColumn('public_id', 'text', (col) => col.notNull())
    .addColumn('tags', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('result', 'jsonb')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .addPrimaryKeyConstraint('upload_pkey', ['id'])
    .addCheckConstraint('upload_status_check', sql`status in ('queued', 'processing', 'succeeded', 'failed')`)
    .addCheckConstraint('upload_attempts_check', sql`attempts >= 0`)
    .addCheckConstraint('upload_bytes_check', sql`bytes > 0`)
    .addCheckConstraint('upload_sha256_check', sql`sha256 ~ '^[0-9a-f]{64}$'`)
    .addCheckConstraint('upload_result_check', sql`(status = 'succeeded') = (result is not null)`)
    .addCheckConstraint('upload_error_check', sql`(status = 'failed') = (error_code is not null)`)
    .addCheckConstraint('upload_completed_at_check', sql`(status in ('succeeded', 'failed')) = (completed_at is not null)`)
    .execute();

  // The reconciler and operators look for unfinished uploads; a partial index keeps that cheap.
  await db.schema
    .createIndex('upload_unfinished_idx')
    .on('upload')
    .columns(['status', 'updated_at'])
    .where(sql.ref('status'), 'in', sql`('queued', 'processing')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('upload').execute();
}
