// The Postgres ceiling for accepting and finishing uploads on this machine: pgbench running, per
// "upload", an INSERT, a claim (UPDATE … WHERE status = 'queued') and a finish (UPDATE … WHERE
// status = 'processing') as three separate durable commits, from 16 clients, on a table of its own.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const SCRIPT = `
INSERT INTO bench_ceiling (tenant_id, status, sha256, bytes) VALUES ('bench', 'queued', md5(random()::text) || md5(random()::text), 10000) RETURNING id \\gset
UPDATE bench_ceiling SET status = 'processing', attempts = attempts + 1, updated_at = now() WHERE id = :id AND status = 'queued';
UPDATE bench_ceiling SET status = 'succeeded', result = '{"url":"https://example.test/a.png","bytes":10000}', updated_at = now() WHERE id = :id AND status = 'processing';
`;

/** Uploads per second pgbench sustains (insert + claim + finish, each its own commit) with `clients` clients for `durationS`. */
export async function pgbenchCeiling(databaseUrl: string, { clients = 16, durationS, dir }: { clients?: number; durationS: number; dir: string }): Promise<number> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    await pool.query(`create table if not exists bench_ceiling (
      id bigserial primary key, tenant_id text not null, status text not null, sha256 text not null, bytes bigint not null,
      attempts int not null default 0, result jsonb, created_at timestamptz not null default now(), updated_at timestamptz not null default now())`);
    await pool.query('create index if not exists bench_ceiling_status on bench_ceiling (status, created_at)');
  } finally {
    await pool.end();
  }
  const script = join(dir, 'pgbench-ceiling.sql');
  await writeFile(script, SCRIPT);
  const url = new URL(databaseUrl);
  const { stdout } = await promisify(execFile)(
    'pgbench',
    ['-n', '-c', String(clients), '-j', '2', '-T', String(durationS), '-f', script, '-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username || 'postgres'), url.pathname.slice(1)],
    { env: { PATH: process.env.PATH ?? '', ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}) }, timeout: (durationS + 60) * 1000 },
  );
  const tps = /tps = ([\d.]+)/.exec(stdout);
  if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
  return Number(tps[1]);
}
