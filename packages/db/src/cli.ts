#!/usr/bin/env node
import { loadConfig } from '@hoist/config';
import { redactUrl } from '@hoist/logger';
import { migrateToLatest } from './migrate.js';

// `pnpm db:migrate`: the one place the schema changes. Output is for a human at a terminal.
async function main(): Promise<void> {
  const command = process.argv[2] ?? 'migrate';
  if (command !== 'migrate') throw new Error(`unknown command "${command}"; usage: db migrate`);
  const config = loadConfig();
  const { applied } = await migrateToLatest(config.DATABASE_URL);
  const where = redactUrl(config.DATABASE_URL);
  process.stdout.write(
    applied.length ? `db: applied ${applied.join(', ')} to ${where}\n` : `db: ${where} is up to date\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`db: migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
