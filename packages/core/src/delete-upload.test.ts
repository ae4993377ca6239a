import { describe, expect, it } from 'vitest';
import { deleteUpload, type DeleteUploadDeps } from './delete-upload.js';
import { RetryableProviderError } from './errors.js';
import { ATTEMPTS_EXHAUSTED } from './failure-codes.js';
import { processUpload } from './process-upload.js';
import { ProviderRoster } from './provider-roster.js';
import { memoryWorld, type MemoryWorld } from './test-support/memory-world.js';
import type { Upload } from './upload.js';

// Deleting a finished upload's asset, on the in-memory adapters.

function deps(world: MemoryWorld): DeleteUploadDeps {
  return { uploads: world.uploads, providers: world.providers, storage: world.storage, logger: world.logger };
}

async function succeeded(world: MemoryWorld, publicId?: string): Promise<Upload> {
  const upload = await world.accept(publicId === undefined ? {} : { publicId });
  await processUpload({ uploads: world.uploads, storage: world.storage, providers: world.providers, logger: world.logger }, { uploadId: upload.id, isFinalAttempt: false });
  return world.current(upload.id);
}

describe('deleteUpload', () => {
  it('destroys the asset and marks the upload deleted, idempotently', async () => {
    const world = memoryWorld();
    const upload = await succeeded(world);
    expect(await deleteUpload(deps(world), upload.id, { tenantId: 'acme' })).toMatchObject({ kind: 'deleted', upload: { status: 'deleted', deletedAt: expect.any(Date) } });
    expect(world.provider.assets.has(upload.publicId)).toBe(false);
    expect(await deleteUpload(deps(world), upload.id)).toMatchObject({ kind: 'deleted' });
  });

  it('refuses an unfinished upload and keeps its bytes', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    expect(await deleteUpload(deps(world), upload.id)).toMatchObject({ kind: 'unfinished' });
    expect(await world.current(upload.id)).toMatchObject({ status: 'queued' });
    expect(await world.hasBytes(upload)).toBe(true);
  });

  it('keeps the asset when a later upload to the same public id overwrote it', async () => {
    const world = memoryWorld();
    const first = await succeeded(world, 'avatar');
    await new Promise((resolve) => setTimeout(resolve, 2));
    const second = await succeeded(world, 'avatar');
    expect(await deleteUpload(deps(world), first.id)).toMatchObject({ kind: 'deleted' });
    expect(world.provider.assets.has('acme/avatar')).toBe(true);
    expect(await deleteUpload(deps(world), second.id)).toMatchObject({ kind: 'deleted' });
    expect(world.provider.assets.has('acme/avatar')).toBe(false);
  });

  it('deletes a failed upload’s kept bytes, which can no longer be retried', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    await world.uploads.failUnfinished(upload.id, { code: ATTEMPTS_EXHAUSTED, message: 'x' });
    expect(await deleteUpload(deps(world), upload.id)).toMatchObject({ kind: 'deleted' });
    expect(await world.hasBytes(upload)).toBe(false);
  });

  it('changes nothing when the provider cannot destroy the asset', async () => {
    const world = memoryWorld();
    const upload = await succeeded(world);
    const provider = { name: 'memory', limits: world.provider.limits, upload: world.provider.upload.bind(world.provider), destroy: () => Promise.reject(new RetryableProviderError('HTTP 503', { status: 503 })) };
    await expect(deleteUpload({ ...deps(world), providers: ProviderRoster.of(provider) }, upload.id)).rejects.toBeInstanceOf(RetryableProviderError);
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded' });
    expect(world.provider.assets.has(upload.publicId)).toBe(true);
  });
});
