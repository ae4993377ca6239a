import { describe, expect, it } from 'vitest';
import { cancelUpload, type CancelUploadDeps } from './cancel-upload.js';
import { processUpload } from './process-upload.js';
import { memoryWorld, type MemoryWorld } from './test-support/memory-world.js';

// Cancelling an upload that has not finished, on the in-memory adapters.

function deps(world: MemoryWorld): CancelUploadDeps {
  return { uploads: world.uploads, queue: world.queue, storage: world.storage, logger: world.logger };
}

describe('cancelUpload', () => {
  it('cancels a queued upload: its job is gone, its bytes deleted, and a late run of it stores nothing', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    expect(await cancelUpload(deps(world), upload.id, { tenantId: 'acme' })).toMatchObject({ kind: 'cancelled', stopping: false, upload: { status: 'cancelled' } });
    expect(await world.queue.jobState(upload.id)).toBe('missing');
    expect(await world.hasBytes(upload)).toBe(false);
    expect(await processUpload({ uploads: world.uploads, storage: world.storage, providers: world.providers, logger: world.logger }, { uploadId: upload.id, isFinalAttempt: false })).toEqual({ kind: 'skipped' });
    expect(world.provider.assets.has(upload.publicId)).toBe(false);
  });

  it('cancels a running upload at once and leaves the stopping to its worker, which keeps its job and bytes until then', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    world.queue.take(upload.id);
    await world.uploads.claim(upload.id);
    expect(await cancelUpload(deps(world), upload.id)).toMatchObject({ kind: 'cancelled', stopping: true, upload: { status: 'cancelled' } });
    expect(await world.queue.jobState(upload.id)).toBe('live');
    expect(await world.hasBytes(upload)).toBe(true);
  });

  it('is idempotent, and leaves final uploads alone', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    await cancelUpload(deps(world), upload.id);
    expect(await cancelUpload(deps(world), upload.id)).toMatchObject({ kind: 'cancelled', stopping: false });
    const done = await world.accept();
    await processUpload({ uploads: world.uploads, storage: world.storage, providers: world.providers, logger: world.logger }, { uploadId: done.id, isFinalAttempt: false });
    expect(await cancelUpload(deps(world), done.id)).toMatchObject({ kind: 'final', upload: { status: 'succeeded' } });
    expect(world.provider.assets.has(done.publicId)).toBe(true);
  });

  it('does not find another tenant’s upload', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    expect(await cancelUpload(deps(world), upload.id, { tenantId: 'someone-else' })).toEqual({ kind: 'not_found' });
    expect(await world.current(upload.id)).toMatchObject({ status: 'queued' });
  });
});
