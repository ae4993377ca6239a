import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('upload')
    .addColumn('metadata', 'jsonb')
    .addColumn('resource_type', 'text', (col) => col.notNull().defaultTo('auto'))
    .addColumn('eager', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .execute();
  await db.schema
    .alterTable('upload')
    .addCheckConstraint('upload_resource_type_check', sql`resource_type in ('image', 'video', 'raw', 'auto')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('upload').dropColumn('metadata').dropColumn('resource_type').dropColumn('eager').execute();
}
