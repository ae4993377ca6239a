import { Kysely, PostgresDialect } from 'kysely';
import { Migrator, type MigrationResultSet } from 'kysely/migration';
import pg from 'pg';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

const provider = { getMigrations: () => Promise.resolve(migrations) };
const MIGRATION_TABLE = 'hoist_migration';
const MIGRATION_LOCK_TABLE = 'hoist_migration_lock';

/** The schema is older than this code expects. */
export class SchemaBehindError extends Error {
  constructor(readonly pending: string[]) {
    super(
      `Database schema is behind: ${pending.length} pending migration(s) (${pending.join(', ')}). ` +
        'Run `pnpm db:migrate` and start again.',
    );
    this.name = 'SchemaBehindError';
  }
}

function migratorFor(db: Kysely<unknown>): Migrator {
  return new Migrator({
    db,
    provider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

/**
 * Creates the database named in `url` if it does not exist, connecting to the server's `postgres`
 * database to do so. Safe when several processes race: "already exists" counts as success.
 */
export async function ensureDatabase(url: string): Promise<{ created: boolean }> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return { created: false };
    try {
      await client.query(`create database ${pg.escapeIdentifier(name)}`);
      return { created: true };
    } catch (error) {
      // 42P04 duplicate_database, 23505 when two creates race on the catalog's unique index.
      const code = (error as { code?: string }).code;
      if (code === '42P04' || code === '23505') return { created: false };
      throw error;
    }
  } finally {
    await client.end();
  }
}

/**
 * Applies every pending migration, forward only, inside Kysely's migration lock (a Postgres advisory
 * lock), so several processes may run it at once: one migrates, the others wait and find nothing to do.
 */
export async function migrateToLatest(url: string): Promise<{ applied: string[] }> {
  await ensureDatabase(url);
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  try {
    const { error, results } = await migratorFor(db).migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
    return { applied: appliedNames(results) };
  } finally {
    await db.destroy();
  }
}

function appliedNames(results: MigrationResultSet['results']): string[] {
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Throws SchemaBehindError when a migration this code knows is not applied. The API and worker call
 * it at start-up, so an old schema is a clear message instead of odd SQL errors later.
 */
export async function assertSchemaCurrent(db: Kysely<Database>): Promise<void> {
  // The migration table is read as stored: without the application's CamelCasePlugin.
  const known = await migratorFor(db.withoutPlugins() as unknown as Kysely<unknown>).getMigrations();
  const pending = known.filter((m) => m.executedAt === undefined).map((m) => m.name);
  if (pending.length > 0) throw new SchemaBehindError(pending);
}
