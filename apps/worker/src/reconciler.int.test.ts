import { Readable } from 'node:stream';
import { newUploadId, type Upload } from '@hoist/core';
import { AdvisoryLockRunner, KyselyUploadRepository } from '@hoist/db';
import { createLogger } from '@hoist/logger';
import { BullJobQueue, createRedis, RedisQueueLossMarker, UPLOAD_QUEUE, type Redis } from '@hoist/queue';
import { MemoryTempStorage } from '@hoist/core/memory';
import { UnrecoverableError, Worker } from 'bullmq';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useQueuePrefix, useTestDatabase } from '../../../test/support/hooks.js';
import { waitFor } from '../../../test/support/wait.js';
import { reconcileOnce, recoverFromQueueLoss, startReconciler } from './reconciler.js';

const logger = createLogger({ name: 'reconciler-test', level: 'silent', format: 'json' });
const { db } = useTestDatabase();
const { prefix, redisUrl } = useQueuePrefix();
const uploads = new KyselyUploadRepository(db);
let redis: Redis;
let queue: BullJobQueue;
let storage: MemoryTempStorage;

beforeAll(() => {
  redis = createRedis(redisUrl, 'producer');
  queue = new BullJobQueue({ connection: redis, prefix, attempts: 3 });
});
afterAll(async () => {
  await queue.close();
  redis.disconnect();
});
beforeEach(async () => {
  storage = new MemoryTempStorage();
  await db.deleteFrom('upload').execute();
  await queue.queue.obliterate({ force: true });
});

/** Runs the reconciler as if it were `aheadMs` later, so every row counts as stale. */
function run(aheadMs = 10 * 60_000) {
  // The same repository, but its clock for "stale" is `aheadMs` in the future.
  const later = Object.create(uploads) as KyselyUploadRepository;
  later.listOutbox = (o) => uploads.listOutbox({ ...o, before: new Date(Date.now() + aheadMs) });
  later.listUnfinished = (o) => uploads.listUnfinished({ ...o, before: new Date(Date.now() + aheadMs) });
  return reconcileOnce({
    uploads: later,
    queue,
    storage,
    logger,
    exclusive: new AdvisoryLockRunner(db),
    staleAfterMs: 60_000,
    orphanAgeMs: 60 * 60_000,
  });
}

async function accept(options: { store?: boolean; enqueue?: boolean } = {}): Promise<Upload> {
  const key = options.store === false ? '00000000-0000-4000-8000-000000000001' : (await storage.write(Readable.from([Buffer.from('bytes')]))).key;
  const id = newUploadId();
  const upload = await uploads.create({ id, tenantId: 'default', filename: 'a.png', bytes: 5, contentType: 'image/png', sha256: 'c'.repeat(64), storageKey: key, publicId: id, provider: 'cloudinary', tags: [] });
  if (options.enqueue !== false) {
    await queue.enqueueUpload(id);
    await uploads.markEnqueued(id);
  }
  return upload;
}

describe('reconciler', () => {
  it('relays the outbox: uploads accepted while Redis was down get their job', async () => {
    const upload = await accept({ enqueue: false });
    const outcome = await run();
    expect(outcome).toMatchObject({ ran: true, result: { enqueued: 1 } });
    expect(await queue.jobState(upload.id)).toBe('live');
    expect((await uploads.find(upload.id))?.enqueuedAt).toBeInstanceOf(Date);
  });

  it('re-enqueues unfinished uploads whose job Redis lost', async () => {
    const queued = await accept();
    const processing = await accept();
    await uploads.claim(processing.id);
    await queue.queue.obliterate({ force: true });
    const outcome = await run();
    expect(outcome).toMatchObject({ ran: true, result: { requeued: 2, failed: 0 } });
    expect(await queue.jobState(queued.id)).toBe('live');
    expect(await queue.jobState(processing.id)).toBe('live');
  });

  it('leaves uploads with a live job alone', async () => {
    await accept();
    expect(await run()).toMatchObject({ ran: true, result: { requeued: 0, failed: 0, enqueued: 0 } });
  });

  it('fails, with a clear error, an upload whose temp file is gone', async () => {
    const upload = await accept({ store: false, enqueue: false });
    await run();
    expect(await uploads.find(upload.id)).toMatchObject({ status: 'failed', error: { code: 'temp_file_missing' } });
  });

  it('fails an upload whose job the queue gave up on, and keeps its bytes for a retry', async () => {
    const upload = await accept();
    await uploads.claim(upload.id);
    // A worker whose failure never reached Postgres (it was down at that moment).
    const connection = createRedis(redisUrl, 'worker');
    const failing = new Worker(UPLOAD_QUEUE, () => Promise.reject(new UnrecoverableError('gave up')), { connection, prefix });
    await waitFor(async () => ((await queue.jobState(upload.id)) === 'failed' ? true : undefined));
    await failing.close();
    connection.disconnect();
    await run();
    expect(await uploads.find(upload.id)).toMatchObject({ status: 'failed', error: { code: 'attempts_exhausted' } });
    expect(await storage.exists(upload.storageKey ?? '')).toBe(true);
  });

  it('keeps the bytes of uploads that ran out of attempts for the retention window, then removes them', async () => {
    const exhausted = await accept();
    const refused = await accept();
    await uploads.markFailed((await uploads.claim(exhausted.id))!, { code: 'attempts_exhausted', message: 'Gave up after the last attempt: 503' });
    await uploads.markFailed((await uploads.claim(refused.id))!, { code: 'provider_rejected', message: 'Invalid image file' });
    const sweep = (failedRetentionMs: number) =>
      reconcileOnce({ uploads, queue, storage, logger, exclusive: new AdvisoryLockRunner(db), staleAfterMs: 60_000, orphanAgeMs: -60_000, failedRetentionMs });

    expect(await sweep(60_000)).toMatchObject({ ran: true, result: { orphansRemoved: 1 } });
    expect(await storage.exists(exhausted.storageKey ?? '')).toBe(true);
    expect(await storage.exists(refused.storageKey ?? '')).toBe(false);

    // Past the window (a negative one puts "now" after every completion): nothing keeps them any more.
    expect(await sweep(-60_000)).toMatchObject({ ran: true, result: { orphansRemoved: 1 } });
    expect(await storage.exists(exhausted.storageKey ?? '')).toBe(false);
  });

  it('removes temp files no unfinished upload refers to, and keeps the rest', async () => {
    const kept = await accept();
    const done = await accept();
    await uploads.markSucceeded((await uploads.claim(done.id))!, { provider: 'x', publicId: 'p', url: 'u', secureUrl: 'u', format: null, width: null, height: null, bytes: 5, version: null });
    const { key: orphan } = await storage.write(Readable.from([Buffer.from('orphan')]));
    const outcome = await reconcileOnce({ uploads, queue, storage, logger, exclusive: new AdvisoryLockRunner(db), staleAfterMs: 60_000, orphanAgeMs: -60_000 });
    expect(outcome).toMatchObject({ ran: true, result: { orphansRemoved: 2 } });
    expect(await storage.exists(kept.storageKey ?? '')).toBe(true);
    expect(await storage.exists(orphan)).toBe(false);
    expect(await storage.exists(done.storageKey ?? '')).toBe(false);
  });

  it('runs in one process at a time across the cluster', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runner = new AdvisoryLockRunner(db);
    const first = runner.run('hoist:reconciler', () => held);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await run()).toEqual({ ran: false });
    release();
    expect(await first).toEqual({ ran: true, result: undefined });
    expect((await run()).ran).toBe(true);
  });

  /** Starts the reconciler as a worker does, with the production interval: a run one interval later would be 10 minutes away. */
  function startWorkerReconciler(options: { marker?: RedisQueueLossMarker } = {}) {
    return startReconciler({
      uploads,
      queue,
      storage,
      logger,
      exclusive: new AdvisoryLockRunner(db),
      intervalMs: 10 * 60_000,
      staleAfterMs: 2 * 60_000,
      orphanAgeMs: 60 * 60_000,
      ...(options.marker ? { marker: options.marker, lossCheckIntervalMs: 300 } : {}),
    });
  }

  const live = (ids: string[]) => async () => ((await Promise.all(ids.map((id) => queue.jobState(id)))).every((state) => state === 'live') ? true : undefined);

  it('runs soon after a worker starts, not one interval later: a short-lived worker still repairs what Redis lost', async () => {
    const lost = [await accept(), await accept()];
    await queue.queue.obliterate({ force: true });
    // Lost long enough ago to be stale for the periodic run.
    await sql`update upload set updated_at = now() - interval '10 minutes'`.execute(db);
    const started = Date.now();
    const reconciler = startWorkerReconciler();
    try {
      await waitFor(live(lost.map((u) => u.id)), { timeoutMs: 6_000, what: 'the lost jobs to be back' });
      expect(Date.now() - started).toBeLessThan(6_000);
    } finally {
      await reconciler.stop();
    }
  });

  it('notices Redis losing its data by the marker and re-enqueues every lost job at once, however young its upload', async () => {
    const marker = new RedisQueueLossMarker({ redis, prefix });
    // The queue has been seen whole before this worker started.
    const first = await marker.check();
    if (first.lost) await marker.recovered(first.generation);
    const reconciler = startWorkerReconciler({ marker });
    try {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const queued = await accept();
      const processing = await accept();
      await uploads.claim(processing.id);
      // FLUSHALL, as far as this test's prefix goes: the jobs and the marker are gone.
      await queue.queue.obliterate({ force: true });
      await redis.del(`${prefix}:queue-marker`);
      const flushed = Date.now();
      // Both uploads changed seconds ago: the periodic run's staleness filter (2 min) would skip them for minutes.
      // Seconds (a marker check, then a reconcile that may wait for the start-up run's lock), not minutes.
      await waitFor(live([queued.id, processing.id]), { timeoutMs: 15_000, what: 'the lost jobs to be back' });
      expect(Date.now() - flushed).toBeLessThan(15_000);
      // The run that re-enqueued them marks the loss repaired once it has finished.
      await waitFor(async () => ((await marker.check()).lost ? undefined : true), { timeoutMs: 10_000, what: 'the loss to be marked repaired' });
    } finally {
      await reconciler.stop();
    }
  });

  it("repairs the other queues' jobs after a loss too, and keeps the loss pending until they are repaired", async () => {
    const marker = new RedisQueueLossMarker({ redis, prefix });
    await redis.del(`${prefix}:queue-marker`);
    let webhookRepairs = 0;
    let webhookLockFree = false;
    const deps = { uploads, queue, storage, logger, exclusive: new AdvisoryLockRunner(db), staleAfterMs: 60_000, orphanAgeMs: 60 * 60_000, marker };
    const onQueueLoss = () => {
      webhookRepairs += 1;
      return Promise.resolve(webhookLockFree);
    };
    // The webhook repair's lock is busy: the uploads are done, but the loss stays pending.
    expect(await recoverFromQueueLoss({ ...deps, onQueueLoss })).toEqual({ lost: true, recovered: false });
    expect((await marker.check()).lost).toBe(true);
    webhookLockFree = true;
    expect(await recoverFromQueueLoss({ ...deps, onQueueLoss })).toEqual({ lost: true, recovered: true });
    expect(webhookRepairs).toBe(2);
    expect((await marker.check()).lost).toBe(false);
  });

  it('recovers a loss that the worker which noticed it did not live to repair', async () => {
    const marker = new RedisQueueLossMarker({ redis, prefix });
    const lost = await accept();
    await queue.queue.obliterate({ force: true });
    await redis.del(`${prefix}:queue-marker`);
    // A worker noticed the loss and died before its reconcile ran.
    expect((await marker.check()).lost).toBe(true);
    const reconciler = startWorkerReconciler({ marker });
    try {
      await waitFor(live([lost.id]), { timeoutMs: 15_000, what: 'the lost job to be back' });
    } finally {
      await reconciler.stop();
    }
  });
});
