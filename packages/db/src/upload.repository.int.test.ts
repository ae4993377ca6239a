import { IdempotencyKeyUsedError, newUploadId, StoreUnavailableError, TooManyUnfinishedUploadsError, type NewUpload } from '@hoist/core';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createDatabase } from './database.js';
import { TENANT_LOCKS } from './tenant-lock.js';
import { KyselyUploadRepository } from './upload.repository.js';

const { db, url } = useTestDatabase();
const repo = new KyselyUploadRepository(db);

function newUpload(overrides: Partial<NewUpload> = {}): NewUpload {
  const id = newUploadId();
  return {
    id,
    tenantId: 'default',
    filename: 'cat.png',
    bytes: 5_000_000_000,
    contentType: 'image/png',
    sha256: 'a'.repeat(64),
    storageKey: '3f1c1c7e-0000-4000-8000-000000000000',
    publicId: id,
    tags: ['a', 'b'],
    ...overrides,
  };
}

const result = {
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

describe('KyselyUploadRepository', () => {
  it('creates a queued upload and reads it back with numbers as numbers', async () => {
    const created = await repo.create(newUpload());
    const found = await repo.find(created.id);
    expect(found).toMatchObject({ status: 'queued', attempts: 0, bytes: 5_000_000_000, tags: ['a', 'b'], result: null, error: null });
    expect(typeof found?.bytes).toBe('number');
    expect(found?.createdAt).toBeInstanceOf(Date);
  });

  it('returns undefined for an unknown id', async () => {
    expect(await repo.find(newUploadId())).toBeUndefined();
  });

  it('counts an attempt per claim from queued, and a re-claim of a stalled job apart from attempts', async () => {
    const { id } = await repo.create(newUpload());
    expect(await repo.claim(id)).toMatchObject({ attempts: 1, reclaimCount: 0 });
    const reclaimed = await repo.claim(id);
    // The run before died: its attempt is still the one running, so only the re-claim is counted.
    expect(reclaimed).toMatchObject({ status: 'processing', attempts: 1, reclaimCount: 1 });
    expect(await repo.find(id)).toMatchObject({ attempts: 1, reclaimCount: 1 });
    expect(await repo.requeue(reclaimed!, { refundAttempt: false })).toBe(true);
    expect(await repo.claim(id)).toMatchObject({ attempts: 2, reclaimCount: 1 });
  });

  it('fences every outcome of a run by its claim: only the newest claimant records one', async () => {
    const { id } = await repo.create(newUpload());
    const first = (await repo.claim(id))!;
    // The first claimant's job lock lapsed and the queue handed the job to another worker.
    const second = (await repo.claim(id))!;
    expect(second.claimToken).not.toBe(first.claimToken);
    expect(await repo.saveChunkProgress(first, { sessionId: 'stale', offset: 5 })).toBe(false);
    expect(await repo.recordFetched(first, { bytes: 1, contentType: 'image/png', sha256: 'b'.repeat(64), storageKey: 'stale' })).toBe(false);
    expect(await repo.requeue(first, { refundAttempt: true })).toBe(false);
    expect(await repo.markFailed(first, { code: 'provider_rejected', message: 'late' })).toBe(false);
    expect(await repo.markSucceeded(first, { ...result, publicId: 'stale' })).toBe(false);
    expect(await repo.find(id)).toMatchObject({ status: 'processing', attempts: 1, reclaimCount: 1, chunkProgress: null, contentType: 'image/png', sha256: 'a'.repeat(64), error: null, result: null });

    expect(await repo.saveChunkProgress(second, { sessionId: 's', offset: 5 })).toBe(true);
    expect(await repo.requeue(second, { refundAttempt: false })).toBe(true);
    const third = (await repo.claim(id))!;
    // A requeued run is over too: its token does not come back with the next claim.
    expect(await repo.markSucceeded(second, result)).toBe(false);
    expect(await repo.markFailed(third, { code: 'provider_rejected', message: 'Invalid image file' })).toBe(true);
    expect(await repo.find(id)).toMatchObject({ status: 'failed', error: { code: 'provider_rejected' } });

    const other = await repo.create(newUpload());
    await repo.claim(other.id);
    const winner = (await repo.claim(other.id))!;
    expect(await repo.markSucceeded(winner, result)).toBe(true);
    expect(await repo.find(other.id)).toMatchObject({ status: 'succeeded', result });
  });

  it('refunds the attempt of a rate-limited call and keeps a spent one', async () => {
    const { id } = await repo.create(newUpload());
    expect(await repo.requeue((await repo.claim(id))!, { refundAttempt: true })).toBe(true);
    expect(await repo.find(id)).toMatchObject({ status: 'queued', attempts: 0 });
    await repo.requeue((await repo.claim(id))!, { refundAttempt: false });
    expect(await repo.find(id)).toMatchObject({ status: 'queued', attempts: 1 });
  });

  it('never lets a late worker overwrite a final state', async () => {
    const { id } = await repo.create(newUpload());
    const run = (await repo.claim(id))!;
    expect(await repo.markSucceeded(run, result)).toBe(true);
    expect(await repo.claim(id)).toBeUndefined();
    expect(await repo.markFailed(run, { code: 'x', message: 'late' })).toBe(false);
    expect(await repo.failUnfinished(id, { code: 'x', message: 'late' })).toBe(false);
    expect(await repo.markSucceeded(run, { ...result, publicId: 'other' })).toBe(false);
    expect(await repo.requeue(run, { refundAttempt: true })).toBe(false);
    const final = await repo.find(id);
    expect(final).toMatchObject({ status: 'succeeded', result, error: null });
    expect(final?.completedAt).toBeInstanceOf(Date);
  });

  it('fails from queued or processing, whoever runs it, when the failure is decided outside a run', async () => {
    const queued = await repo.create(newUpload());
    expect(await repo.failUnfinished(queued.id, { code: 'provider_rejected', message: 'Invalid Signature' })).toBe(true);
    expect(await repo.find(queued.id)).toMatchObject({ status: 'failed', error: { code: 'provider_rejected', message: 'Invalid Signature' } });
    const processing = await repo.create(newUpload());
    await repo.claim(processing.id);
    expect(await repo.failUnfinished(processing.id, { code: 'attempts_exhausted', message: 'Gave up: stalled' })).toBe(true);
    expect(await repo.find(processing.id)).toMatchObject({ status: 'failed' });
  });

  it('records a success even after a duplicate worker tried to requeue the upload', async () => {
    // Worker A lost its job lock, worker B re-claimed; A then hit a 5xx and tried to requeue the row
    // while B was finishing. A's requeue is refused, and B's success lands.
    const { id } = await repo.create(newUpload());
    const a = (await repo.claim(id))!;
    const b = (await repo.claim(id))!;
    expect(await repo.requeue(a, { refundAttempt: false })).toBe(false);
    expect(await repo.markSucceeded(b, result)).toBe(true);
    expect(await repo.find(id)).toMatchObject({ status: 'succeeded', result });
  });

  it('reports an unreachable database as StoreUnavailableError', async () => {
    const nowhere = createDatabase({ url: 'postgres://postgres@127.0.0.1:1/nothing' });
    const error = await new KyselyUploadRepository(nowhere).find(newUploadId()).catch((caught: unknown) => caught);
    await nowhere.destroy();
    expect(error).toBeInstanceOf(StoreUnavailableError);
  });

  it('lets exactly one of two racing claims-to-final win', async () => {
    const { id } = await repo.create(newUpload());
    const run = (await repo.claim(id))!;
    const outcomes = await Promise.all([
      repo.markSucceeded(run, result),
      repo.markFailed(run, { code: 'x', message: 'y' }),
      repo.markSucceeded(run, result),
    ]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
  });

  it('enforces its named constraints', async () => {
    await expect(repo.create(newUpload({ sha256: 'not-hex' }))).rejects.toThrow(/upload_sha256_check/);
    await expect(repo.create(newUpload({ bytes: 0 }))).rejects.toThrow(/upload_bytes_check/);
    const upload = newUpload();
    await repo.create(upload);
    await expect(repo.create(upload)).rejects.toThrow(/upload_pkey/);
  });

  it('keeps metadata keys exactly as given (no camelCasing inside JSON)', async () => {
    const created = await repo.create({ ...newUpload(), metadata: { camera_model: 'X100', 'focal-length': 23, isRaw: false } });
    expect((await repo.find(created.id))?.metadata).toEqual({ camera_model: 'X100', 'focal-length': 23, isRaw: false });
  });

  it('stores a URL upload without bytes until a worker records what it fetched', async () => {
    const id = newUploadId();
    await repo.create({ id, tenantId: 'default', filename: 'a.jpg', publicId: id, tags: [], sourceUrl: 'https://example.com/a.jpg' });
    expect(await repo.find(id)).toMatchObject({ sourceUrl: 'https://example.com/a.jpg', bytes: null, sha256: null, contentType: null, storageKey: null });
    const fetched = { bytes: 10, contentType: 'image/jpeg', sha256: 'f'.repeat(64), storageKey: '3f1c1c7e-0000-4000-8000-00000000000f' };
    // Only a claimed (processing) upload can record its bytes.
    expect(await repo.recordFetched({ id, claimToken: '00000000-0000-4000-8000-000000000000' }, fetched)).toBe(false);
    const run = (await repo.claim(id))!;
    expect(await repo.recordFetched(run, fetched)).toBe(true);
    expect(await repo.find(id)).toMatchObject(fetched);
  });

  it('retries only failed uploads, with fresh attempts, and deletes only finished ones', async () => {
    const { id } = await repo.create(newUpload());
    expect(await repo.markRetrying(id)).toBe(false);
    expect(await repo.markDeleted(id)).toBe(false);
    await repo.claim(id);
    await repo.markFailed((await repo.claim(id))!, { code: 'reclaims_exhausted', message: 'gave up' });
    expect(await repo.markRetrying(id)).toBe(true);
    expect(await repo.find(id)).toMatchObject({ status: 'queued', attempts: 0, reclaimCount: 0, retryCount: 1, error: null, completedAt: null, enqueuedAt: null });
    await repo.markSucceeded((await repo.claim(id))!, result);
    expect(await repo.markDeleted(id)).toBe(true);
    const deleted = await repo.find(id);
    expect(deleted).toMatchObject({ status: 'deleted', result });
    // Repeating keeps the first deletion time.
    expect(await repo.markDeleted(id)).toBe(true);
    expect((await repo.find(id))?.deletedAt).toEqual(deleted?.deletedAt);
  });

  it('cancels a running upload only when asked to, and never a final one', async () => {
    const { id } = await repo.create(newUpload());
    const run = (await repo.claim(id))!;
    expect(await repo.markCancelled(id, { from: ['queued'] })).toBe(false);
    expect(await repo.markCancelled(id, { from: ['processing'] })).toBe(true);
    expect(await repo.saveChunkProgress(run, { sessionId: 's', offset: 5 })).toBe(false);
    expect(await repo.markSucceeded(run, result)).toBe(false);
    expect(await repo.markCancelled(id)).toBe(false);
  });
});

describe('the unfinished-uploads cap', () => {
  async function tenant(): Promise<string> {
    const id = `capped-${newUploadId()}`;
    await db.insertInto('tenant').values({ id }).execute();
    return id;
  }

  it('holds under concurrency: 40 simultaneous creates against a cap of 5 make exactly 5 uploads', async () => {
    const tenantId = await tenant();
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => repo.create(newUpload({ tenantId }), { maxUnfinished: 5 })));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(5);
    const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    expect(refusals).toHaveLength(35);
    for (const refusal of refusals) expect(refusal).toBeInstanceOf(TooManyUnfinishedUploadsError);
    expect(await repo.countUnfinished(tenantId)).toBe(5);
    expect(await db.selectFrom('upload').select('id').where('tenantId', '=', tenantId).execute()).toHaveLength(5);
  });

  it('holds across processes: four repositories on pools of their own (API replicas) racing 40 creates against a cap of 5 make exactly 5', async () => {
    const tenantId = await tenant();
    const pools = Array.from({ length: 4 }, () => createDatabase({ url }));
    try {
      const replicas = pools.map((pool) => new KyselyUploadRepository(pool));
      const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => replicas[i % 4]!.create(newUpload({ tenantId }), { maxUnfinished: 5 })));
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(5);
      expect(outcomes.filter((outcome) => outcome.status === 'rejected' && outcome.reason instanceof TooManyUnfinishedUploadsError)).toHaveLength(35);
      expect(await repo.countUnfinished(tenantId)).toBe(5);
    } finally {
      await Promise.all(pools.map((pool) => pool.destroy()));
    }
  });

  it("answers 'unavailable' within the lock timeout while a hung holder keeps the tenant's lock, and works again once it lets go", async () => {
    const tenantId = await tenant();
    const other = createDatabase({ url });
    try {
      let letGo!: () => void;
      const hung = other.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${TENANT_LOCKS.unfinishedUploads}::int4, hashtext(${tenantId}))`.execute(trx);
        await new Promise<void>((resolve) => (letGo = resolve));
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      await expect(repo.create(newUpload({ tenantId }), { maxUnfinished: 5 })).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(9_000);
      letGo();
      await hung;
      await expect(repo.create(newUpload({ tenantId }), { maxUnfinished: 5 })).resolves.toMatchObject({ status: 'queued' });
    } finally {
      await other.destroy();
    }
  }, 20_000);

  it("queues one tenant's burst in the process, not on pooled connections waiting for its lock", async () => {
    const tenantId = await tenant();
    let done = false;
    let mostWaiting = 0;
    const poll = (async () => {
      while (!done) {
        const { rows } = await sql<{ n: string }>`
          select count(*) as n from pg_locks
          where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`.execute(db);
        mostWaiting = Math.max(mostWaiting, Number(rows[0]?.n ?? 0));
      }
    })();
    await Promise.all(Array.from({ length: 40 }, () => repo.create(newUpload({ tenantId }), { maxUnfinished: 100 })));
    done = true;
    await poll;
    // Each connection waiting for the tenant's lock is one another tenant's query cannot use.
    expect(mostWaiting).toBe(0);
    expect(await repo.countUnfinished(tenantId)).toBe(40);
  });

  it('frees a place when an upload finishes, and leaves other tenants alone', async () => {
    const tenantId = await tenant();
    const first = await repo.create(newUpload({ tenantId }), { maxUnfinished: 1 });
    await expect(repo.create(newUpload({ tenantId }), { maxUnfinished: 1 })).rejects.toBeInstanceOf(TooManyUnfinishedUploadsError);
    await expect(repo.create(newUpload({ tenantId: await tenant() }), { maxUnfinished: 1 })).resolves.toMatchObject({ status: 'queued' });
    await repo.markSucceeded((await repo.claim(first.id))!, result);
    await expect(repo.create(newUpload({ tenantId }), { maxUnfinished: 1 })).resolves.toMatchObject({ status: 'queued' });
  });

  it('answers a replayed Idempotency-Key with the original upload, not the cap', async () => {
    const tenantId = await tenant();
    const idempotency = { key: 'same', fingerprint: 'f1' };
    const original = await repo.create(newUpload({ tenantId }), { idempotency, maxUnfinished: 1 });
    const replay = await repo.create(newUpload({ tenantId }), { idempotency, maxUnfinished: 1 }).catch((error: unknown) => error);
    expect(replay).toBeInstanceOf(IdempotencyKeyUsedError);
    expect(replay).toMatchObject({ uploadId: original.id, sameRequest: true });
    // A new key at the cap is refused, and records no key.
    await expect(repo.create(newUpload({ tenantId }), { idempotency: { key: 'other', fingerprint: 'f2' }, maxUnfinished: 1 })).rejects.toBeInstanceOf(TooManyUnfinishedUploadsError);
    expect(await db.selectFrom('idempotencyKey').select('key').where('tenantId', '=', tenantId).execute()).toEqual([{ key: 'same' }]);
  });

  it('refuses a retry that would pass the cap, and counts simultaneous retries atomically', async () => {
    const tenantId = await tenant();
    const failed: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { id } = await repo.create(newUpload({ tenantId }));
      await repo.failUnfinished(id, { code: 'attempts_exhausted', message: 'x' });
      failed.push(id);
    }
    const outcomes = await Promise.allSettled(failed.map((id) => repo.markRetrying(id, { maxUnfinished: 2 })));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled' && outcome.value)).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected' && outcome.reason instanceof TooManyUnfinishedUploadsError)).toHaveLength(4);
    expect(await repo.countUnfinished(tenantId)).toBe(2);
    const refused = await db.selectFrom('upload').select(['status', 'retryCount']).where('tenantId', '=', tenantId).where('status', '=', 'failed').execute();
    expect(refused).toEqual(Array.from({ length: 4 }, () => ({ status: 'failed', retryCount: 0 })));
    // Not failed is still "not retried", not "over the cap".
    const [queued] = await db.selectFrom('upload').select('id').where('tenantId', '=', tenantId).where('status', '=', 'queued').execute();
    expect(await repo.markRetrying(queued!.id, { maxUnfinished: 2 })).toBe(false);
  });
});
