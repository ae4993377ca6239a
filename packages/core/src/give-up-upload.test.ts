import { describe, expect, it } from 'vitest';
import { giveUpUpload } from './give-up-upload.js';
import { processUpload } from './process-upload.js';
import { memoryWorld, type MemoryWorld } from './test-support/memory-world.js';

// What the queue abandoned (the worker died on the last attempt, or the job stalled too often).

function deps(world: MemoryWorld, retainFailedBytes?: boolean) {
  return { uploads: world.uploads, storage: world.storage, logger: world.logger, retainFailedBytes };
}

describe('giveUpUpload', () => {
  it('fails a running upload the queue gave up on, with attempts_exhausted, and keeps its bytes for a retry', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    await world.uploads.claim(upload.id);
    const outcome = await giveUpUpload(deps(world), upload.id, { cause: 'attempts', reason: 'worker died' });
    expect(outcome).toMatchObject({ kind: 'failed', failure: { code: 'attempts_exhausted', message: 'Gave up: worker died' } });
    expect(await world.current(upload.id)).toMatchObject({ status: 'failed', error: { code: 'attempts_exhausted' } });
    expect(await world.hasBytes(upload)).toBe(true);
  });

  it('says reclaims_exhausted for a job that stalled too often, and deletes the bytes when retention is off', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    expect(await giveUpUpload(deps(world, false), upload.id, { cause: 'stalled', reason: 'job stalled more than allowable limit' })).toMatchObject({
      kind: 'failed',
      failure: { code: 'reclaims_exhausted' },
    });
    expect(await world.hasBytes(upload)).toBe(false);
  });

  it('leaves an upload alone that its own run already finished, and an unknown one', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    await processUpload({ uploads: world.uploads, storage: world.storage, providers: world.providers, logger: world.logger }, { uploadId: upload.id, isFinalAttempt: false });
    expect(await giveUpUpload(deps(world), upload.id, { cause: 'attempts', reason: 'late' })).toEqual({ kind: 'nothing_to_do' });
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded', error: null });
    expect(await giveUpUpload(deps(world), '00000000-0000-7000-8000-000000000000', { cause: 'attempts', reason: 'gone' })).toEqual({ kind: 'nothing_to_do' });
  });
});
