import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { acceptUpload, type AcceptUploadDeps } from './accept-upload.js';
import { cancelUpload } from './cancel-upload.js';
import { MEMORY_PROVIDER_LIMITS } from './memory/index.js';
import { processUpload } from './process-upload.js';
import { abandonReceiving, beginReceiving, expireReceiving, finishReceiving } from './receive-upload.js';
import { downQueue, memoryWorld, type MemoryWorld } from './test-support/memory-world.js';
import type { FetchedBytes } from './upload.js';
import type { UploadOptions } from './upload-options.js';

// Uploads whose bytes arrive over time (tus), on the in-memory adapters: created `receiving`,
// completed into `queued` once, refused with a reason a client can read.

const NO_OPTIONS: UploadOptions = { tags: [], eager: [], dedupe: false };

function deps(world: MemoryWorld, extra: Partial<AcceptUploadDeps> = {}): AcceptUploadDeps {
  return { uploads: world.uploads, queue: world.queue, storage: world.storage, logger: world.logger, providers: world.catalog, ...extra };
}

async function stored(world: MemoryWorld, body = 'the bytes of a large video'): Promise<FetchedBytes> {
  const { key, bytes } = await world.storage.write(Readable.from([Buffer.from(body)]));
  return { storageKey: key, bytes, contentType: 'video/mp4', sha256: createHash('sha256').update(body).digest('hex') };
}

async function begin(world: MemoryWorld, options: UploadOptions = NO_OPTIONS, extra: Partial<AcceptUploadDeps> = {}) {
  const outcome = await beginReceiving(deps(world, extra), { tenantId: 'acme', filename: 'movie.mp4', options });
  if (outcome.kind !== 'receiving') throw new Error(`not receiving: ${outcome.kind}`);
  return outcome.upload;
}

describe('beginReceiving', () => {
  it('records a receiving upload with its options and public id, and queues nothing', async () => {
    const world = memoryWorld();
    const upload = await begin(world, { ...NO_OPTIONS, folder: 'films', tags: ['x'] });
    expect(upload).toMatchObject({ status: 'receiving', filename: 'movie.mp4', tags: ['x'], publicId: `acme/films/${upload.id}`, bytes: null });
    expect(world.queue.waiting()).toEqual([]);
  });

  it('refuses as acceptUpload does: too long a public id, the tenant at its cap (receiving counts), a reused key', async () => {
    const world = memoryWorld();
    const long = await beginReceiving(deps(world), { tenantId: 'acme', filename: 'a.mp4', options: { ...NO_OPTIONS, publicId: 'p'.repeat(MEMORY_PROVIDER_LIMITS.maxPublicIdLength) } });
    expect(long).toMatchObject({ kind: 'public_id_too_long' });
    await begin(world, NO_OPTIONS, { maxUnfinished: 1 });
    expect(await beginReceiving(deps(world, { maxUnfinished: 1 }), { tenantId: 'acme', filename: 'a.mp4', options: NO_OPTIONS })).toEqual({ kind: 'too_many_unfinished', limit: 1 });
    const multipart = await acceptUpload(deps(world, { maxUnfinished: 1 }), { tenantId: 'acme', source: { kind: 'stored', filename: 'cat.png', stored: await stored(world) }, options: NO_OPTIONS });
    expect(multipart).toEqual({ kind: 'too_many_unfinished', limit: 1 });
    const first = await beginReceiving(deps(world), { tenantId: 'acme', filename: 'a.mp4', options: NO_OPTIONS, idempotency: { key: 'k', fingerprint: 'f' } });
    const reused = await beginReceiving(deps(world), { tenantId: 'acme', filename: 'b.mp4', options: NO_OPTIONS, idempotency: { key: 'k', fingerprint: 'g' } });
    expect(reused).toEqual({ kind: 'idempotency_key_reused', uploadId: first.kind === 'receiving' ? first.upload.id : '' });
  });
});

describe('finishReceiving', () => {
  it('queues the upload with its bytes\u2019 facts once; a second completion keeps nothing of its own bytes', async () => {
    const world = memoryWorld();
    const upload = await begin(world);
    const bytes = await stored(world);
    const outcome = await finishReceiving(deps(world), { uploadId: upload.id, tenantId: 'acme', dedupe: false, provider: 'memory', received: { ok: true, stored: bytes } });
    expect(outcome).toMatchObject({ kind: 'accepted', enqueued: true, upload: { status: 'queued', sha256: bytes.sha256, storageKey: bytes.storageKey } });
    expect(world.queue.take()).toBe(upload.id);
    const again = await stored(world);
    expect(await finishReceiving(deps(world), { uploadId: upload.id, tenantId: 'acme', dedupe: false, provider: 'memory', received: { ok: true, stored: again } })).toMatchObject({ kind: 'not_receiving', upload: { status: 'queued' } });
    expect(await world.storage.exists(again.storageKey)).toBe(false);
    expect(await world.storage.exists(bytes.storageKey)).toBe(true);
    await processUpload({ uploads: world.uploads, storage: world.storage, providers: world.providers, logger: world.logger }, { uploadId: upload.id, isFinalAttempt: false });
    expect(await world.current(upload.id)).toMatchObject({ status: 'succeeded' });
  });

  it('leaves the upload in the outbox when the queue is down', async () => {
    const world = memoryWorld();
    const upload = await begin(world);
    const outcome = await finishReceiving(deps(world, { queue: downQueue(world.queue) }), { uploadId: upload.id, tenantId: 'acme', dedupe: false, provider: 'memory', received: { ok: true, stored: await stored(world) } });
    expect(outcome).toMatchObject({ kind: 'accepted', enqueued: false });
    expect(await world.current(upload.id)).toMatchObject({ status: 'queued', enqueuedAt: null });
  });

  it('fails an upload whose bytes were refused, with the reason, and frees its place against the cap', async () => {
    const world = memoryWorld();
    const upload = await begin(world, NO_OPTIONS, { maxUnfinished: 1 });
    const outcome = await finishReceiving(deps(world), { uploadId: upload.id, tenantId: 'acme', dedupe: false, provider: 'memory', received: { ok: false, reason: 'Unsupported file type: text/plain.' } });
    expect(outcome).toMatchObject({ kind: 'failed', upload: { status: 'failed', error: { code: 'bytes_refused', message: 'Unsupported file type: text/plain.' } } });
    await begin(world, NO_OPTIONS, { maxUnfinished: 1 });
  });

  it('with dedupe, fails an upload whose bytes a succeeded upload holds, naming it, and deletes the copy', async () => {
    const world = memoryWorld();
    const original = await world.accept({ body: Buffer.from('same bytes') });
    await processUpload({ uploads: world.uploads, storage: world.storage, providers: world.providers, logger: world.logger }, { uploadId: original.id, isFinalAttempt: false });
    const upload = await begin(world, { ...NO_OPTIONS, dedupe: true });
    const copy = { ...(await stored(world, 'same bytes')), contentType: 'image/png' };
    const outcome = await finishReceiving(deps(world), { uploadId: upload.id, tenantId: 'acme', dedupe: true, provider: 'memory', received: { ok: true, stored: copy } });
    expect(outcome).toMatchObject({ kind: 'failed', duplicateOf: original.id, upload: { status: 'failed', error: { code: 'duplicate_content' } } });
    expect(await world.storage.exists(copy.storageKey)).toBe(false);
  });

  it('discards the bytes of an upload cancelled while receiving', async () => {
    const world = memoryWorld();
    const upload = await begin(world);
    expect(await cancelUpload(deps(world), upload.id, { tenantId: 'acme' })).toMatchObject({ kind: 'cancelled', upload: { status: 'cancelled' } });
    const bytes = await stored(world);
    expect(await finishReceiving(deps(world), { uploadId: upload.id, tenantId: 'acme', dedupe: false, provider: 'memory', received: { ok: true, stored: bytes } })).toMatchObject({ kind: 'not_receiving', upload: { status: 'cancelled' } });
    expect(await world.storage.exists(bytes.storageKey)).toBe(false);
    expect(world.queue.waiting()).toEqual([]);
  });
});

describe('abandonReceiving', () => {
  it('fails an upload whose tus resource was never created, freeing its place; a later completion changes nothing', async () => {
    const world = memoryWorld();
    const upload = await begin(world, NO_OPTIONS, { maxUnfinished: 1 });
    expect(await abandonReceiving(deps(world), { uploadId: upload.id, tenantId: 'acme', reason: 'tus answered 412' })).toBe(true);
    expect(await world.current(upload.id)).toMatchObject({ status: 'failed', error: { code: 'creation_failed', message: 'tus answered 412' } });
    await begin(world, NO_OPTIONS, { maxUnfinished: 1 });
    expect(await abandonReceiving(deps(world), { uploadId: upload.id, tenantId: 'acme', reason: 'again' })).toBe(false);
  });
});

describe('expireReceiving', () => {
  it('fails receiving uploads created before the cut-off with upload_expired, and no others', async () => {
    const world = memoryWorld();
    const old = await begin(world);
    const done = await begin(world);
    await finishReceiving(deps(world), { uploadId: done.id, tenantId: 'acme', dedupe: false, provider: 'memory', received: { ok: true, stored: await stored(world) } });
    expect(await expireReceiving(deps(world), { createdBefore: new Date(Date.now() + 1000), limit: 10 })).toBe(1);
    expect(await world.current(old.id)).toMatchObject({ status: 'failed', error: { code: 'upload_expired' } });
    expect(await world.current(done.id)).toMatchObject({ status: 'queued' });
    const fresh = await begin(world);
    expect(await expireReceiving(deps(world), { createdBefore: new Date(Date.now() - 60_000), limit: 10 })).toBe(0);
    expect(await world.current(fresh.id)).toMatchObject({ status: 'receiving' });
  });
});
