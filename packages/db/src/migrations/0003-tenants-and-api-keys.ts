import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tenant')
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('tenant_pkey', ['id'])
    .addCheckConstraint('tenant_id_check', sql`id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'`)
    .execute();
  // Uploads made before tenants existed, and every upload when AUTH=off, belong to `default`.
  await sql`insert into tenant (id) values ('default')`.execute(db);

  await db.schema
    .createTable('api_key')
    .addColumn('id', 'uuid', (col) => col.notNull())
    .addColumn('tenant_id', 'text', (col) => col.notNull())
    // Only a hash is stored: the key is shown once, at creation. Keys are 256-bit random, so a fast
    // hash is enough (nothing to brute-force), and a unique index makes lookup one probe.
    .addColumn('key_hash', 'text', (col) => col.notNull())
    // The key's first characters, so operators can tell keys apart without seeing them.
    .addColumn('key_prefix', 'text', (col) => col.notNull())
    .addColumn('name', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addPrimaryKeyConstraint('api_key_pkey', ['id'])
    .addForeignKeyConstraint('api_key_tenant_id_fkey', ['tenant_id'], 'tenant', ['id'])
    .addUniqueConstraint('api_key_key_hash_key', ['key_hash'])
    .execute();

  await db.schema
    .alterTable('upload')
    .addColumn('tenant_id', 'text', (col) => col.notNull().defaultTo('default').references('tenant.id'))
    .execute();
  // Every tenant-scoped read is by (tenant, id); this also serves keyset pagination per tenant.
  await db.schema.createIndex('upload_tenant_id_idx').on('upload').columns(['tenant_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('upload').dropColumn('tenant_id').execute();
  await db.schema.dropTable('api_key').execute();
  await db.schema.dropTable('tenant').execute();
}
