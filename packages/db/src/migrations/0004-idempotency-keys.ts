import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('idempotency_key')
    .addColumn('tenant_id', 'text', (col) => col.notNull())
    .addColumn('key', 'text', (col) => col.notNull())
    // What the request was (fields + the file's sha256): the same key with another request is an error.
    .addColumn('fingerprint', 'text', (col) => col.notNull())
    .addColumn('upload_id', 'uuid', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_key_pkey', ['tenant_id', 'key'])
    .addForeignKeyConstraint('idempotency_key_tenant_id_fkey', ['tenant_id'], 'tenant', ['id'])
    .addForeignKeyConstraint('idempotency_key_upload_id_fkey', ['upload_id'], 'upload', ['id'], (fk) => fk.onDelete('cascade'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_key').execute();
}
