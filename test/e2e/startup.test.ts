import { afterAll, describe, expect, it } from 'vitest';
import { freePort, TestProcess } from '../support/processes.js';
import { createTestDatabase } from '../support/resources.js';
import pg from 'pg';
import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDatabase } from '../support/databases.js';
import { makePng } from '../support/fixtures.js';

// The processes refuse to start on a bad configuration or an old schema, and say why.

const started: TestProcess[] = [];
const drops: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  for (const drop of drops) await drop();
});

function run(name: string, script: string, env: Record<string, string>): TestProcess {
  const child = new TestProcess(name, script, { LOG_LEVEL: 'info', ...env });
  started.push(child);
  return child;
}

describe('start-up checks', () => {
  it('the API names an invalid variable and exits 1', async () => {
    const api = run('api', 'apps/api/dist/main.js', { PORT: 'eighty', MAX_UPLOAD_BYTES: '-1' });
    const { code } = await api.exited;
    expect(code).toBe(1);
    const output = api.output.join('\n');
    expect(output).toMatch(/PORT/);
    expect(output).toMatch(/MAX_UPLOAD_BYTES/);
  });

  it('the API refuses a database whose schema is behind, pointing at pnpm db:migrate', async () => {
    const admin = inject('adminDatabaseUrl');
    const name = `${inject('runId')}_empty_${randomBytes(3).toString('hex')}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`create database ${pg.escapeIdentifier(name)}`);
    await client.end();
    drops.push(async () => {
      const dropper = new pg.Client({ connectionString: admin });
      await dropper.connect();
      await dropper.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      await dropper.end();
    });
    const api = run('api', 'apps/api/dist/main.js', { DATABASE_URL: withDatabase(admin, name), PORT: String(await freePort()) });
    const { code } = await api.exited;
    expect(code).toBe(1);
    expect(api.output.join('\n')).toMatch(/schema is behind.*pnpm db:migrate/);
  });

  it('the worker refuses to run without any provider rather than upload somewhere unexpected', async () => {
    const database = await createTestDatabase();
    drops.push(database.drop);
    const worker = run('worker', 'apps/worker/dist/main.js', { DATABASE_URL: database.url });
    const { code } = await worker.exited;
    expect(code).toBe(1);
    expect(worker.output.join('\n')).toMatch(/No provider is configured\. Set CLOUDINARY_URL/);
  });

  it('the worker refuses to run without credentials for PROVIDER, naming what to set', async () => {
    const database = await createTestDatabase();
    drops.push(database.drop);
    const worker = run('worker-no-imagekit', 'apps/worker/dist/main.js', { DATABASE_URL: database.url, CLOUDINARY_URL: 'cloudinary://k:s@c', PROVIDER: 'imagekit' });
    const { code } = await worker.exited;
    expect(code).toBe(1);
    expect(worker.output.join('\n')).toMatch(/PROVIDER is imagekit, but this worker has no credentials for it: set IMAGEKIT_PRIVATE_KEY, IMAGEKIT_URL_ENDPOINT\./);
  });

  it('the API starts, accepts uploads into the outbox and stops promptly while Redis is down', async () => {
    const database = await createTestDatabase();
    drops.push(database.drop);
    const [port, closedRedisPort] = await Promise.all([freePort(), freePort()]);
    const tmpDir = await mkdtemp(join(tmpdir(), 'hoist-no-redis-'));
    drops.push(() => rm(tmpDir, { recursive: true, force: true }));
    const api = run('api-no-redis', 'apps/api/dist/main.js', {
      DATABASE_URL: database.url,
      // Nothing listens there: Redis is "down" for the API's whole life.
      REDIS_URL: `redis://127.0.0.1:${closedRedisPort}`,
      AUTH: 'off',
      PORT: String(port),
      UPLOAD_TMP_DIR: tmpDir,
    });
    await api.waitForOutput(/api ready/);
    const form = new FormData();
    form.append('file', new Blob([makePng(2, 2)]), 'a.png');
    const accepted = await fetch(`http://127.0.0.1:${port}/v1/uploads`, { method: 'POST', body: form });
    expect(accepted.status).toBe(202);

    const started = Date.now();
    const stopped = await api.stop(20_000);
    expect(stopped).toEqual({ code: 0, signal: null });
    // Bounded by the 5 s Redis timeout of the outbox relay in flight, not by SHUTDOWN_TIMEOUT_MS (30 s).
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a worker stops promptly while Redis is down', async () => {
    const database = await createTestDatabase();
    drops.push(database.drop);
    const [closedRedisPort, metricsPort] = await Promise.all([freePort(), freePort()]);
    const tmpDir = await mkdtemp(join(tmpdir(), 'hoist-no-redis-'));
    drops.push(() => rm(tmpDir, { recursive: true, force: true }));
    const worker = run('worker-no-redis', 'apps/worker/dist/main.js', {
      DATABASE_URL: database.url,
      REDIS_URL: `redis://127.0.0.1:${closedRedisPort}`,
      // Never called: no job can arrive without Redis.
      CLOUDINARY_URL: 'cloudinary://key:secret@cloud?upload_prefix=http://127.0.0.1:9',
      WORKER_METRICS_PORT: String(metricsPort),
      UPLOAD_TMP_DIR: tmpDir,
      SHUTDOWN_TIMEOUT_MS: '2000',
    });
    await worker.waitForOutput(/worker ready/);
    const started = Date.now();
    const stopped = await worker.stop(60_000);
    expect(stopped).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
