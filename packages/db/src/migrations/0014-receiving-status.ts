import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

/**
 * `receiving`: a tus upload whose bytes still arrive. It has no byte facts until its last byte
 * (size, type, sha256 and temp key are set as it becomes `queued`), nor ever when it ends without
 * accepted bytes (refused, expired, cancelled); and it counts against the
 * tenant's cap on open uploads, so the partial index behind that count covers it too. Final
 * statuses do not change, so the webhook trigger of 0009 stays as it is.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const constraint = async (name: string, check: ReturnType<typeof sql>) => {
    await db.schema.alterTable('upload').dropConstraint(name).ifExists().execute();
    await db.schema.alterTable('upload').addCheckConstraint(name, check).execute();
  };
  await constraint('upload_status_check', sql`status in ('receiving', 'queued', 'processing', 'succeeded', 'failed', 'cancelled', 'deleted')`);
  // Byte facts are known for every upload a worker may run or has run; a tus upload has none while
  // receiving, nor when it ended before its bytes were accepted (refused, expired, cancelled).
  await constraint(
    'upload_bytes_known_check',
    sql`status in ('receiving', 'failed', 'cancelled', 'deleted') or source_url is not null or (bytes is not null and content_type is not null and sha256 is not null and storage_key is not null)`,
  );
  await db.schema
    .createIndex('upload_tenant_open_idx')
    .on('upload')
    .column('tenant_id')
    .where(sql.ref('status'), 'in', sql`('receiving', 'queued', 'processing')`)
    .execute();
  await db.schema.dropIndex('upload_tenant_unfinished_idx').ifExists().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Tus uploads that never had accepted bytes cannot satisfy the old check.
  await sql`delete from upload where source_url is null and bytes is null`.execute(db);
  await db.schema
    .createIndex('upload_tenant_unfinished_idx')
    .on('upload')
    .column('tenant_id')
    .where(sql.ref('status'), 'in', sql`('queued', 'processing')`)
    .execute();
  await db.schema.dropIndex('upload_tenant_open_idx').execute();
  await sql`alter table upload drop constraint upload_bytes_known_check, add constraint upload_bytes_known_check check (source_url is not null or (bytes is not null and content_type is not null and sha256 is not null and storage_key is not null))`.execute(db);
  await sql`alter table upload drop constraint upload_status_check, add constraint upload_status_check check (status in ('queued', 'processing', 'succeeded', 'failed', 'cancelled', 'deleted'))`.execute(db);
}
