import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { newUploadId, processUpload, RECONCILER_LOCK, RetryableProviderError, type Upload, ProviderRoster } from '@hoist/core';
import { AdvisoryLockRunner, KyselyUploadRepository } from '@hoist/db';
import { createLogger } from '@hoist/logger';
import { BullJobQueue, createRedis, UploadWorker, type Redis } from '@hoist/queue';
import { LocalTempStorage } from '@hoist/temp-storage';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/support/processes.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { ScriptedProvider } from '../../../test/support/scripted-provider.js';
import { waitFor } from '../../../test/support/wait.js';
import { runCli } from './cli.js';

const logger = createLogger({ name: 'cli-test', level: 'silent', format: 'json' });
const MAX_ATTEMPTS = 2;

let env: Record<string, string>;
const { db, url: databaseUrl } = useTestDatabase();
let uploads: KyselyUploadRepository;
let storage: LocalTempStorage;
let producer: Redis;
let queue: BullJobQueue;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const { prefix, redisUrl, clear } = createQueuePrefix();
  const tmpDir = await mkdtemp(join(tmpdir(), 'hoist-cli-test-'));
  env = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    UPLOAD_TMP_DIR: tmpDir,
    MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    RECONCILE_STALE_AFTER_MS: '1000',
  };
  uploads = new KyselyUploadRepository(db);
  await db.insertInto('tenant').values([{ id: 'acme' }, { id: 'globex' }]).execute();
  storage = await new LocalTempStorage({ directory: tmpDir }).init();
  producer = createRedis(redisUrl, 'producer', { enableOfflineQueue: true });
  queue = new BullJobQueue({ connection: producer, prefix, attempts: MAX_ATTEMPTS });
  cleanups.push(async () => {
    await queue.close();
    producer.disconnect();
    await clear();
    await rm(tmpDir, { recursive: true, force: true });
  });
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});
beforeEach(async () => {
  await db.deleteFrom('upload').execute();
  await queue.queue.obliterate({ force: true });
  // obliterate leaves a queue-wide rate limit in place.
  await queue.queue.removeRateLimitKey();
});

/** The CLI in this process, against this file's database and queue prefix. */
const hoist = (...args: string[]) => runCli(args, env);
const hoistJson = async <T>(...args: string[]): Promise<T> => {
  const result = await hoist(...args, '--json');
  expect(result).toMatchObject({ code: 0 });
  return JSON.parse(result.stdout) as T;
};

/** The built CLI as a child process, as an operator runs it. */
async function hoistProcess(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = promisify(execFile);
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'apps/cli/dist/main.js'), ...args], { env: { ...env, ...extraEnv }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function accept(options: { tenantId?: string; enqueue?: boolean } = {}): Promise<Upload> {
  const { key, bytes } = await storage.write(Readable.from([Buffer.from('png bytes')]));
  const id = newUploadId();
  const upload = await uploads.create({
    id,
    tenantId: options.tenantId ?? 'acme',
    filename: 'logo.png',
    bytes,
    contentType: 'image/png',
    sha256: 'a'.repeat(64),
    storageKey: key,
    publicId: id,
    provider: 'scripted',
    tags: [],
  });
  if (options.enqueue !== false) {
    await queue.enqueueUpload(id);
    await uploads.markEnqueued(id);
  }
  return upload;
}

/** A real worker (the use case on BullMQ) whose provider answers as scripted; run until `until` holds. */
async function runWorker(provider: ScriptedProvider, until: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const connection = createRedis(env.REDIS_URL!, 'worker');
  const worker = new UploadWorker({
    connection,
    prefix: env.QUEUE_PREFIX!,
    concurrency: 2,
    retry: { baseMs: 10, maxMs: 20 },
    rateLimitFallbackMs: 1_000,
    logger,
    handle: (job) => processUpload({ uploads, storage, providers: ProviderRoster.of(provider), logger }, job),
    onAbandoned: () => Promise.resolve(),
  });
  const running = worker.run();
  try {
    await waitFor(async () => ((await until()) ? true : undefined), { timeoutMs });
  } finally {
    await worker.close(5_000);
    await running;
    connection.disconnect();
  }
}

/** A job that waits its turn: `prioritized` when it has a priority. */
const WAITING = /^(waiting|prioritized)$/;

const statusIs = (id: string, status: string) => async () => (await uploads.find(id))?.status === status;

/** Two uploads that fail for good after their attempts (a provider outage), with their jobs in BullMQ's failed list. */
async function failedUploads(count: number): Promise<Upload[]> {
  const accepted = await Promise.all(Array.from({ length: count }, () => accept()));
  const provider = new ScriptedProvider().failNext(...Array.from({ length: count * MAX_ATTEMPTS }, () => new RetryableProviderError('HTTP 503 from provider', { status: 503 })));
  await runWorker(provider, async () => (await Promise.all(accepted.map((upload) => statusIs(upload.id, 'failed')()))).every(Boolean));
  await waitFor(async () => ((await queue.queue.getFailedCount()) === count ? true : undefined));
  return accepted;
}

describe('help and usage errors', () => {
  it('`--help` lists every command; `queue --help` the queue commands', async () => {
    const all = await hoist('--help');
    expect(all.code).toBe(0);
    for (const command of ['keys create', 'queue counts', 'queue failed', 'queue retry', 'queue pause', 'queue resume', 'queue drain', 'queue clean', 'uploads show', 'reconcile']) {
      expect(all.stdout).toContain(command);
    }
    const queueHelp = await hoist('queue', '--help');
    expect(queueHelp.code).toBe(0);
    expect(queueHelp.stdout).toContain('queue drain');
    expect(queueHelp.stdout).not.toContain('keys create');
  });

  it('exits 2 with usage for an unknown command, an unknown flag, a flag the command does not take, or a bad value', async () => {
    const cases = [['nope'], ['queue', 'counts', '--bogus'], ['queue', 'counts', '--yes'], ['queue', 'failed', '--limit', 'many'], ['queue', 'clean', '--completed-older-than', 'soon'], ['queue', 'clean'], ['queue', 'pause', 'no-such-queue'], ['queue'], ['uploads', 'show']];
    for (const args of cases) {
      const result = await hoist(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(/^hoist: .+\n\nusage: pnpm hoist/);
    }
  });

  it('the built CLI: exit 0 on success, 2 on a bad flag (with usage), 1 on an unknown upload (one line, no stack trace)', async () => {
    expect(await hoistProcess(['queue', 'counts'])).toMatchObject({ code: 0, stdout: expect.stringContaining('uploads') });
    const bad = await hoistProcess(['queue', 'counts', '--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('usage: pnpm hoist');
    const unknown = await hoistProcess(['uploads', 'show', newUploadId()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^hoist: no upload with id "[0-9a-f-]+"\n$/);
    expect(unknown.stdout).toBe('');
  });

  it('the built CLI: exit 1 with one line and no password when Redis or Postgres is unreachable', async () => {
    const redis = await hoistProcess(['queue', 'counts'], { REDIS_URL: 'redis://:sup3rsecret@127.0.0.1:1' });
    expect(redis.code).toBe(1);
    expect(redis.stderr).toMatch(/^hoist: Redis at redis:\/\/\*\*\*@127\.0\.0\.1:1 is unreachable: .+\n$/);
    const postgres = await hoistProcess(['uploads', 'show', newUploadId()], { DATABASE_URL: 'postgres://postgres:sup3rsecret@127.0.0.1:1/hoist' });
    expect(postgres.code).toBe(1);
    expect(postgres.stderr).toMatch(/^hoist: Postgres at postgres:\/\/\*\*\*@127\.0\.0\.1:1\/hoist: .+\n$/);
    expect(redis.stderr + postgres.stderr).not.toContain('sup3rsecret');
  });

  it('the built CLI: exit 1 with one line naming the nodes, and no password, when no Redis Cluster node answers', async () => {
    const cluster = await hoistProcess(['queue', 'counts'], { REDIS_CLUSTER_NODES: '127.0.0.1:1,127.0.0.1:2', REDIS_URL: 'redis://:sup3rsecret@127.0.0.1:6379' });
    expect(cluster.code).toBe(1);
    expect(cluster.stderr).toMatch(/^hoist: the Redis Cluster at 127\.0\.0\.1:1,127\.0\.0\.1:2 is unreachable: .+\n$/);
    expect(cluster.stderr).not.toContain('sup3rsecret');
  });
});

describe('queue counts, pause and resume', () => {
  afterEach(async () => {
    await queue.queue.resume();
  });

  it("sets a tenant's default provider, and back to the deployment's; refuses an unknown tenant or provider", async () => {
    const providerOf = async (tenant: string) => (await db.selectFrom('tenant').select('defaultProvider').where('id', '=', tenant).executeTakeFirstOrThrow()).defaultProvider;
    const set = await hoist('tenants', 'provider', 'acme', 'cloudflare');
    expect(set).toMatchObject({ code: 0, stdout: 'Tenant "acme" now uploads to cloudflare by default.\n' });
    // This environment has no Cloudflare credentials: said, not refused (the API refuses such uploads).
    expect(set.stderr).toMatch(/cloudflare has no credentials in this environment/);
    expect(await providerOf('acme')).toBe('cloudflare');
    expect(await hoistJson('tenants', 'provider', 'acme', 'default')).toEqual({ tenant: 'acme', provider: null });
    expect(await providerOf('acme')).toBeNull();
    expect(await hoist('tenants', 'provider', 'nobody', 'cloudinary')).toMatchObject({ code: 1, stderr: expect.stringMatching(/no tenant "nobody"/) as unknown });
    expect(await hoist('tenants', 'provider', 'acme', 'dropbox')).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown provider "dropbox"/) as unknown });
    expect(await providerOf('acme')).toBeNull();
  });

  it('counts jobs per state and shows pause and rate limit, in a table and as JSON', async () => {
    await accept();
    await accept();
    const [uploadQueue] = await hoistJson<Array<{ name: string; counts: Record<string, number>; paused: boolean; rateLimitedForMs: number }>>('queue', 'counts');
    expect(uploadQueue).toMatchObject({
      name: 'uploads',
      counts: { delayed: 0, active: 0, 'waiting-children': 0, completed: 0, failed: 0 },
      paused: false,
      rateLimitedForMs: 0,
    });
    // Jobs with a priority (fair scheduling gives every upload one) wait as "prioritized".
    const { waiting, prioritized } = uploadQueue!.counts;
    expect(waiting! + prioritized!).toBe(2);
    await queue.queue.rateLimit(60_000);
    const text = await hoist('queue', 'counts');
    expect(text.stdout).toMatch(/^QUEUE\s+WAITING\s+PRIORITIZED\s+DELAYED\s+ACTIVE\s+WAITING-CHILDREN\s+COMPLETED\s+FAILED\s+PAUSED\s+RATE LIMITED\n/);
    expect(text.stdout).toMatch(new RegExp(`\nuploads\\s+${waiting}\\s+${prioritized}\\s+0\\s+0\\s+0\\s+0\\s+0\\s+no\\s+for (59|60) s\n`));
  });

  it('pause stops the queue for every worker (BullMQ sees it) and resume undoes it', async () => {
    const paused = await hoist('queue', 'pause');
    expect(paused).toMatchObject({ code: 0, stdout: expect.stringContaining('Paused queue "uploads"') });
    expect(await queue.queue.isPaused()).toBe(true);
    expect((await hoistJson<Array<{ paused: boolean }>>('queue', 'counts'))[0]?.paused).toBe(true);

    // A worker started now takes nothing while the queue is paused.
    const upload = await accept();
    const provider = new ScriptedProvider();
    await expect(runWorker(provider, () => Promise.resolve(provider.calls > 0), 1_500)).rejects.toThrow(/Timed out/);
    expect((await uploads.find(upload.id))?.status).toBe('queued');

    expect(await hoistJson('queue', 'resume', 'uploads')).toEqual({ queue: 'uploads', paused: false });
    expect(await queue.queue.isPaused()).toBe(false);
    await runWorker(provider, statusIs(upload.id, 'succeeded'));
  }, 40_000);
});

describe('failed jobs: list, show, retry', () => {
  it('lists failed jobs with tenant, status, attempts and reason', async () => {
    const [first, second] = await failedUploads(2);
    const listed = await hoistJson<Array<Record<string, unknown>>>('queue', 'failed');
    expect(listed.map((job) => job.uploadId).sort()).toEqual([first!.id, second!.id].sort());
    expect(listed[0]).toMatchObject({
      queue: 'uploads',
      tenantId: 'acme',
      status: 'failed',
      attemptsMade: MAX_ATTEMPTS,
      failedReason: expect.stringContaining('HTTP 503 from provider'),
      finishedAt: expect.any(String),
      error: { code: 'attempts_exhausted', message: expect.any(String) },
    });
    expect(await hoistJson<unknown[]>('queue', 'failed', '--limit', '1')).toHaveLength(1);
    const table = await hoist('queue', 'failed');
    expect(table.stdout).toMatch(/^UPLOAD\s+QUEUE\s+TENANT\s+STATUS\s+ATTEMPTS\s+FAILED AT\s+REASON\n/);
    expect(table.stdout).toContain(first!.id);
    expect(table.stdout).toMatch(new RegExp(`${second!.id}\\s+uploads\\s+acme\\s+failed\\s+2\\s`));
  }, 40_000);

  it('shows one upload: its row, its job and one log line per attempt', async () => {
    const [upload] = await failedUploads(1);
    const shown = await hoistJson<{ upload: Record<string, unknown>; job: Record<string, unknown> & { logs: string[] } }>('uploads', 'show', upload!.id);
    expect(shown.upload).toMatchObject({ id: upload!.id, tenantId: 'acme', status: 'failed', attempts: MAX_ATTEMPTS, error: { code: 'attempts_exhausted' } });
    expect(shown.job).toMatchObject({ queue: 'uploads', jobId: upload!.id, state: 'failed', attemptsMade: MAX_ATTEMPTS, attempts: MAX_ATTEMPTS, failedReason: expect.stringContaining('503') });
    expect(shown.job.logs).toEqual([
      expect.stringMatching(/attempt 1\/2: provider_unavailable: HTTP 503 from provider \(will retry\)$/),
      expect.stringMatching(/attempt 2\/2: failed attempts_exhausted$/),
    ]);
    const text = await hoist('uploads', 'show', upload!.id);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Upload ${upload!.id} (Postgres)`);
    expect(text.stdout).toMatch(/\n {2}status\s+failed\n/);
    expect(text.stdout).toMatch(/\n {2}state\s+failed\n/);
    expect(text.stdout).toMatch(/Attempts log\n {2}\S+ attempt 1\/2: provider_unavailable/);
  }, 40_000);

  it('shows a queued upload with its waiting job', async () => {
    const upload = await accept();
    const shown = await hoistJson<{ upload: { status: string }; job: { state: string; logs: string[] } }>('uploads', 'show', upload.id);
    expect(shown).toMatchObject({ upload: { status: 'queued' }, job: { state: expect.stringMatching(WAITING), logs: [] } });
    expect(await hoist('uploads', 'show', 'not-an-id')).toMatchObject({ code: 1, stderr: 'hoist: no upload with id "not-an-id"\n' });
  });

  it('retry sends a failed upload back through Postgres, and a worker then finishes it', async () => {
    const [upload] = await failedUploads(1);
    expect(await hoist('queue', 'retry', upload!.id)).toMatchObject({ code: 0, stdout: `Upload ${upload!.id} is queued again.\n` });
    expect(await uploads.find(upload!.id)).toMatchObject({ status: 'queued', attempts: 0, error: null });
    expect(await queue.queue.getJobState(upload!.id)).toMatch(WAITING);

    const again = await hoist('queue', 'retry', upload!.id);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('is queued; only failed uploads can be retried') });
    expect(await hoist('queue', 'retry', newUploadId())).toMatchObject({ code: 1, stderr: expect.stringContaining('no upload with id') });

    await runWorker(new ScriptedProvider(), statusIs(upload!.id, 'succeeded'));
  }, 40_000);

  it('retry --all retries every failed upload it can, and says why not for the others', async () => {
    const [kept, lost] = await failedUploads(2);
    await storage.delete(lost!.storageKey!);
    const results = await hoistJson<Array<{ id: string; outcome: string }>>('queue', 'retry', '--all');
    expect(results.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [
        { id: kept!.id, outcome: 'queued', status: 'queued' },
        { id: lost!.id, outcome: 'bytes_gone', status: 'failed' },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect((await uploads.find(kept!.id))?.status).toBe('queued');
    expect(await hoist('queue', 'retry')).toMatchObject({ code: 2 });
  }, 40_000);
});

describe('queue drain', () => {
  afterEach(async () => {
    await queue.queue.resume();
  });

  it('refuses without --yes', async () => {
    const upload = await accept();
    const refused = await hoist('queue', 'drain');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect((await uploads.find(upload.id))?.status).toBe('queued');
  });

  it('cancels the queued uploads for good: jobs removed, rows cancelled, bytes deleted; the reconciler brings none back', async () => {
    const outbox = await accept({ enqueue: false });
    const waiting = await accept();
    const otherTenant = await accept({ tenantId: 'globex' });
    const drained = await hoist('queue', 'drain', '--yes', '--tenant', 'acme');
    expect(drained).toMatchObject({ code: 0, stdout: 'Cancelled 2 queued upload(s) of tenant "acme": jobs removed, rows cancelled, bytes deleted.\n' });
    for (const upload of [outbox, waiting]) {
      expect((await uploads.find(upload.id))?.status).toBe('cancelled');
      expect(await storage.exists(upload.storageKey!)).toBe(false);
      expect(await queue.queue.getJob(upload.id)).toBeUndefined();
    }
    expect((await uploads.find(otherTenant.id))?.status).toBe('queued');

    const all = await hoistJson<{ cancelled: string[]; finished: string[] }>('queue', 'drain', '--yes');
    expect(all).toEqual({ cancelled: [otherTenant.id], finished: [] });
    expect(await queue.queue.getJobCounts('waiting', 'prioritized', 'delayed')).toEqual({ waiting: 0, prioritized: 0, delayed: 0 });

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await hoistJson('reconcile')).toMatchObject({ ran: true, enqueued: 0, requeued: 0 });
    expect(await queue.queue.getJobCounts('waiting', 'prioritized')).toEqual({ waiting: 0, prioritized: 0 });
  });
});

describe('queue clean', () => {
  it('removes finished jobs older than the given age and says how many', async () => {
    const accepted = await Promise.all([accept(), accept()]);
    await runWorker(new ScriptedProvider(), async () => (await Promise.all(accepted.map((upload) => statusIs(upload.id, 'succeeded')()))).every(Boolean));
    await waitFor(async () => ((await queue.queue.getCompletedCount()) === 2 ? true : undefined));

    expect(await hoistJson('queue', 'clean', '--completed-older-than', '1h', '--failed-older-than', '7d')).toEqual({ queue: 'uploads', completed: 0, failed: 0 });
    expect(await queue.queue.getCompletedCount()).toBe(2);
    const cleaned = await hoist('queue', 'clean', 'uploads', '--completed-older-than', '0s');
    expect(cleaned).toMatchObject({ code: 0, stdout: 'Removed 2 completed job(s) finished more than 0s ago from queue "uploads".\n' });
    expect(await queue.queue.getCompletedCount()).toBe(0);
    // Postgres keeps the uploads.
    expect((await uploads.find(accepted[0].id))?.status).toBe('succeeded');
  }, 40_000);
});

describe('reconcile', () => {
  it('runs the reconciler once and prints what it did', async () => {
    const upload = await accept();
    await queue.queue.obliterate({ force: true });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const result = await hoist('reconcile');
    expect(result).toMatchObject({
      code: 0,
      stdout: 'Reconciled: 0 outbox upload(s) enqueued, 1 re-enqueued (their job was gone), 0 failed (bytes gone or job given up), 0 orphaned temp file(s) removed.\n',
    });
    expect(await queue.queue.getJobState(upload.id)).toMatch(WAITING);
  });

  it('exits 1 when another process holds the reconciler lock', async () => {
    const held = await new AdvisoryLockRunner(db).run(RECONCILER_LOCK, () => hoist('reconcile'));
    expect(held).toMatchObject({ ran: true, result: { code: 1, stderr: expect.stringContaining('another process (a worker) is running the reconciler') } });
  });
});
