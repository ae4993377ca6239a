import { describe, expect, it } from 'vitest';
import { QueueUnavailableError, TooManyUnfinishedUploadsError } from './errors.js';
import { ATTEMPTS_EXHAUSTED } from './failure-codes.js';
import { processUpload } from './process-upload.js';
import { relayOutbox } from './reconcile.js';
import { retryUpload, type RetryUploadDeps } from './retry-upload.js';
import { memoryWorld, type MemoryWorld } from './test-support/memory-world.js';
import type { Upload } from './upload.js';

// Sending a failed upload round again (POST …/retry, `hoist queue retry`), on the in-memory adapters.

function deps(world: MemoryWorld, extra: Partial<RetryUploadDeps> = {}): RetryUploadDeps {
  return { uploads: world.uploads, queue: world.queue, storage: world.storage, logger: world.logger, ...extra };
}

/** An upload whose attempts ran out (its bytes kept for a retry), its job finished as failed. */
async function exhausted(world: MemoryWorld, tenantId = 'acme'): Promise<Upload> {
  const upload = await world.accept({ tenantId });
  world.queue.take(upload.id);
  await world.uploads.claim(upload.id);
  await world.uploads.failUnfinished(upload.id, { code: ATTEMPTS_EXHAUSTED, message: 'Gave up after the last attempt: HTTP 503' });
  world.queue.finish(upload.id, 'failed');
  return world.current(upload.id);
}

describe('retryUpload', () => {
  it('sends a failed upload back to the queue with fresh attempts, and it can then succeed', async () => {
    const world = memoryWorld();
    const upload = await exhausted(world);
    const outcome = await retryUpload(deps(world), upload.id, { tenantId: 'acme' });
    expect(outcome).toMatchObject({ kind: 'queued', upload: { status: 'queued', attempts: 0, retryCount: 1, error: null } });
    expect(await world.current(upload.id)).toMatchObject({ enqueuedAt: expect.any(Date) });
    expect(world.queue.take()).toBe(upload.id);
    await processUpload({ uploads: world.uploads, storage: world.storage, providers: world.providers, logger: world.logger }, { uploadId: upload.id, isFinalAttempt: false });
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded', attempts: 1, retryCount: 1 });
  });

  it('refuses a file upload whose bytes are gone: it must be uploaded again', async () => {
    const world = memoryWorld();
    const upload = await exhausted(world);
    await world.storage.delete(upload.storageKey!);
    expect(await retryUpload(deps(world), upload.id)).toMatchObject({ kind: 'bytes_gone' });
    expect(await world.current(upload.id)).toMatchObject({ status: 'failed', retryCount: 0 });
  });

  it('retries only failed uploads, and only the tenant’s own', async () => {
    const world = memoryWorld();
    const queued = await world.accept();
    expect(await retryUpload(deps(world), queued.id)).toMatchObject({ kind: 'not_failed', upload: { status: 'queued' } });
    const failed = await exhausted(world);
    expect(await retryUpload(deps(world), failed.id, { tenantId: 'someone-else' })).toEqual({ kind: 'not_found' });
    expect(await world.current(failed.id)).toMatchObject({ status: 'failed' });
  });

  it('refuses a retry at the tenant’s cap on unfinished uploads; the upload stays failed', async () => {
    const world = memoryWorld();
    const failed = await exhausted(world);
    await world.accept();
    await expect(retryUpload(deps(world, { maxUnfinished: 1 }), failed.id)).rejects.toBeInstanceOf(TooManyUnfinishedUploadsError);
    expect(await world.current(failed.id)).toMatchObject({ status: 'failed', retryCount: 0 });
  });

  it('answers settling while the queue still winds up the failed job', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    world.queue.take(upload.id);
    await world.uploads.failUnfinished(upload.id, { code: ATTEMPTS_EXHAUSTED, message: 'x' });
    expect(await retryUpload(deps(world), upload.id)).toMatchObject({ kind: 'settling' });
    expect(await world.current(upload.id)).toMatchObject({ status: 'failed', retryCount: 0 });
  });

  it('keeps an accepted retry in the outbox when the queue will not take it, for the relay to enqueue', async () => {
    const world = memoryWorld();
    const upload = await exhausted(world);
    const down = { ...bound(world), enqueueUpload: () => Promise.reject(new QueueUnavailableError('Redis is unreachable')) };
    expect(await retryUpload(deps(world, { queue: down }), upload.id)).toMatchObject({ kind: 'queued' });
    expect(await world.current(upload.id)).toMatchObject({ status: 'queued', enqueuedAt: null });
    expect(await world.queue.jobState(upload.id)).toBe('missing');
    await relayOutbox({ uploads: world.uploads, queue: world.queue, storage: world.storage, logger: world.logger }, { now: new Date(Date.now() + 60_000) });
    expect(world.queue.take()).toBe(upload.id);
    expect(await world.current(upload.id)).toMatchObject({ enqueuedAt: expect.any(Date) });
  });
});

function bound(world: MemoryWorld) {
  const { queue } = world;
  return {
    enqueueUpload: queue.enqueueUpload.bind(queue),
    removeJob: queue.removeJob.bind(queue),
    removeFinishedJob: queue.removeFinishedJob.bind(queue),
    jobState: queue.jobState.bind(queue),
  };
}
