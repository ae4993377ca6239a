import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

/**
 * Fair scheduling counts a tenant's unfinished uploads on every enqueue (and the per-tenant cap on
 * every accept); this partial index keeps that count to the tenant's own unfinished rows instead of
 * every unfinished row of every tenant.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('upload_tenant_unfinished_idx')
    .on('upload')
    .column('tenant_id')
    .where(sql.ref('status'), 'in', sql`('queued', 'processing')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('upload_tenant_unfinished_idx').execute();
}
