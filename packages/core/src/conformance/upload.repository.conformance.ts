import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IdempotencyKeyUsedError, TooManyUnfinishedUploadsError } from '../errors.js';
import { ATTEMPTS_EXHAUSTED, RECLAIMS_EXHAUSTED } from '../failure-codes.js';
import { newUploadId } from '../ids.js';
import type { ClaimedUpload, NewReceivingUpload, NewUpload, UploadResult } from '../upload.js';
import type { UploadRepository } from '../upload.repository.js';

/** What {@link describeUploadRepository} needs of one adapter. */
export interface UploadRepositoryFixture {
  /** A fresh repository holding no uploads (the outbox and the unfinished list start empty). */
  uploads: UploadRepository;
  /** A tenant no upload belongs to yet, created in the store if the store needs tenants to exist. */
  newTenant: () => Promise<string>;
}

const RESULT: UploadResult = {
  provider: 'cloudinary',
  publicId: 'x',
  url: 'http://u',
  secureUrl: 'https://u',
  format: 'png',
  width: 3,
  height: 2,
  bytes: 73,
  version: 1_700_000_000,
};

function storageKey(): string {
  return `3f1c1c7e-0000-4000-8000-${randomBytes(6).toString('hex')}`;
}

function newUpload(tenantId: string, overrides: Partial<NewUpload> = {}): NewUpload {
  const id = newUploadId();
  return {
    id,
    tenantId,
    filename: 'cat.png',
    bytes: 5_000_000_000,
    contentType: 'image/png',
    sha256: 'a'.repeat(64),
    storageKey: storageKey(),
    publicId: `${tenantId}/${id}`,
    provider: 'cloudinary',
    tags: ['a', 'b'],
    ...overrides,
  };
}

function newReceiving(tenantId: string, overrides: Partial<NewReceivingUpload> = {}): NewReceivingUpload {
  const id = newUploadId();
  return { id, tenantId, filename: 'movie.mp4', publicId: `${tenantId}/${id}`, provider: 'cloudinary', tags: ['t'], ...overrides };
}

/** A minute after and before now: after every upload created so far, and before every one. */
const later = () => new Date(Date.now() + 60_000);
const earlier = () => new Date(Date.now() - 60_000);
/** Lets the clock move on, so two writes are told apart by their timestamps. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/**
 * The contract every UploadRepository adapter passes: each method's documented guard, fencing,
 * counting and answer, as docs/architecture.md's state machine states them. `make` returns a fresh
 * repository with no uploads. Connection failures (StoreUnavailableError) are the adapter's own tests'.
 */
export function describeUploadRepository(name: string, make: () => Promise<UploadRepositoryFixture>): void {
  /** A fresh repository, a tenant, and one upload of it created and claimed. */
  async function claimedUpload(): Promise<{ uploads: UploadRepository; tenantId: string; run: ClaimedUpload }> {
    const { uploads, newTenant } = await make();
    const tenantId = await newTenant();
    const { id } = await uploads.create(newUpload(tenantId));
    return { uploads, tenantId, run: (await uploads.claim(id))! };
  }

  describe(`UploadRepository conformance: ${name}`, () => {
    describe('create and find', () => {
      it('creates a queued upload, in the outbox, and reads it back as it was given, numbers as numbers', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const given = newUpload(tenantId, { metadata: { camera_model: 'X100', 'focal-length': 23, isRaw: false }, resourceType: 'image', eager: ['thumbnail'] });
        const created = await uploads.create(given);
        const found = await uploads.find(created.id);
        expect(found).toEqual(created);
        expect(found).toMatchObject({
          id: given.id,
          tenantId,
          status: 'queued',
          attempts: 0,
          reclaimCount: 0,
          retryCount: 0,
          bytes: 5_000_000_000,
          tags: ['a', 'b'],
          // Metadata keys exactly as given: no camelCasing inside JSON.
          metadata: { camera_model: 'X100', 'focal-length': 23, isRaw: false },
          resourceType: 'image',
          eager: ['thumbnail'],
          sourceUrl: null,
          result: null,
          error: null,
          completedAt: null,
          deletedAt: null,
          enqueuedAt: null,
          chunkProgress: null,
        });
        expect(typeof found?.bytes).toBe('number');
        expect(found?.createdAt).toBeInstanceOf(Date);
        expect(found?.updatedAt).toBeInstanceOf(Date);
      });

      it("defaults the resource type to 'auto', eager to none and metadata to null", async () => {
        const { uploads, newTenant } = await make();
        const created = await uploads.create(newUpload(await newTenant()));
        expect(created).toMatchObject({ resourceType: 'auto', eager: [], metadata: null });
      });

      it('refuses a second upload with the same id', async () => {
        const { uploads, newTenant } = await make();
        const upload = newUpload(await newTenant());
        await uploads.create(upload);
        await expect(uploads.create({ ...upload, filename: 'other.png' })).rejects.toThrow();
        expect(await uploads.find(upload.id)).toMatchObject({ filename: 'cat.png' });
      });

      it('returns undefined for an unknown id, and for another tenant\u2019s upload when scoped', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const { id } = await uploads.create(newUpload(tenantId));
        expect(await uploads.find(newUploadId())).toBeUndefined();
        expect(await uploads.find(id, { tenantId })).toMatchObject({ id });
        expect(await uploads.find(id, { tenantId: await newTenant() })).toBeUndefined();
      });

      it('hands out copies: changing an answer changes nothing stored', async () => {
        const { uploads, newTenant } = await make();
        const created = await uploads.create(newUpload(await newTenant()));
        created.tags.push('mutated');
        created.status = 'succeeded';
        const found = (await uploads.find(created.id))!;
        expect(found).toMatchObject({ status: 'queued', tags: ['a', 'b'] });
        found.tags.push('again');
        expect((await uploads.find(created.id))?.tags).toEqual(['a', 'b']);
      });

      it('stores a URL upload without bytes until a run records what it fetched', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const id = newUploadId();
        await uploads.create({ id, tenantId, filename: 'a.jpg', publicId: id, provider: 'cloudinary', tags: [], sourceUrl: 'https://example.com/a.jpg' });
        expect(await uploads.find(id)).toMatchObject({ sourceUrl: 'https://example.com/a.jpg', bytes: null, sha256: null, contentType: null, storageKey: null });
        const fetched = { bytes: 10, contentType: 'image/jpeg', sha256: 'f'.repeat(64), storageKey: storageKey() };
        // Only a claimed (processing) upload can record its bytes.
        expect(await uploads.recordFetched({ id, claimToken: '00000000-0000-4000-8000-000000000000' }, fetched)).toBe(false);
        const run = (await uploads.claim(id))!;
        expect(await uploads.saveChunkProgress(run, { sessionId: 'earlier-bytes', offset: 5 })).toBe(true);
        expect(await uploads.recordFetched(run, fetched)).toBe(true);
        // New bytes: a chunked session of earlier bytes must not be resumed with them.
        expect(await uploads.find(id)).toMatchObject({ ...fetched, chunkProgress: null });
      });
    });

    describe('idempotency keys', () => {
      it('answers a used key with the original upload, telling the same request from a different one, and writes nothing', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const original = await uploads.create(newUpload(tenantId), { idempotency: { key: 'k', fingerprint: 'f1' } });
        const replay = newUpload(tenantId);
        const same = await uploads.create(replay, { idempotency: { key: 'k', fingerprint: 'f1' } }).catch((error: unknown) => error);
        expect(same).toBeInstanceOf(IdempotencyKeyUsedError);
        expect(same).toMatchObject({ uploadId: original.id, sameRequest: true });
        const misuse = await uploads.create(newUpload(tenantId), { idempotency: { key: 'k', fingerprint: 'f2' } }).catch((error: unknown) => error);
        expect(misuse).toBeInstanceOf(IdempotencyKeyUsedError);
        expect(misuse).toMatchObject({ uploadId: original.id, sameRequest: false });
        expect(await uploads.find(replay.id)).toBeUndefined();
        expect(await uploads.countUnfinished(tenantId)).toBe(1);
      });

      it('scopes keys to their tenant', async () => {
        const { uploads, newTenant } = await make();
        await uploads.create(newUpload(await newTenant()), { idempotency: { key: 'shared', fingerprint: 'f' } });
        await expect(uploads.create(newUpload(await newTenant()), { idempotency: { key: 'shared', fingerprint: 'f' } })).resolves.toMatchObject({ status: 'queued' });
      });

      it('makes one upload of simultaneous requests with one key', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => uploads.create(newUpload(tenantId), { idempotency: { key: 'race', fingerprint: 'f' } })));
        const created = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
        expect(created).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ uploadId: created[0]!.id, sameRequest: true });
        }
        expect(await uploads.countUnfinished(tenantId)).toBe(1);
      });
    });

    describe('the unfinished-uploads cap', () => {
      it('refuses a create at the cap and writes nothing; other tenants are not counted', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        await uploads.create(newUpload(tenantId), { maxUnfinished: 1 });
        const refused = newUpload(tenantId);
        const error = await uploads.create(refused, { maxUnfinished: 1 }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(TooManyUnfinishedUploadsError);
        expect(error).toMatchObject({ limit: 1 });
        expect(await uploads.find(refused.id)).toBeUndefined();
        await expect(uploads.create(newUpload(await newTenant()), { maxUnfinished: 1 })).resolves.toMatchObject({ status: 'queued' });
        // 0 or absent: no cap.
        await expect(uploads.create(newUpload(tenantId), { maxUnfinished: 0 })).resolves.toMatchObject({ status: 'queued' });
        await expect(uploads.create(newUpload(tenantId))).resolves.toMatchObject({ status: 'queued' });
      });

      it('holds under concurrency: 20 simultaneous creates against a cap of 5 make exactly 5 uploads', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => uploads.create(newUpload(tenantId), { maxUnfinished: 5 })));
        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(5);
        const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
        expect(refusals).toHaveLength(15);
        for (const refusal of refusals) expect(refusal).toBeInstanceOf(TooManyUnfinishedUploadsError);
        expect(await uploads.countUnfinished(tenantId)).toBe(5);
        expect(await uploads.list({ tenantId, limit: 100 })).toHaveLength(5);
      });

      it("tells the caller the tenant's backlog, the new upload included, when it counted under the cap", async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const counts: number[] = [];
        for (let i = 0; i < 3; i += 1) await uploads.create(newUpload(tenantId), { maxUnfinished: 10, counted: (backlog) => counts.push(backlog) });
        expect(counts).toEqual([1, 2, 3]);
        expect(await uploads.countUnfinished(tenantId)).toBe(3);
      });

      it('frees a place when an upload finishes', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const first = await uploads.create(newUpload(tenantId), { maxUnfinished: 1 });
        await expect(uploads.create(newUpload(tenantId), { maxUnfinished: 1 })).rejects.toBeInstanceOf(TooManyUnfinishedUploadsError);
        await uploads.markSucceeded((await uploads.claim(first.id))!, RESULT);
        await expect(uploads.create(newUpload(tenantId), { maxUnfinished: 1 })).resolves.toMatchObject({ status: 'queued' });
      });

      it('answers a replayed key with the original upload, not the cap; a new key at the cap records nothing', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const idempotency = { key: 'same', fingerprint: 'f1' };
        const original = await uploads.create(newUpload(tenantId), { idempotency, maxUnfinished: 1 });
        const replay = await uploads.create(newUpload(tenantId), { idempotency, maxUnfinished: 1 }).catch((error: unknown) => error);
        expect(replay).toBeInstanceOf(IdempotencyKeyUsedError);
        expect(replay).toMatchObject({ uploadId: original.id, sameRequest: true });
        const other = { key: 'other', fingerprint: 'f2' };
        await expect(uploads.create(newUpload(tenantId), { idempotency: other, maxUnfinished: 1 })).rejects.toBeInstanceOf(TooManyUnfinishedUploadsError);
        // The refused request's key was not recorded: once there is room it makes its upload.
        await uploads.failUnfinished(original.id, { code: ATTEMPTS_EXHAUSTED, message: 'x' });
        await expect(uploads.create(newUpload(tenantId), { idempotency: other, maxUnfinished: 1 })).resolves.toMatchObject({ status: 'queued' });
      });

      it('refuses a retry that would pass the cap, and counts simultaneous retries atomically', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const failed: string[] = [];
        for (let i = 0; i < 6; i++) {
          const { id } = await uploads.create(newUpload(tenantId));
          await uploads.failUnfinished(id, { code: ATTEMPTS_EXHAUSTED, message: 'x' });
          failed.push(id);
        }
        const outcomes = await Promise.allSettled(failed.map((id) => uploads.reopenForRetry(id, { maxUnfinished: 2 })));
        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled' && outcome.value)).toHaveLength(2);
        expect(outcomes.filter((outcome) => outcome.status === 'rejected' && outcome.reason instanceof TooManyUnfinishedUploadsError)).toHaveLength(4);
        expect(await uploads.countUnfinished(tenantId)).toBe(2);
        const refused = await uploads.list({ tenantId, limit: 100, status: 'failed' });
        expect(refused.map((upload) => ({ status: upload.status, retryCount: upload.retryCount }))).toEqual(Array.from({ length: 4 }, () => ({ status: 'failed', retryCount: 0 })));
        // Not failed is still "not retried", not "over the cap".
        const [queued] = await uploads.list({ tenantId, limit: 1, status: 'queued' });
        expect(await uploads.reopenForRetry(queued!.id, { maxUnfinished: 2 })).toBe(false);
      });
    });

    describe('receiving (tus: bytes still arriving)', () => {
      const stored = () => ({ bytes: 1234, contentType: 'video/mp4', sha256: 'c'.repeat(64), storageKey: storageKey() });

      it('creates a receiving upload with no byte facts, outside the outbox and out of the workers\u2019 and reconciler\u2019s reach', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const created = await uploads.createReceiving(newReceiving(tenantId, { metadata: { a: 1 }, resourceType: 'video', eager: ['thumbnail'] }));
        expect(await uploads.find(created.id)).toEqual(created);
        expect(created).toMatchObject({ status: 'receiving', bytes: null, contentType: null, sha256: null, storageKey: null, sourceUrl: null, metadata: { a: 1 }, resourceType: 'video', eager: ['thumbnail'], completedAt: null, enqueuedAt: null });
        expect(await uploads.claim(created.id)).toBeUndefined();
        expect(await uploads.listOutbox({ before: later(), limit: 100 })).toEqual([]);
        expect(await uploads.listUnfinished({ before: later(), limit: 100 })).toEqual([]);
        expect(await uploads.failUnfinished(created.id, { code: ATTEMPTS_EXHAUSTED, message: 'x' })).toBe(false);
        expect(await uploads.markCancelled(created.id)).toBe(false);
        expect(await uploads.find(created.id)).toMatchObject({ status: 'receiving' });
      });

      it('counts receiving uploads against the cap, with idempotency keys as for create', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const idempotency = { key: 'tus', fingerprint: 'f' };
        const first = await uploads.createReceiving(newReceiving(tenantId), { idempotency, maxUnfinished: 1 });
        expect(await uploads.countUnfinished(tenantId)).toBe(1);
        await expect(uploads.create(newUpload(tenantId), { maxUnfinished: 1 })).rejects.toBeInstanceOf(TooManyUnfinishedUploadsError);
        await expect(uploads.createReceiving(newReceiving(tenantId), { maxUnfinished: 1 })).rejects.toBeInstanceOf(TooManyUnfinishedUploadsError);
        const replay = await uploads.createReceiving(newReceiving(tenantId), { idempotency, maxUnfinished: 1 }).catch((error: unknown) => error);
        expect(replay).toBeInstanceOf(IdempotencyKeyUsedError);
        expect(replay).toMatchObject({ uploadId: first.id, sameRequest: true });
        const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => uploads.createReceiving(newReceiving(tenantId), { maxUnfinished: 4 })));
        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(3);
        expect(await uploads.countUnfinished(tenantId)).toBe(4);
      });

      it('completes once: receiving → queued with the bytes\u2019 facts, into the outbox; a second completion changes nothing', async () => {
        const { uploads, newTenant } = await make();
        const { id } = await uploads.createReceiving(newReceiving(await newTenant()));
        const bytes = stored();
        const completed = await uploads.completeReceiving(id, bytes);
        expect(completed).toMatchObject({ id, status: 'queued', ...bytes, enqueuedAt: null, completedAt: null });
        expect(await uploads.find(id)).toEqual(completed);
        expect((await uploads.listOutbox({ before: later(), limit: 100 })).map((upload) => upload.id)).toEqual([id]);
        expect(await uploads.completeReceiving(id, stored())).toBeUndefined();
        expect(await uploads.find(id)).toMatchObject({ storageKey: bytes.storageKey });
        expect(await uploads.completeReceiving(newUploadId(), stored())).toBeUndefined();
        const run = (await uploads.claim(id))!;
        expect(run).toMatchObject({ status: 'processing', attempts: 1 });
      });

      it('of simultaneous completions exactly one wins', async () => {
        const { uploads, newTenant } = await make();
        const { id } = await uploads.createReceiving(newReceiving(await newTenant()));
        const outcomes = await Promise.all(Array.from({ length: 6 }, () => uploads.completeReceiving(id, stored())));
        const winners = outcomes.filter((outcome) => outcome !== undefined);
        expect(winners).toHaveLength(1);
        expect(await uploads.find(id)).toMatchObject({ status: 'queued', storageKey: winners[0]!.storageKey });
      });

      it('fails a receiving upload with its reason (refused bytes, expiry) and frees its place; nothing else', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const { id } = await uploads.createReceiving(newReceiving(tenantId));
        expect(await uploads.failReceiving(id, { code: 'upload_expired', message: 'gone' })).toBe(true);
        expect(await uploads.find(id)).toMatchObject({ status: 'failed', error: { code: 'upload_expired', message: 'gone' }, bytes: null, storageKey: null });
        expect((await uploads.find(id))?.completedAt).toBeInstanceOf(Date);
        expect(await uploads.countUnfinished(tenantId)).toBe(0);
        expect(await uploads.failReceiving(id, { code: 'again', message: 'x' })).toBe(false);
        expect(await uploads.completeReceiving(id, stored())).toBeUndefined();
        const queued = await uploads.create(newUpload(tenantId));
        expect(await uploads.failReceiving(queued.id, { code: 'x', message: 'x' })).toBe(false);
        // Failed without bytes: deletable like any final upload.
        expect(await uploads.markDeleted(id)).toBe(true);
      });

      it('cancels a receiving upload only when asked for receiving; its completion then changes nothing', async () => {
        const { uploads, newTenant } = await make();
        const { id } = await uploads.createReceiving(newReceiving(await newTenant()));
        expect(await uploads.markCancelled(id, { from: ['queued', 'processing'] })).toBe(false);
        expect(await uploads.markCancelled(id, { from: ['receiving'] })).toBe(true);
        expect(await uploads.find(id)).toMatchObject({ status: 'cancelled' });
        expect(await uploads.completeReceiving(id, stored())).toBeUndefined();
      });

      it('lists receiving uploads created before a time, oldest first', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const first = await uploads.createReceiving(newReceiving(tenantId));
        await tick();
        const second = await uploads.createReceiving(newReceiving(tenantId));
        await uploads.create(newUpload(tenantId));
        const done = await uploads.createReceiving(newReceiving(tenantId));
        await uploads.completeReceiving(done.id, stored());
        expect((await uploads.listReceiving({ createdBefore: later(), limit: 10 })).map((upload) => upload.id)).toEqual([first.id, second.id]);
        expect((await uploads.listReceiving({ createdBefore: later(), limit: 1 })).map((upload) => upload.id)).toEqual([first.id]);
        expect(await uploads.listReceiving({ createdBefore: earlier(), limit: 10 })).toEqual([]);
      });
    });

    describe('claim, attempts and re-claims', () => {
      it('counts an attempt per claim from queued, and a re-claim of a stalled job apart from attempts', async () => {
        const { uploads, run } = await claimedUpload();
        expect(run).toMatchObject({ status: 'processing', attempts: 1, reclaimCount: 0 });
        expect(typeof run.claimToken).toBe('string');
        const reclaimed = (await uploads.claim(run.id))!;
        // The run before died: its attempt is still the one running, so only the re-claim is counted.
        expect(reclaimed).toMatchObject({ status: 'processing', attempts: 1, reclaimCount: 1 });
        expect(await uploads.find(run.id)).toMatchObject({ attempts: 1, reclaimCount: 1 });
        expect(await uploads.requeue(reclaimed, { refundAttempt: false })).toBe(true);
        expect(await uploads.claim(run.id)).toMatchObject({ attempts: 2, reclaimCount: 1 });
      });

      it('resumes its own previous run without counting an attempt or a re-claim', async () => {
        const { uploads, run } = await claimedUpload();
        // The run stopped because the database was unreachable; the job's next run names its token.
        const resumed = (await uploads.claim(run.id, { resuming: run.claimToken }))!;
        expect(resumed).toMatchObject({ status: 'processing', attempts: 1, reclaimCount: 0 });
        expect(resumed.claimToken).not.toBe(run.claimToken);
        expect(await uploads.markSucceeded(run, RESULT)).toBe(false);
        // A token that is not the current one is a re-claim after all.
        expect(await uploads.claim(run.id, { resuming: run.claimToken })).toMatchObject({ attempts: 1, reclaimCount: 1 });
      });

      it('claims nothing that is unknown or final', async () => {
        const { uploads, run } = await claimedUpload();
        expect(await uploads.claim(newUploadId())).toBeUndefined();
        await uploads.markSucceeded(run, RESULT);
        expect(await uploads.claim(run.id)).toBeUndefined();
        expect(await uploads.find(run.id)).toMatchObject({ status: 'succeeded', attempts: 1 });
      });

      it('refunds the attempt of a rate-limited call and keeps a spent one', async () => {
        const { uploads, run } = await claimedUpload();
        expect(await uploads.requeue(run, { refundAttempt: true })).toBe(true);
        expect(await uploads.find(run.id)).toMatchObject({ status: 'queued', attempts: 0 });
        await uploads.requeue((await uploads.claim(run.id))!, { refundAttempt: false });
        expect(await uploads.find(run.id)).toMatchObject({ status: 'queued', attempts: 1 });
      });
    });

    describe('fencing by claim token', () => {
      it('fences every outcome of a run by its claim: only the newest claimant records one', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const { id } = await uploads.create(newUpload(tenantId));
        const first = (await uploads.claim(id))!;
        // The first claimant's job lock lapsed and the queue handed the job to another worker.
        const second = (await uploads.claim(id))!;
        expect(second.claimToken).not.toBe(first.claimToken);
        expect(await uploads.saveChunkProgress(first, { sessionId: 'stale', offset: 5 })).toBe(false);
        expect(await uploads.recordFetched(first, { bytes: 1, contentType: 'image/jpeg', sha256: 'b'.repeat(64), storageKey: 'stale' })).toBe(false);
        expect(await uploads.requeue(first, { refundAttempt: true })).toBe(false);
        expect(await uploads.markFailed(first, { code: 'provider_rejected', message: 'late' })).toBe(false);
        expect(await uploads.markSucceeded(first, { ...RESULT, publicId: 'stale' })).toBe(false);
        expect(await uploads.find(id)).toMatchObject({ status: 'processing', attempts: 1, reclaimCount: 1, chunkProgress: null, contentType: 'image/png', sha256: 'a'.repeat(64), error: null, result: null });

        expect(await uploads.saveChunkProgress(second, { sessionId: 's', offset: 5 })).toBe(true);
        expect(await uploads.find(id)).toMatchObject({ chunkProgress: { sessionId: 's', offset: 5 } });
        expect(await uploads.requeue(second, { refundAttempt: false })).toBe(true);
        const third = (await uploads.claim(id))!;
        // A requeued run is over too: its token does not come back with the next claim.
        expect(await uploads.markSucceeded(second, RESULT)).toBe(false);
        // Progress survives the requeue, for the next run to resume.
        expect(third.chunkProgress).toEqual({ sessionId: 's', offset: 5 });
        expect(await uploads.markFailed(third, { code: 'provider_rejected', message: 'Invalid image file' })).toBe(true);
        expect(await uploads.find(id)).toMatchObject({ status: 'failed', error: { code: 'provider_rejected', message: 'Invalid image file' } });

        const other = await uploads.create(newUpload(tenantId));
        await uploads.claim(other.id);
        const winner = (await uploads.claim(other.id))!;
        expect(await uploads.markSucceeded(winner, RESULT)).toBe(true);
        expect(await uploads.find(other.id)).toMatchObject({ status: 'succeeded', result: RESULT });
      });

      it('records a success even after a duplicate worker tried to requeue the upload', async () => {
        // Worker A lost its job lock, worker B re-claimed; A then hit a 5xx and tried to requeue the row
        // while B was finishing. A's requeue is refused, and B's success lands.
        const { uploads, run: a } = await claimedUpload();
        const b = (await uploads.claim(a.id))!;
        expect(await uploads.requeue(a, { refundAttempt: false })).toBe(false);
        expect(await uploads.markSucceeded(b, RESULT)).toBe(true);
        expect(await uploads.find(a.id)).toMatchObject({ status: 'succeeded', result: RESULT });
      });

      it('lets exactly one of racing outcomes of one run win', async () => {
        const { uploads, run } = await claimedUpload();
        const outcomes = await Promise.all([uploads.markSucceeded(run, RESULT), uploads.markFailed(run, { code: 'x', message: 'y' }), uploads.markSucceeded(run, RESULT)]);
        expect(outcomes.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('final states', () => {
      it('never lets a late worker overwrite a final state', async () => {
        const { uploads, run } = await claimedUpload();
        expect(await uploads.markSucceeded(run, RESULT)).toBe(true);
        expect(await uploads.claim(run.id)).toBeUndefined();
        expect(await uploads.markFailed(run, { code: 'x', message: 'late' })).toBe(false);
        expect(await uploads.failUnfinished(run.id, { code: 'x', message: 'late' })).toBe(false);
        expect(await uploads.markSucceeded(run, { ...RESULT, publicId: 'other' })).toBe(false);
        expect(await uploads.requeue(run, { refundAttempt: true })).toBe(false);
        expect(await uploads.markCancelled(run.id)).toBe(false);
        const final = await uploads.find(run.id);
        expect(final).toMatchObject({ status: 'succeeded', result: RESULT, error: null });
        expect(final?.completedAt).toBeInstanceOf(Date);
      });

      it('fails from queued or processing, whoever runs it, when the failure is decided outside a run', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const queued = await uploads.create(newUpload(tenantId));
        expect(await uploads.failUnfinished(queued.id, { code: 'provider_rejected', message: 'Invalid Signature' })).toBe(true);
        const failed = await uploads.find(queued.id);
        expect(failed).toMatchObject({ status: 'failed', error: { code: 'provider_rejected', message: 'Invalid Signature' } });
        expect(failed?.completedAt).toBeInstanceOf(Date);
        const processing = await uploads.create(newUpload(tenantId));
        await uploads.claim(processing.id);
        expect(await uploads.failUnfinished(processing.id, { code: RECLAIMS_EXHAUSTED, message: 'Gave up: stalled' })).toBe(true);
        expect(await uploads.find(processing.id)).toMatchObject({ status: 'failed', error: { code: RECLAIMS_EXHAUSTED } });
        expect(await uploads.failUnfinished(processing.id, { code: 'x', message: 'again' })).toBe(false);
        expect(await uploads.failUnfinished(newUploadId(), { code: 'x', message: 'nobody' })).toBe(false);
      });

      it('cancels a running upload only when asked to, and never a final one', async () => {
        const { uploads, run } = await claimedUpload();
        expect(await uploads.markCancelled(run.id, { from: ['queued'] })).toBe(false);
        expect(await uploads.markCancelled(run.id, { from: [] })).toBe(false);
        expect(await uploads.markCancelled(run.id, { from: ['processing'] })).toBe(true);
        const cancelled = await uploads.find(run.id);
        expect(cancelled).toMatchObject({ status: 'cancelled' });
        expect(cancelled?.completedAt).toBeInstanceOf(Date);
        // The worker finds out at its next step.
        expect(await uploads.saveChunkProgress(run, { sessionId: 's', offset: 5 })).toBe(false);
        expect(await uploads.markSucceeded(run, RESULT)).toBe(false);
        expect(await uploads.markCancelled(run.id)).toBe(false);
      });

      it('cancels a queued upload by default', async () => {
        const { uploads, newTenant } = await make();
        const { id } = await uploads.create(newUpload(await newTenant()));
        expect(await uploads.markDeleted(id)).toBe(false);
        expect(await uploads.markCancelled(id)).toBe(true);
        expect(await uploads.find(id)).toMatchObject({ status: 'cancelled' });
        expect(await uploads.claim(id)).toBeUndefined();
      });
    });

    describe('retry and delete', () => {
      it('reopens only failed uploads for another round, with fresh attempts, out of the queue until enqueued', async () => {
        const { uploads, run } = await claimedUpload();
        const { id } = run;
        expect(await uploads.reopenForRetry(id)).toBe(false);
        expect(await uploads.saveChunkProgress(run, { sessionId: 'old-session', offset: 5 })).toBe(true);
        await uploads.markEnqueued(id);
        await uploads.markFailed((await uploads.claim(id))!, { code: RECLAIMS_EXHAUSTED, message: 'gave up' });
        expect(await uploads.reopenForRetry(id)).toBe(true);
        // A new round starts a new provider session: the old one has likely expired.
        expect(await uploads.find(id)).toMatchObject({ status: 'queued', attempts: 0, reclaimCount: 0, retryCount: 1, error: null, completedAt: null, enqueuedAt: null, chunkProgress: null });
        expect(await uploads.reopenForRetry(id)).toBe(false);
        expect((await uploads.listOutbox({ before: later(), limit: 10 })).map((upload) => upload.id)).toEqual([id]);
        expect(await uploads.reopenForRetry(newUploadId())).toBe(false);
      });

      it('deletes only finished uploads, idempotently, keeping the first deletion time and the record', async () => {
        const { uploads, run } = await claimedUpload();
        expect(await uploads.markDeleted(run.id)).toBe(false);
        await uploads.markSucceeded(run, RESULT);
        expect(await uploads.markDeleted(run.id)).toBe(true);
        const deleted = await uploads.find(run.id);
        expect(deleted).toMatchObject({ status: 'deleted', result: RESULT });
        expect(deleted?.deletedAt).toBeInstanceOf(Date);
        expect(deleted?.completedAt).toBeInstanceOf(Date);
        await tick();
        expect(await uploads.markDeleted(run.id)).toBe(true);
        expect((await uploads.find(run.id))?.deletedAt).toEqual(deleted?.deletedAt);
        expect(await uploads.markDeleted(newUploadId())).toBe(false);
        expect(await uploads.reopenForRetry(run.id)).toBe(false);
      });

      it('deletes failed and cancelled uploads too, keeping the error', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const failed = await uploads.create(newUpload(tenantId));
        await uploads.failUnfinished(failed.id, { code: 'provider_rejected', message: 'no' });
        const cancelled = await uploads.create(newUpload(tenantId));
        await uploads.markCancelled(cancelled.id);
        expect(await uploads.markDeleted(failed.id)).toBe(true);
        expect(await uploads.markDeleted(cancelled.id)).toBe(true);
        expect(await uploads.find(failed.id)).toMatchObject({ status: 'deleted', error: { code: 'provider_rejected' } });
        expect(await uploads.find(cancelled.id)).toMatchObject({ status: 'deleted' });
      });
    });

    describe('listing', () => {
      it('lists a tenant\u2019s uploads newest first, by keyset pages', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push((await uploads.create(newUpload(tenantId))).id);
          await tick();
        }
        await uploads.create(newUpload(await newTenant()));
        const newestFirst = [...ids].reverse();
        const first = await uploads.list({ tenantId, limit: 2 });
        expect(first.map((upload) => upload.id)).toEqual(newestFirst.slice(0, 2));
        const second = await uploads.list({ tenantId, limit: 2, beforeId: first.at(-1)!.id });
        expect(second.map((upload) => upload.id)).toEqual(newestFirst.slice(2, 4));
        const last = await uploads.list({ tenantId, limit: 2, beforeId: second.at(-1)!.id });
        expect(last.map((upload) => upload.id)).toEqual(newestFirst.slice(4));
      });

      it('filters by status, tag and creation time', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const tagged = await uploads.create(newUpload(tenantId, { tags: ['red', 'big'] }));
        await tick();
        const plain = await uploads.create(newUpload(tenantId, { tags: [] }));
        await uploads.failUnfinished(plain.id, { code: 'x', message: 'y' });
        const ids = async (query: Partial<Parameters<UploadRepository['list']>[0]>) => (await uploads.list({ tenantId, limit: 10, ...query })).map((upload) => upload.id);
        expect(await ids({ status: 'failed' })).toEqual([plain.id]);
        expect(await ids({ status: 'queued' })).toEqual([tagged.id]);
        expect(await ids({ tag: 'big' })).toEqual([tagged.id]);
        expect(await ids({ tag: 'bi' })).toEqual([]);
        expect(await ids({ createdAfter: earlier() })).toEqual([plain.id, tagged.id]);
        expect(await ids({ createdAfter: later() })).toEqual([]);
        expect(await ids({ createdBefore: later() })).toEqual([plain.id, tagged.id]);
        expect(await ids({ createdBefore: earlier() })).toEqual([]);
      });

      it("finds the tenant's most recent succeeded upload of the same bytes", async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const sha256 = 'c'.repeat(64);
        expect(await uploads.findSucceededBySha256(tenantId, sha256, 'cloudinary')).toBeUndefined();
        const older = await uploads.create(newUpload(tenantId, { sha256 }));
        await uploads.markSucceeded((await uploads.claim(older.id))!, RESULT);
        await tick();
        const newer = await uploads.create(newUpload(tenantId, { sha256 }));
        await uploads.markSucceeded((await uploads.claim(newer.id))!, RESULT);
        await uploads.create(newUpload(tenantId, { sha256 }));
        expect(await uploads.findSucceededBySha256(tenantId, sha256, 'cloudinary')).toMatchObject({ id: newer.id, status: 'succeeded' });
        expect(await uploads.findSucceededBySha256(await newTenant(), sha256, 'cloudinary')).toBeUndefined();
        expect(await uploads.findSucceededBySha256(tenantId, 'd'.repeat(64), 'cloudinary')).toBeUndefined();
        // The same bytes on another provider are another asset.
        expect(await uploads.findSucceededBySha256(tenantId, sha256, 'imagekit')).toBeUndefined();
        const elsewhere = await uploads.create(newUpload(tenantId, { sha256, provider: 'imagekit' }));
        await uploads.markSucceeded((await uploads.claim(elsewhere.id))!, { ...RESULT, provider: 'imagekit' });
        expect(await uploads.findSucceededBySha256(tenantId, sha256, 'imagekit')).toMatchObject({ id: elsewhere.id, provider: 'imagekit' });
        expect(await uploads.findSucceededBySha256(tenantId, sha256, 'cloudinary')).toMatchObject({ id: newer.id });
      });

      it('counts queued and processing uploads of one tenant as unfinished', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const a = await uploads.create(newUpload(tenantId));
        const b = await uploads.create(newUpload(tenantId));
        const c = await uploads.create(newUpload(tenantId));
        await uploads.claim(b.id);
        await uploads.markCancelled(c.id);
        await uploads.create(newUpload(await newTenant()));
        expect(await uploads.countUnfinished(tenantId)).toBe(2);
        await uploads.failUnfinished(a.id, { code: 'x', message: 'y' });
        expect(await uploads.countUnfinished(tenantId)).toBe(1);
        expect(await uploads.countUnfinished(await newTenant())).toBe(0);
      });
    });

    describe('the outbox and the reconciler', () => {
      it('keeps queued uploads whose job never reached the queue in the outbox, oldest first, until enqueued', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const first = await uploads.create(newUpload(tenantId));
        await tick();
        const second = await uploads.create(newUpload(tenantId));
        await tick();
        const third = await uploads.create(newUpload(tenantId));
        const outbox = async (limit = 10) => (await uploads.listOutbox({ before: later(), limit })).map((upload) => upload.id);
        expect(await outbox()).toEqual([first.id, second.id, third.id]);
        expect(await outbox(2)).toEqual([first.id, second.id]);
        expect(await uploads.listOutbox({ before: earlier(), limit: 10 })).toEqual([]);
        await uploads.markEnqueued(first.id);
        const enqueuedAt = (await uploads.find(first.id))?.enqueuedAt;
        expect(enqueuedAt).toBeInstanceOf(Date);
        await tick();
        await uploads.markEnqueued(first.id);
        expect((await uploads.find(first.id))?.enqueuedAt).toEqual(enqueuedAt);
        await uploads.markCancelled(second.id);
        // Only queued uploads wait in the outbox.
        expect(await outbox()).toEqual([third.id]);
      });

      it('lists unfinished uploads last changed before a time, in id order after a cursor', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const ids: string[] = [];
        for (let i = 0; i < 4; i++) ids.push((await uploads.create(newUpload(await newTenant()))).id);
        await uploads.claim(ids[1]!);
        const done = await uploads.create(newUpload(tenantId));
        await uploads.failUnfinished(done.id, { code: 'x', message: 'y' });
        const page = async (afterId?: string) => (await uploads.listUnfinished({ before: later(), limit: 3, afterId })).map((upload) => upload.id);
        const sorted = [...ids].sort();
        expect(await page()).toEqual(sorted.slice(0, 3));
        expect(await page(sorted[2])).toEqual(sorted.slice(3));
        expect(await uploads.listUnfinished({ before: earlier(), limit: 10 })).toEqual([]);
      });

      it('tells which temp objects are still needed: unfinished uploads, and retryable failures within the retention', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const create = async () => uploads.create(newUpload(tenantId));
        const queued = await create();
        const processing = await create();
        await uploads.claim(processing.id);
        const exhausted = await create();
        await uploads.failUnfinished(exhausted.id, { code: ATTEMPTS_EXHAUSTED, message: 'gave up' });
        const reclaims = await create();
        await uploads.failUnfinished(reclaims.id, { code: RECLAIMS_EXHAUSTED, message: 'gave up' });
        const rejected = await create();
        await uploads.failUnfinished(rejected.id, { code: 'provider_rejected', message: 'no' });
        const succeeded = await create();
        await uploads.markSucceeded((await uploads.claim(succeeded.id))!, RESULT);
        const cancelled = await create();
        await uploads.markCancelled(cancelled.id);
        const all = [queued, processing, exhausted, reclaims, rejected, succeeded, cancelled].map((upload) => upload.storageKey!);
        const unknown = storageKey();
        const keys = [...all, unknown];

        expect(await uploads.storageKeysInUse(keys)).toEqual(new Set([queued.storageKey, processing.storageKey]));
        expect(await uploads.storageKeysInUse(keys, { keepFailedSince: earlier() })).toEqual(new Set([queued.storageKey, processing.storageKey, exhausted.storageKey, reclaims.storageKey]));
        // The retention ran out.
        expect(await uploads.storageKeysInUse(keys, { keepFailedSince: later() })).toEqual(new Set([queued.storageKey, processing.storageKey]));
        expect(await uploads.storageKeysInUse([])).toEqual(new Set());
        expect(await uploads.storageKeysInUse([unknown, exhausted.storageKey!])).toEqual(new Set());
      });
    });

    describe('asset ownership at a public id', () => {
      it('lets an upload that succeeded later, or one a worker is producing, hold the asset', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const publicId = `${tenantId}/shared`;
        const mine = await uploads.create(newUpload(tenantId, { publicId }));
        await uploads.markSucceeded((await uploads.claim(mine.id))!, { ...RESULT, publicId });
        const since = (await uploads.find(mine.id))!.completedAt!;
        // Nobody else writes there yet.
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'cloudinary', publicId }, since)).toBe(false);

        await tick();
        const other = await uploads.create(newUpload(tenantId, { publicId }));
        // Queued: no worker has touched the asset.
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'cloudinary', publicId }, since)).toBe(false);
        const run = (await uploads.claim(other.id))!;
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'cloudinary', publicId }, since)).toBe(true);
        await uploads.markSucceeded(run, { ...RESULT, publicId });
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'cloudinary', publicId }, since)).toBe(true);
        // Against a success after it, it does not hold it; nor under another public id; nor against itself.
        // (A millisecond on: a store may keep finer times than Date holds.)
        const afterOther = new Date((await uploads.find(other.id))!.completedAt!.getTime() + 1);
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'cloudinary', publicId }, afterOther)).toBe(false);
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'cloudinary', publicId: `${tenantId}/elsewhere` }, since)).toBe(false);
        expect(await uploads.otherUploadOwnsAsset(other.id, { provider: 'cloudinary', publicId }, new Date(0))).toBe(true);
        // The same public id on another provider is another asset.
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'imagekit', publicId }, since)).toBe(false);
        await uploads.markDeleted(mine.id);
        expect(await uploads.otherUploadOwnsAsset(other.id, { provider: 'cloudinary', publicId }, new Date(0))).toBe(false);
      });

      it('counts the mirror copies of a succeeded upload as its assets too', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const publicId = `${tenantId}/mirrored`;
        const mine = await uploads.create(newUpload(tenantId, { publicId }));
        await uploads.markSucceeded((await uploads.claim(mine.id))!, { ...RESULT, publicId });
        await tick();
        const other = await uploads.create(newUpload(tenantId, { publicId }));
        await uploads.markSucceeded((await uploads.claim(other.id))!, { ...RESULT, publicId, mirrors: [{ ...RESULT, publicId, provider: 'imagekit' }] });
        const since = (await uploads.find(mine.id))!.completedAt!;
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'imagekit', publicId }, since)).toBe(true);
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'cloudflare', publicId }, since)).toBe(false);
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'imagekit', publicId: `${tenantId}/elsewhere` }, since)).toBe(false);
      });

      it('counts where an asset landed, and where a running upload was sent', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const publicId = `${tenantId}/moved`;
        const mine = await uploads.create(newUpload(tenantId, { publicId }));
        // Sent to Cloudinary, landed on ImageKit (a failover): it holds the ImageKit asset.
        const other = await uploads.create(newUpload(tenantId, { publicId }));
        await uploads.markSucceeded((await uploads.claim(other.id))!, { ...RESULT, publicId, provider: 'imagekit' });
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'imagekit', publicId }, new Date(0))).toBe(true);
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'cloudinary', publicId }, new Date(0))).toBe(false);
        const running = await uploads.create(newUpload(tenantId, { publicId, provider: 'cloudflare' }));
        await uploads.claim(running.id);
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'cloudflare', publicId }, new Date(0))).toBe(true);
      });

      it('does not let failed or cancelled uploads hold the asset', async () => {
        const { uploads, newTenant } = await make();
        const tenantId = await newTenant();
        const publicId = `${tenantId}/shared`;
        const mine = await uploads.create(newUpload(tenantId, { publicId }));
        const failed = await uploads.create(newUpload(tenantId, { publicId }));
        await uploads.markFailed((await uploads.claim(failed.id))!, { code: 'provider_rejected', message: 'no' });
        const cancelled = await uploads.create(newUpload(tenantId, { publicId }));
        await uploads.claim(cancelled.id);
        await uploads.markCancelled(cancelled.id);
        expect(await uploads.otherUploadOwnsAsset(mine.id, { provider: 'cloudinary', publicId }, new Date(0))).toBe(false);
      });
    });
  });
}
