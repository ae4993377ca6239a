import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

/**
 * - URL uploads: `source_url`, and the byte facts (size, type, sha256, temp key) become nullable
 *   because a worker learns them only when it fetches the URL.
 * - `deleted`: the provider asset was destroyed on request; the row stays as a record.
 * - `retry_count`: how many times an operator or client sent a failed upload back to the queue.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('upload')
    .addColumn('source_url', 'text')
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('retry_count', 'integer', (col) => col.notNull().defaultTo(0))
    .alterColumn('bytes', (col) => col.dropNotNull())
    .alterColumn('content_type', (col) => col.dropNotNull())
    .alterColumn('sha256', (col) => col.dropNotNull())
    .alterColumn('storage_key', (col) => col.dropNotNull())
    .execute();
  const constraint = async (name: string, check: ReturnType<typeof sql>) => {
    await db.schema.alterTable('upload').dropConstraint(name).ifExists().execute();
    await db.schema.alterTable('upload').addCheckConstraint(name, check).execute();
  };
  // Bytes are known for every file upload, and for a URL upload once it has been fetched.
  await constraint('upload_bytes_known_check', sql`source_url is not null or (bytes is not null and content_type is not null and sha256 is not null and storage_key is not null)`);
  await constraint('upload_status_check', sql`status in ('queued', 'processing', 'succeeded', 'failed', 'cancelled', 'deleted')`);
  await constraint('upload_completed_at_check', sql`(status in ('succeeded', 'failed', 'cancelled', 'deleted')) = (completed_at is not null)`);
  await constraint('upload_deleted_at_check', sql`(status = 'deleted') = (deleted_at is not null)`);
  // A deleted upload keeps the result or error it had, as a record of what was deleted.
  await constraint('upload_result_check', sql`(status <> 'succeeded' or result is not null) and (result is null or status in ('succeeded', 'deleted'))`);
  await constraint('upload_error_check', sql`(status <> 'failed' or error_code is not null) and (error_code is null or status in ('failed', 'deleted'))`);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // URL uploads never fetched cannot satisfy the old NOT NULLs; deleted rows go back to what they were.
  await sql`delete from upload where bytes is null`.execute(db);
  await sql`update upload set status = case when result is not null then 'succeeded' when error_code is not null then 'failed' else 'cancelled' end where status = 'deleted'`.execute(db);
  await sql`alter table upload drop constraint upload_bytes_known_check, drop constraint upload_deleted_at_check`.execute(db);
  await sql`alter table upload drop constraint upload_result_check, add constraint upload_result_check check ((status = 'succeeded') = (result is not null))`.execute(db);
  await sql`alter table upload drop constraint upload_error_check, add constraint upload_error_check check ((status = 'failed') = (error_code is not null))`.execute(db);
  await sql`alter table upload drop constraint upload_completed_at_check, add constraint upload_completed_at_check check ((status in ('succeeded', 'failed', 'cancelled')) = (completed_at is not null))`.execute(db);
  await sql`alter table upload drop constraint upload_status_check, add constraint upload_status_check check (status in ('queued', 'processing', 'succeeded', 'failed', 'cancelled'))`.execute(db);
  await sql`alter table upload drop column source_url, drop column deleted_at, drop column retry_count,
    alter column bytes set not null, alter column content_type set not null, alter column sha256 set not null, alter column storage_key set not null`.execute(db);
}
