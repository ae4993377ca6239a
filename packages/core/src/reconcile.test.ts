import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ATTEMPTS_EXHAUSTED } from './failure-codes.js';
import { reconcile, type ReconcileOptions } from './reconcile.js';
import { memoryWorld, type MemoryWorld } from './test-support/memory-world.js';

// Making the queue and temp storage agree with the uploads, on the in-memory adapters.

const MINUTE = 60_000;

/** A run as the worker's periodic one, seen from a minute on (past every grace period), checking every unfinished upload. */
function run(world: MemoryWorld, options: Partial<ReconcileOptions> = {}) {
  return reconcile(
    { uploads: world.uploads, queue: world.queue, storage: world.storage, logger: world.logger },
    { staleAfterMs: 0, orphanAgeMs: MINUTE / 2, failedRetentionMs: 10 * MINUTE, now: new Date(Date.now() + MINUTE), ...options },
  );
}

describe('reconcile', () => {
  it('enqueues uploads accepted while the queue was down (the outbox)', async () => {
    const world = memoryWorld();
    const upload = await world.accept({ enqueue: false });
    expect(await run(world)).toMatchObject({ enqueued: 1 });
    expect(world.queue.take()).toBe(upload.id);
    expect(await world.current(upload.id)).toMatchObject({ status: 'queued', enqueuedAt: expect.any(Date) });
    expect(await run(world)).toMatchObject({ enqueued: 0 });
  });

  it('enqueues again every unfinished upload whose job the queue lost', async () => {
    const world = memoryWorld();
    const queued = await world.accept();
    const running = await world.accept({ tenantId: 'other' });
    world.queue.take(running.id);
    await world.uploads.claim(running.id);
    world.queue.lose();
    expect(await run(world)).toMatchObject({ requeued: 2, failed: 0 });
    expect(world.queue.waiting().sort()).toEqual([queued.id, running.id].sort());
    expect(await world.hasBytes(queued)).toBe(true);
  });

  it('leaves uploads whose job is live alone, and young ones unless told to check every one', async () => {
    const world = memoryWorld();
    const live = await world.accept();
    const lost = await world.accept({ enqueue: false });
    await world.uploads.markEnqueued(lost.id);
    expect(await run(world, { staleAfterMs: 10 * MINUTE })).toMatchObject({ requeued: 0 });
    expect(await run(world)).toMatchObject({ requeued: 1 });
    expect(world.queue.waiting()).toEqual([live.id, lost.id]);
  });

  it('fails an upload whose bytes are gone, with temp_file_missing', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    world.queue.lose();
    await world.storage.delete(upload.storageKey!);
    expect(await run(world)).toMatchObject({ failed: 1, requeued: 0 });
    expect(await world.current(upload.id)).toMatchObject({ status: 'failed', error: { code: 'temp_file_missing' } });
  });

  it('fails an upload whose job the queue gave up on, keeping its bytes for a retry within the retention', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    world.queue.take(upload.id);
    await world.uploads.claim(upload.id);
    // The worker died before it could record the queue's verdict.
    world.queue.finish(upload.id, 'failed');
    expect(await run(world)).toMatchObject({ failed: 1 });
    expect(await world.current(upload.id)).toMatchObject({ status: 'failed', error: { code: ATTEMPTS_EXHAUSTED } });
    expect(await world.hasBytes(upload)).toBe(true);
    // Past the retention, the sweep takes them.
    await run(world, { failedRetentionMs: 0, now: new Date(Date.now() + 2 * MINUTE) });
    expect(await world.hasBytes(upload)).toBe(false);
  });

  it('removes temp objects no upload needs, and only those', async () => {
    const world = memoryWorld();
    const orphan = await world.storage.write(Readable.from([Buffer.from('left by an API that died')]));
    const queued = await world.accept();
    const done = await world.accept();
    await world.uploads.failUnfinished(done.id, { code: 'provider_rejected', message: 'no' });
    expect(await run(world)).toMatchObject({ orphansRemoved: 2 });
    expect(await world.storage.exists(orphan.key)).toBe(false);
    expect(await world.hasBytes(done)).toBe(false);
    expect(await world.hasBytes(queued)).toBe(true);
    // Too young to be an orphan: an API may be between writing the bytes and inserting the row.
    const young = await world.storage.write(Readable.from([Buffer.from('being accepted')]));
    expect(await run(world, { now: new Date() })).toMatchObject({ orphansRemoved: 0 });
    expect(await world.storage.exists(young.key)).toBe(true);
  });
});
