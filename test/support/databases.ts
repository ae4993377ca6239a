import { migrateToLatest } from '@hoist/db';
import pg from 'pg';

/** The same server as `url`, database `name`. */
export function withDatabase(url: string, name: string): string {
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
}

export interface OwnDatabase {
  url: string;
  /** Drops the database (forcing out whoever is still connected); safe to call twice. */
  drop: () => Promise<void>;
}

/**
 * Creates database `name` on the server of `serverUrl`: a clone of `template` (one CREATE DATABASE …
 * TEMPLATE, much faster than migrating), or else empty and migrated to the latest schema.
 */
export async function createDatabase(serverUrl: string, name: string, options: { template?: string } = {}): Promise<OwnDatabase> {
  const adminUrl = withDatabase(serverUrl, 'postgres');
  const url = withDatabase(serverUrl, name);
  await adminQuery(adminUrl, `create database ${pg.escapeIdentifier(name)}${options.template ? ` template ${pg.escapeIdentifier(options.template)}` : ''}`);
  const drop = () => dropDatabase(adminUrl, name);
  if (!options.template) {
    try {
      await migrateToLatest(url);
    } catch (error) {
      await drop().catch(() => undefined);
      throw error;
    }
  }
  return { url, drop };
}

/** Drops database `name` on the server of `adminUrl`, if it is there. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, `drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
