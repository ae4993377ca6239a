import { describe, expect, it } from 'vitest';
import { PermanentProviderError, RateLimitedError, RetryableProviderError, TempStorageUnavailableError } from './errors.js';
import { ATTEMPTS_EXHAUSTED, RECLAIMS_EXHAUSTED } from './failure-codes.js';
import { MEMORY_PROVIDER_LIMITS, MemoryUploadProvider } from './memory/index.js';
import { deleteUpload } from './delete-upload.js';
import { processUpload, type ProcessUploadDeps } from './process-upload.js';
import { ProviderNotConfiguredError, ProviderRoster, type FailoverGuard } from './provider-roster.js';
import { UNTHROTTLED } from './provider-throttle.js';
import { memoryWorld, type MemoryWorld } from './test-support/memory-world.js';
import type { UploadProvider } from './upload-provider.js';

// One run of one upload, on the in-memory adapters: what a client sees afterwards (status,
// attempts, error) and what is left behind (temp bytes, the provider's asset).

function deps(world: MemoryWorld, extra: Partial<ProcessUploadDeps> = {}): ProcessUploadDeps {
  return { uploads: world.uploads, storage: world.storage, providers: world.providers, logger: world.logger, ...extra };
}

/** The world's provider, but for how it uploads: `upload`, which may call the real one (`world.provider.upload`). */
function providerWith(world: MemoryWorld, upload: UploadProvider['upload']): UploadProvider {
  return { name: world.provider.name, limits: world.provider.limits, destroy: world.provider.destroy.bind(world.provider), upload };
}

const run = (world: MemoryWorld, uploadId: string, options: { isFinalAttempt?: boolean; extra?: Partial<ProcessUploadDeps> } = {}) =>
  processUpload(deps(world, options.extra), { uploadId, isFinalAttempt: options.isFinalAttempt ?? false });

describe('processUpload', () => {
  it('stores the bytes at the upload’s public id, records success and frees the temp bytes', async () => {
    const world = memoryWorld();
    const body = Buffer.from('a picture');
    const upload = await world.accept({ body });
    expect(await run(world, upload.id)).toEqual({ kind: 'succeeded' });
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded', attempts: 1, error: null, result: { publicId: upload.publicId, bytes: body.length } });
    expect(world.provider.assets.get(upload.publicId)?.equals(body)).toBe(true);
    expect(await world.hasBytes(upload)).toBe(false);
  });

  it('puts the upload back, attempt spent and bytes kept, when the provider fails transiently; the next attempt succeeds', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    world.provider.failNext(new RetryableProviderError('HTTP 503', { status: 503 }));
    await expect(run(world, upload.id)).rejects.toBeInstanceOf(RetryableProviderError);
    expect(await world.current(upload.id)).toMatchObject({ status: 'queued', attempts: 1, error: null });
    expect(await world.hasBytes(upload)).toBe(true);
    expect(world.provider.assets.has(upload.publicId)).toBe(false);
    await run(world, upload.id);
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('puts the upload back, no attempt spent and bytes kept, when this worker has no credentials for its provider', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    const elsewhere = ProviderRoster.of(new MemoryUploadProvider({ name: 'other' }));
    const error = await run(world, upload.id, { extra: { providers: elsewhere } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderNotConfiguredError);
    expect((error as Error).message).toBe('Provider "memory" is not configured on this process (configured: other); give it the provider\'s credentials.');
    expect(await world.current(upload.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await world.hasBytes(upload)).toBe(true);
    // A worker that has it finishes it.
    await run(world, upload.id);
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded', attempts: 1, result: { provider: 'memory' } });
  });

  it('fails with attempts_exhausted on the last attempt, keeping the bytes for a retry unless retention is off', async () => {
    const world = memoryWorld();
    const kept = await world.accept();
    const dropped = await world.accept();
    world.provider.failNext(new RetryableProviderError('HTTP 503', { status: 503 }), new RetryableProviderError('HTTP 503', { status: 503 }));
    expect(await run(world, kept.id, { isFinalAttempt: true })).toMatchObject({ kind: 'failed', failure: { code: ATTEMPTS_EXHAUSTED } });
    expect(await run(world, dropped.id, { isFinalAttempt: true, extra: { retainFailedBytes: false } })).toMatchObject({ kind: 'failed' });
    expect(await world.current(kept.id)).toMatchObject({ status: 'failed', attempts: 1, error: { code: ATTEMPTS_EXHAUSTED, message: 'Gave up after the last attempt: HTTP 503' } });
    expect(await world.hasBytes(kept)).toBe(true);
    expect(await world.hasBytes(dropped)).toBe(false);
  });

  it('fails at once when the provider refuses the file, and frees its bytes', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    world.provider.failNext(new PermanentProviderError('Invalid image file', { status: 400 }));
    expect(await run(world, upload.id)).toMatchObject({ kind: 'failed', failure: { code: 'provider_rejected' } });
    expect(await world.current(upload.id)).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'provider_rejected', message: 'Invalid image file' } });
    expect(await world.hasBytes(upload)).toBe(false);
  });

  it('gives the attempt back when the provider rate-limits the call', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    world.provider.failNext(new RateLimitedError('420', { status: 420 }));
    await expect(run(world, upload.id)).rejects.toBeInstanceOf(RateLimitedError);
    expect(await world.current(upload.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await world.hasBytes(upload)).toBe(true);
  });

  it('fails with temp_file_missing when the bytes are gone', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    await world.storage.delete(upload.storageKey!);
    expect(await run(world, upload.id)).toMatchObject({ kind: 'failed', failure: { code: 'temp_file_missing' } });
    expect(await world.current(upload.id)).toMatchObject({ status: 'failed', error: { code: 'temp_file_missing' } });
  });

  it('fails with temp_file_changed, sending nothing, when the stored object is no longer the size accepted', async () => {
    const world = memoryWorld();
    const upload = await world.accept({ body: Buffer.from('the accepted bytes') });
    world.storage.objects.set(upload.storageKey!, Buffer.from('other'));
    expect(await run(world, upload.id)).toMatchObject({ kind: 'failed', failure: { code: 'temp_file_changed' } });
    expect(await world.current(upload.id)).toMatchObject({ status: 'failed', error: { code: 'temp_file_changed' } });
    expect(world.provider.assets.has(upload.publicId)).toBe(false);
  });

  it.each([
    ['truncated', 'the accepted'],
    ['grown', 'the accepted bytes and then some'],
  ])('fails with temp_file_changed, storing nothing, when the object is %s after the size check (while the throttle waited)', async (_how, changed) => {
    const world = memoryWorld();
    const upload = await world.accept({ body: Buffer.from('the accepted bytes') });
    const throttle = {
      ...UNTHROTTLED,
      acquire: () => {
        world.storage.objects.set(upload.storageKey!, Buffer.from(changed));
        return Promise.resolve();
      },
    };
    expect(await run(world, upload.id, { extra: { providers: ProviderRoster.of(world.provider, throttle) } })).toMatchObject({ kind: 'failed', failure: { code: 'temp_file_changed' } });
    expect(world.provider.assets.has(upload.publicId)).toBe(false);
  });

  it('puts the upload back, attempt spent and bytes kept, when temp storage cannot be reached; the next attempt succeeds', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    const down = Object.assign(Object.create(world.storage) as typeof world.storage, {
      stat: () => Promise.reject(new TempStorageUnavailableError('Temp storage failed reading: TimeoutError')),
    });
    await expect(run(world, upload.id, { extra: { storage: down } })).rejects.toBeInstanceOf(TempStorageUnavailableError);
    expect(await world.current(upload.id)).toMatchObject({ status: 'queued', attempts: 1, error: null });
    expect(await world.hasBytes(upload)).toBe(true);
    expect(await run(world, upload.id, { isFinalAttempt: true, extra: { storage: down } })).toMatchObject({ kind: 'failed', failure: { code: ATTEMPTS_EXHAUSTED } });
    // Out of attempts during an outage: the bytes stay, so the upload can be retried once the store is back.
    expect(await world.hasBytes(upload)).toBe(true);
  });

  it('does nothing for a job whose upload is already final or unknown (a duplicate or late job)', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    await run(world, upload.id);
    const done = await world.current(upload.id);
    world.provider.assets.set(upload.publicId, Buffer.from('what the first run stored'));
    expect(await run(world, upload.id)).toEqual({ kind: 'skipped' });
    expect(await world.current(upload.id)).toEqual(done);
    expect(world.provider.assets.get(upload.publicId)?.toString()).toBe('what the first run stored');
    expect(await run(world, '0190a0a0-0000-7000-8000-000000000000')).toEqual({ kind: 'skipped' });
  });

  it('stops between chunks once the upload is cancelled: no asset, no bytes', async () => {
    const world = memoryWorld({ provider: { limits: { ...MEMORY_PROVIDER_LIMITS, chunking: { thresholdBytes: 10, chunkBytes: 10 } } } });
    const upload = await world.accept({ body: Buffer.alloc(45, 1) });
    let chunks = 0;
    const provider = providerWith(world, async (request) => {
      // The client cancels while the first chunk is on its way.
      await world.uploads.markCancelled(request.uploadId);
      return world.provider.upload({ ...request, open: (range) => ((chunks += 1), request.open(range)) });
    });
    expect(await processUpload(deps(world, { providers: ProviderRoster.of(provider) }), { uploadId: upload.id, isFinalAttempt: false })).toEqual({ kind: 'skipped' });
    expect(chunks).toBe(1);
    expect(await world.current(upload.id)).toMatchObject({ status: 'cancelled' });
    expect(world.provider.assets.has(upload.publicId)).toBe(false);
    expect(await world.hasBytes(upload)).toBe(false);
  });

  it('removes the asset it stored when the upload was cancelled during the provider call', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    const provider = providerWith(world, async (request) => {
      const result = await world.provider.upload(request);
      await world.uploads.markCancelled(request.uploadId);
      return result;
    });
    expect(await processUpload(deps(world, { providers: ProviderRoster.of(provider) }), { uploadId: upload.id, isFinalAttempt: false })).toEqual({ kind: 'skipped' });
    expect(await world.current(upload.id)).toMatchObject({ status: 'cancelled' });
    expect(world.provider.assets.has(upload.publicId)).toBe(false);
    expect(await world.hasBytes(upload)).toBe(false);
  });

  it('records nothing when another run took the upload over meanwhile, and leaves it the bytes', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    const provider = providerWith(world, async (request) => {
      // This worker's job lock lapsed: the queue handed the job to another, whose claim fences this run out.
      await world.uploads.claim(request.uploadId);
      return world.provider.upload(request);
    });
    expect(await processUpload(deps(world, { providers: ProviderRoster.of(provider) }), { uploadId: upload.id, isFinalAttempt: false })).toEqual({ kind: 'skipped' });
    expect(await world.current(upload.id)).toMatchObject({ status: 'processing', attempts: 1, reclaimCount: 1 });
    expect(await world.hasBytes(upload)).toBe(true);
    // The asset is at the same public id, so it is the new run's too: nothing undone.
    expect(world.provider.assets.has(upload.publicId)).toBe(true);
  });

  it('fails with reclaims_exhausted, bytes kept, once workers died running it more than maxReclaims times', async () => {
    const world = memoryWorld();
    const upload = await world.accept();
    // Three workers claimed it and died without recording anything.
    for (let i = 0; i < 3; i++) await world.uploads.claim(upload.id);
    expect(await run(world, upload.id, { extra: { maxReclaims: 2 } })).toMatchObject({ kind: 'failed', failure: { code: RECLAIMS_EXHAUSTED } });
    expect(await world.current(upload.id)).toMatchObject({ status: 'failed', attempts: 1, reclaimCount: 3, error: { code: RECLAIMS_EXHAUSTED } });
    expect(await world.hasBytes(upload)).toBe(true);
    expect(world.provider.assets.has(upload.publicId)).toBe(false);
  });
});

describe('processUpload with a failover', () => {
  /** A guard whose circuit the test opens and closes; counts the calls it let through. */
  function guard(open: () => boolean): FailoverGuard & { ran: number } {
    const breaker = {
      ran: 0,
      attempt: async <T>(call: () => Promise<T>) => {
        if (open()) return { ran: false } as const;
        breaker.ran += 1;
        return { ran: true, value: await call() } as const;
      },
    };
    return breaker;
  }

  function failoverWorld(open: () => boolean, secondaryLimits = MEMORY_PROVIDER_LIMITS) {
    const world = memoryWorld();
    const secondary = new MemoryUploadProvider({ name: 'secondary', limits: secondaryLimits });
    const breaker = guard(open);
    const providers = new ProviderRoster([{ provider: world.provider }, { provider: secondary }], { failover: { from: 'memory', to: 'secondary', guard: breaker } });
    return { world, secondary, breaker, providers };
  }

  it('sends the attempt to the secondary while the primary’s circuit is open, and records where it landed', async () => {
    const { world, secondary, providers } = failoverWorld(() => true);
    const upload = await world.accept();
    expect(await run(world, upload.id, { extra: { providers } })).toEqual({ kind: 'succeeded' });
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded', provider: 'memory', result: { provider: 'secondary', publicId: upload.publicId } });
    expect(world.provider.calls).toBe(0);
    expect(secondary.assets.has(upload.publicId)).toBe(true);
  });

  it('sends it to the primary while its circuit is closed', async () => {
    const { world, secondary, breaker, providers } = failoverWorld(() => false);
    const upload = await world.accept();
    await run(world, upload.id, { extra: { providers } });
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded', result: { provider: 'memory' } });
    expect([world.provider.calls, secondary.calls, breaker.ran]).toEqual([1, 0, 1]);
  });

  it('keeps an upload the secondary could not take with its own provider, circuit open or not', async () => {
    const { world, secondary, providers } = failoverWorld(() => true, { ...MEMORY_PROVIDER_LIMITS, contentTypes: ['image/jpeg'] });
    const upload = await world.accept();
    await run(world, upload.id, { extra: { providers } });
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded', result: { provider: 'memory' } });
    expect(secondary.calls).toBe(0);
  });

  it('deletes, with a failed upload, what its attempts may have left on the failover provider', async () => {
    let open = true;
    const { world, secondary, providers } = failoverWorld(() => open);
    const upload = await world.accept();
    // The secondary kept the bytes but answered too late…
    secondary.assets.set(upload.publicId, Buffer.from('a copy'));
    secondary.failNext(new RetryableProviderError('Request Timeout', { status: 499 }));
    await expect(run(world, upload.id, { extra: { providers } })).rejects.toBeInstanceOf(RetryableProviderError);
    // …and the primary, back, refused the file: the upload failed, with no result to say where a copy is.
    open = false;
    world.provider.failNext(new PermanentProviderError('Invalid image file', { status: 400 }));
    expect(await run(world, upload.id, { extra: { providers } })).toMatchObject({ kind: 'failed' });
    expect(secondary.assets.has(upload.publicId)).toBe(true);
    await deleteUpload({ uploads: world.uploads, storage: world.storage, providers, logger: world.logger }, upload.id);
    expect(secondary.assets.has(upload.publicId)).toBe(false);
  });

  it('removes the copy an earlier attempt may have left on the failing primary', async () => {
    let open = false;
    const { world, secondary, providers } = failoverWorld(() => open);
    const upload = await world.accept();
    // The first attempt reached the primary, which kept the bytes but answered too late.
    world.provider.assets.set(upload.publicId, Buffer.from('a copy'));
    world.provider.failNext(new RetryableProviderError('Request Timeout', { status: 499 }));
    await expect(run(world, upload.id, { extra: { providers } })).rejects.toBeInstanceOf(RetryableProviderError);
    open = true;
    await run(world, upload.id, { extra: { providers } });
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded', attempts: 2, result: { provider: 'secondary' } });
    // Removed in the background, after the success was recorded.
    for (let i = 0; i < 100 && world.provider.assets.has(upload.publicId); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(world.provider.destroyed).toEqual([upload.publicId]);
    expect(secondary.assets.has(upload.publicId)).toBe(true);
  });
});

describe('processUpload with a mirror', () => {
  function mirrorWorld(require: 'both' | 'primary' = 'both') {
    const world = memoryWorld();
    const mirror = new MemoryUploadProvider({ name: 'mirror' });
    const providers = new ProviderRoster([{ provider: world.provider }, { provider: mirror }], { mirror: { from: 'memory', to: 'mirror', require } });
    return { world, mirror, providers };
  }

  it('stores the upload on both providers, and the result lists the mirror copy', async () => {
    const { world, mirror, providers } = mirrorWorld();
    const upload = await world.accept({ body: Buffer.from('mirrored bytes') });
    expect(await run(world, upload.id, { extra: { providers } })).toEqual({ kind: 'succeeded' });
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded', result: { provider: 'memory', mirrors: [{ provider: 'mirror', publicId: upload.publicId }] } });
    expect(world.provider.assets.get(upload.publicId)?.toString()).toBe('mirrored bytes');
    expect(mirror.assets.get(upload.publicId)?.toString()).toBe('mirrored bytes');
    // Deleting the upload deletes both copies.
    await deleteUpload({ uploads: world.uploads, storage: world.storage, providers, logger: world.logger }, upload.id);
    expect([world.provider.assets.has(upload.publicId), mirror.assets.has(upload.publicId)]).toEqual([false, false]);
  });

  it('retries the attempt when the mirror fails and both are required; the retry leaves one copy on each', async () => {
    const { world, mirror, providers } = mirrorWorld();
    const upload = await world.accept();
    mirror.failNext(new RetryableProviderError('HTTP 503', { status: 503 }));
    await expect(run(world, upload.id, { extra: { providers } })).rejects.toBeInstanceOf(RetryableProviderError);
    expect(await world.current(upload.id)).toMatchObject({ status: 'queued', attempts: 1 });
    await run(world, upload.id, { extra: { providers } });
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect([world.provider.assets.size, mirror.assets.size]).toEqual([1, 1]);
  });

  it('succeeds on the primary alone when only it is required, and says so in the result', async () => {
    const { world, mirror, providers } = mirrorWorld('primary');
    const upload = await world.accept();
    mirror.failNext(new RetryableProviderError('HTTP 503', { status: 503 }));
    await run(world, upload.id, { extra: { providers } });
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded', result: { provider: 'memory', mirrors: [] } });
  });

  it('removes the mirror copy when the primary refuses the file, or the upload is cancelled during the attempt', async () => {
    const { world, mirror, providers } = mirrorWorld();
    const refused = await world.accept({ body: Buffer.from('refused') });
    world.provider.failNext(new PermanentProviderError('Invalid image file', { status: 400 }));
    expect(await run(world, refused.id, { extra: { providers } })).toMatchObject({ kind: 'failed' });
    expect(mirror.assets.has(refused.publicId)).toBe(false);

    const cancelled = await world.accept({ body: Buffer.from('cancelled') });
    const cancelling = new ProviderRoster(
      [{ provider: providerWith(world, async (request) => (await world.uploads.markCancelled(request.uploadId, { from: ['processing'] }), world.provider.upload(request))) }, { provider: mirror }],
      { mirror: { from: 'memory', to: 'mirror', require: 'both' } },
    );
    expect(await run(world, cancelled.id, { extra: { providers: cancelling } })).toEqual({ kind: 'skipped' });
    expect([world.provider.assets.has(cancelled.publicId), mirror.assets.has(cancelled.publicId)]).toEqual([false, false]);
  });

  it('sends no mirror copy while the primary’s throttle holds the attempt back (a rate-limit pause)', async () => {
    const world = memoryWorld();
    const mirror = new MemoryUploadProvider({ name: 'mirror' });
    const paused = { ...UNTHROTTLED, acquire: () => Promise.reject(new RateLimitedError('Provider rate-limit pause in effect', { resetAt: new Date(Date.now() + 60_000) })) };
    const providers = new ProviderRoster([{ provider: world.provider, throttle: paused }, { provider: mirror }], { mirror: { from: 'memory', to: 'mirror', require: 'both' } });
    const upload = await world.accept();
    await expect(run(world, upload.id, { extra: { providers } })).rejects.toBeInstanceOf(RateLimitedError);
    expect([world.provider.calls, mirror.calls]).toEqual([0, 0]);
    expect(await world.current(upload.id)).toMatchObject({ status: 'queued', attempts: 0 });
  });

  it('fails the upload when the mirror refuses the file, and removes the primary copy', async () => {
    const { world, mirror, providers } = mirrorWorld();
    const upload = await world.accept();
    mirror.failNext(new PermanentProviderError('Invalid image file', { status: 400 }));
    expect(await run(world, upload.id, { extra: { providers } })).toMatchObject({ kind: 'failed', failure: { code: 'provider_rejected' } });
    expect([world.provider.assets.has(upload.publicId), mirror.assets.has(upload.publicId)]).toEqual([false, false]);
  });
});
