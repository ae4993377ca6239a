import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { acceptUpload, type AcceptUploadDeps, type AcceptUploadRequest } from './accept-upload.js';
import { StoreUnavailableError } from './errors.js';
import { MEMORY_PROVIDER_LIMITS } from './memory/index.js';
import { processUpload } from './process-upload.js';
import { singleProviderCatalog } from './provider-choice.js';
import { relayOutbox } from './reconcile.js';
import { downQueue, memoryWorld, type MemoryWorld } from './test-support/memory-world.js';
import type { FetchedBytes } from './upload.js';
import type { UploadOptions } from './upload-options.js';
import type { UploadRepository } from './upload.repository.js';

// Accepting an upload — the one write path of every ingest — on the in-memory adapters: what the
// client is answered, what is recorded and queued, and that refused bytes never stay behind.

const NO_OPTIONS: UploadOptions = { tags: [], eager: [], dedupe: false };

function deps(world: MemoryWorld, extra: Partial<AcceptUploadDeps> = {}): AcceptUploadDeps & { counted: number[] } {
  const counted: number[] = [];
  return {
    uploads: world.uploads,
    queue: world.queue,
    storage: world.storage,
    logger: world.logger,
    providers: world.catalog,
    observer: { accepted: (bytes) => counted.push(bytes) },
    counted,
    ...extra,
  };
}

/** Bytes in temp storage, as the multipart intake leaves them. */
async function stored(world: MemoryWorld, body = 'the bytes of a small image'): Promise<FetchedBytes> {
  const { key, bytes } = await world.storage.write(Readable.from([Buffer.from(body)]));
  return { storageKey: key, bytes, contentType: 'image/png', sha256: createHash('sha256').update(body).digest('hex') };
}

function fileRequest(bytes: FetchedBytes, extra: Partial<AcceptUploadRequest> = {}): AcceptUploadRequest {
  return { tenantId: 'acme', source: { kind: 'stored', filename: 'cat.png', stored: bytes }, options: NO_OPTIONS, ...extra };
}

describe('acceptUpload', () => {
  it('records a queued upload, enqueues it at once, keeps its bytes and counts it; a worker can then finish it', async () => {
    const world = memoryWorld();
    const bytes = await stored(world);
    const accepting = deps(world);
    const outcome = await acceptUpload(accepting, fileRequest(bytes, { options: { ...NO_OPTIONS, tags: ['pets'], folder: 'album' } }));
    expect(outcome).toMatchObject({ kind: 'accepted', enqueued: true, upload: { status: 'queued', tenantId: 'acme', tags: ['pets'], sha256: bytes.sha256 } });
    if (outcome.kind !== 'accepted') return;
    expect(outcome.upload.publicId).toBe(`acme/album/${outcome.upload.id}`);
    expect(await world.current(outcome.upload.id)).toMatchObject({ enqueuedAt: expect.any(Date) });
    expect(await world.storage.exists(bytes.storageKey)).toBe(true);
    expect(accepting.counted).toEqual([bytes.bytes]);
    expect(world.queue.take()).toBe(outcome.upload.id);
    await processUpload({ uploads: world.uploads, storage: world.storage, providers: world.providers, logger: world.logger }, { uploadId: outcome.upload.id, isFinalAttempt: false });
    expect(await world.current(outcome.upload.id)).toMatchObject({ status: 'succeeded' });
  });

  it('accepts while the queue is down: the upload waits in the outbox and the relay enqueues it later', async () => {
    const world = memoryWorld();
    const outcome = await acceptUpload(deps(world, { queue: downQueue(world.queue) }), fileRequest(await stored(world)));
    expect(outcome).toMatchObject({ kind: 'accepted', enqueued: false });
    if (outcome.kind !== 'accepted') return;
    expect(await world.current(outcome.upload.id)).toMatchObject({ status: 'queued', enqueuedAt: null });
    expect(await world.queue.jobState(outcome.upload.id)).toBe('missing');
    await relayOutbox(world, { graceMs: 0, now: new Date(Date.now() + 1_000) });
    expect(await world.queue.jobState(outcome.upload.id)).toBe('live');
  });

  it('records a URL upload without bytes, for a worker to fetch', async () => {
    const world = memoryWorld();
    const accepting = deps(world);
    const outcome = await acceptUpload(accepting, { tenantId: 'acme', source: { kind: 'url', filename: 'photo.jpg', url: 'https://example.com/photo.jpg' }, options: NO_OPTIONS });
    expect(outcome).toMatchObject({ kind: 'accepted', upload: { sourceUrl: 'https://example.com/photo.jpg', bytes: null, storageKey: null, filename: 'photo.jpg' } });
    expect(accepting.counted).toEqual([0]);
  });

  it('with dedupe, answers with the tenant’s succeeded upload of the same bytes and drops the new copy', async () => {
    const world = memoryWorld();
    const first = await world.accept();
    await processUpload({ uploads: world.uploads, storage: world.storage, providers: world.providers, logger: world.logger }, { uploadId: first.id, isFinalAttempt: false });
    const again = await stored(world);
    const outcome = await acceptUpload(deps(world), fileRequest(again, { options: { ...NO_OPTIONS, dedupe: true } }));
    expect(outcome).toMatchObject({ kind: 'deduplicated', upload: { id: first.id, status: 'succeeded' } });
    expect(await world.storage.exists(again.storageKey)).toBe(false);
    expect(await world.uploads.list({ tenantId: 'acme', limit: 10 })).toHaveLength(1);
    // Another tenant's identical bytes are not theirs to reuse.
    expect(await acceptUpload(deps(world), fileRequest(await stored(world), { tenantId: 'other', options: { ...NO_OPTIONS, dedupe: true } }))).toMatchObject({ kind: 'accepted' });
  });

  it('answers a repeated Idempotency-Key with the original upload, and a reused one for another request with a refusal; neither keeps the new bytes', async () => {
    const world = memoryWorld();
    const idempotency = { key: 'order-42', fingerprint: 'f1' };
    const original = await acceptUpload(deps(world), fileRequest(await stored(world), { idempotency }));
    expect(original.kind).toBe('accepted');
    if (original.kind !== 'accepted') return;

    const replayBytes = await stored(world);
    expect(await acceptUpload(deps(world), fileRequest(replayBytes, { idempotency }))).toMatchObject({ kind: 'replayed', uploadId: original.upload.id, upload: { id: original.upload.id } });
    expect(await world.storage.exists(replayBytes.storageKey)).toBe(false);

    const otherBytes = await stored(world, 'other bytes');
    expect(await acceptUpload(deps(world), fileRequest(otherBytes, { idempotency: { key: 'order-42', fingerprint: 'f2' } }))).toEqual({ kind: 'idempotency_key_reused', uploadId: original.upload.id });
    expect(await world.storage.exists(otherBytes.storageKey)).toBe(false);
    expect(await world.uploads.list({ tenantId: 'acme', limit: 10 })).toHaveLength(1);
  });

  it('refuses an upload past the tenant’s cap on unfinished uploads, and deletes its bytes', async () => {
    const world = memoryWorld();
    await world.accept();
    const bytes = await stored(world);
    expect(await acceptUpload(deps(world, { maxUnfinished: 1 }), fileRequest(bytes))).toEqual({ kind: 'too_many_unfinished', limit: 1 });
    expect(await world.storage.exists(bytes.storageKey)).toBe(false);
    expect(await world.uploads.countUnfinished('acme')).toBe(1);
  });

  it('records the provider it goes to: its own choice, else its tenant’s, else the deployment’s', async () => {
    const world = memoryWorld();
    const providers = { defaultProvider: 'memory', providers: new Map([['memory', MEMORY_PROVIDER_LIMITS], ['other', MEMORY_PROVIDER_LIMITS]]) };
    const accept = async (extra: Partial<AcceptUploadRequest>) => acceptUpload(deps(world, { providers }), fileRequest(await stored(world), extra));
    expect(await accept({})).toMatchObject({ kind: 'accepted', upload: { provider: 'memory' } });
    expect(await accept({ tenantProvider: 'other' })).toMatchObject({ kind: 'accepted', upload: { provider: 'other' } });
    expect(await accept({ tenantProvider: 'other', options: { ...NO_OPTIONS, provider: 'memory' } })).toMatchObject({ kind: 'accepted', upload: { provider: 'memory' } });
  });

  it('refuses, keeping nothing, an upload its provider is not configured for or cannot store', async () => {
    const world = memoryWorld();
    const small = singleProviderCatalog('memory', { ...MEMORY_PROVIDER_LIMITS, maxFileBytes: 10, contentTypes: ['image/png'] });
    const tooBig = await stored(world);
    expect(await acceptUpload(deps(world, { providers: small }), fileRequest(tooBig))).toMatchObject({ kind: 'provider_cannot_honour', provider: 'memory', reason: expect.stringContaining('at most 10 bytes') as unknown });
    const elsewhere = await stored(world);
    expect(await acceptUpload(deps(world), fileRequest(elsewhere, { options: { ...NO_OPTIONS, provider: 'imagekit' } }))).toEqual({ kind: 'provider_not_configured', provider: 'imagekit', configured: ['memory'] });
    for (const bytes of [tooBig, elsewhere]) expect(await world.storage.exists(bytes.storageKey)).toBe(false);
    expect(await world.uploads.countUnfinished('acme')).toBe(0);
  });

  it('refuses a public id its provider would refuse or rewrite, in its words', async () => {
    const world = memoryWorld();
    const picky = singleProviderCatalog('memory', { ...MEMORY_PROVIDER_LIMITS, publicIdProblem: (id) => (id.includes('.') ? 'no dots' : undefined) });
    const bytes = await stored(world);
    expect(await acceptUpload(deps(world, { providers: picky }), fileRequest(bytes, { options: { ...NO_OPTIONS, publicId: 'a.b' } }))).toEqual({
      kind: 'provider_cannot_honour',
      provider: 'memory',
      reason: 'The public id "acme/a.b" cannot be used: no dots.',
    });
    expect(await world.storage.exists(bytes.storageKey)).toBe(false);
    expect(await acceptUpload(deps(world, { providers: picky }), fileRequest(await stored(world), { options: { ...NO_OPTIONS, publicId: 'ab' } }))).toMatchObject({ kind: 'accepted' });
  });

  it('with dedupe, reuses only an upload on the same provider', async () => {
    const world = memoryWorld();
    const first = await world.accept();
    await processUpload({ uploads: world.uploads, storage: world.storage, providers: world.providers, logger: world.logger }, { uploadId: first.id, isFinalAttempt: false });
    const providers = { defaultProvider: 'memory', providers: new Map([['memory', MEMORY_PROVIDER_LIMITS], ['other', MEMORY_PROVIDER_LIMITS]]) };
    const outcome = await acceptUpload(deps(world, { providers }), fileRequest(await stored(world), { options: { ...NO_OPTIONS, dedupe: true, provider: 'other' } }));
    expect(outcome).toMatchObject({ kind: 'accepted', upload: { provider: 'other' } });
  });

  it('refuses a public id longer than the provider accepts, judged by the provider’s own limit', async () => {
    const world = memoryWorld();
    const bytes = await stored(world);
    const outcome = await acceptUpload(deps(world, { providers: singleProviderCatalog('memory', { ...MEMORY_PROVIDER_LIMITS, maxPublicIdLength: 20 }) }), fileRequest(bytes, { options: { ...NO_OPTIONS, publicId: 'a-name-too-long-for-it' } }));
    expect(outcome).toEqual({ kind: 'public_id_too_long', publicId: 'acme/a-name-too-long-for-it', maxLength: 20 });
    expect(await world.storage.exists(bytes.storageKey)).toBe(false);
    expect(await world.uploads.countUnfinished('acme')).toBe(0);
  });

  it('keeps an accepted upload’s bytes even when counting it fails', async () => {
    const world = memoryWorld();
    const bytes = await stored(world);
    const outcome = await acceptUpload(deps(world, { observer: { accepted: () => { throw new Error('metrics broke'); } } }), fileRequest(bytes));
    expect(outcome).toMatchObject({ kind: 'accepted', enqueued: true });
    expect(await world.storage.exists(bytes.storageKey)).toBe(true);
  });

  it('throws when the store is down, after deleting the bytes: the client retries the whole upload', async () => {
    const world = memoryWorld();
    const bytes = await stored(world);
    const down: UploadRepository = Object.assign(Object.create(world.uploads) as UploadRepository, {
      create: () => Promise.reject(new StoreUnavailableError(new Error('connection refused'))),
    });
    await expect(acceptUpload(deps(world, { uploads: down }), fileRequest(bytes))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await world.storage.exists(bytes.storageKey)).toBe(false);
  });
});
