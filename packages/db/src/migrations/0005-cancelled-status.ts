import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('upload').dropConstraint('upload_status_check').execute();
  await db.schema
    .alterTable('upload')
    .addCheckConstraint('upload_status_check', sql`status in ('queued', 'processing', 'succeeded', 'failed', 'cancelled')`)
    .execute();
  await db.schema.alterTable('upload').dropConstraint('upload_completed_at_check').execute();
  await db.schema
    .alterTable('upload')
    .addCheckConstraint('upload_completed_at_check', sql`(status in ('succeeded', 'failed', 'cancelled')) = (completed_at is not null)`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('upload').dropConstraint('upload_completed_at_check').execute();
  await db.schema
    .alterTable('upload')
    .addCheckConstraint('upload_completed_at_check', sql`(status in ('succeeded', 'failed')) = (completed_at is not null)`)
    .execute();
  await db.schema.alterTable('upload').dropConstraint('upload_status_check').execute();
  await db.schema
    .alterTable('upload')
    .addCheckConstraint('upload_status_check', sql`status in ('queued', 'processing', 'succeeded', 'failed')`)
    .execute();
}
