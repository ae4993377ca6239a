import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { withDatabase } from '../../../test/support/databases.js';
import { createDatabase } from './database.js';
import { assertSchemaCurrent, migrateToLatest, SchemaBehindError } from './migrate.js';
import { migrations } from './migrations/index.js';

const admin = inject('adminDatabaseUrl');
const created: string[] = [];
function freshName(): string {
  const name = `${inject('runId')}_mig_${randomBytes(3).toString('hex')}`;
  created.push(name);
  return name;
}

afterAll(async () => {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  for (const name of created) await client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
  await client.end();
});

describe('migrations', () => {
  it('create the database when missing and are safe to run from several processes at once', async () => {
    const url = withDatabase(admin, freshName());
    const runs = await Promise.all([migrateToLatest(url), migrateToLatest(url), migrateToLatest(url)]);
    const applied = runs.flatMap((run) => run.applied);
    expect(applied).toEqual(Object.keys(migrations));
    expect((await migrateToLatest(url)).applied).toEqual([]);
    const db = createDatabase({ url });
    await expect(assertSchemaCurrent(db)).resolves.toBeUndefined();
    await db.destroy();
  });

  it('make the apps refuse an unmigrated database with a clear message', async () => {
    const name = freshName();
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`create database ${pg.escapeIdentifier(name)}`);
    await client.end();
    const db = createDatabase({ url: withDatabase(admin, name) });
    const error = await assertSchemaCurrent(db).catch((caught: unknown) => caught);
    await db.destroy();
    expect(error).toBeInstanceOf(SchemaBehindError);
    expect((error as Error).message).toMatch(/pnpm db:migrate/);
    expect((error as Error).message).toMatch(/0001-create-upload/);
  });
});
