import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Content dedup looks up a tenant's succeeded upload by the bytes' sha256.
  await db.schema
    .createIndex('upload_tenant_sha256_idx')
    .on('upload')
    .columns(['tenant_id', 'sha256'])
    .where(sql.ref('status'), '=', 'succeeded')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('upload_tenant_sha256_idx').execute();
}
