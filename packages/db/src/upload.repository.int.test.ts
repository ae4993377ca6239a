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
    provider: 'cloudinary',
    tags: ['a', 'b'],
    ...overrides,
  };
}

// The port's contract (transitions, fencing, counting, idempotency, the cap, listings) is
// upload.repository.conformance.test.ts; these are Postgres's own: constraints, connection errors,
// and the cap's advisory lock across pools.
describe('KyselyUploadRepository', () => {
  it('reports an unreachable database as StoreUnavailableError', async () => {
    const nowhere = createDatabase({ url: 'postgres://postgres@127.0.0.1:1/nothing' });
    const error = await new KyselyUploadRepository(nowhere).find(newUploadId()).catch((caught: unknown) => caught);
    await nowhere.destroy();
    expect(error).toBeInstanceOf(StoreUnavailableError);
  });

  it('enforces its named constraints', async () => {
    await expect(repo.create(newUpload({ sha256: 'not-hex' }))).rejects.toThrow(/upload_sha256_check/);
    await expect(repo.create(newUpload({ bytes: 0 }))).rejects.toThrow(/upload_bytes_check/);
    const upload = newUpload();
    await repo.create(upload);
    await expect(repo.create(upload)).rejects.toThrow(/upload_pkey/);
  });
});

describe('migration 0016 (providers) during a rolling deploy', () => {
  it('takes an upload created by code from before it — no provider named — as Cloudinary’s, by insert and by hoist_create_upload', async () => {
    const [inserted, counted] = [newUploadId(), newUploadId()];
    await sql`insert into upload (id, tenant_id, status, filename, bytes, content_type, sha256, storage_key, public_id)
      values (${inserted}, 'default', 'queued', 'a.png', 1, 'image/png', ${'a'.repeat(64)}, ${inserted}, ${inserted})`.execute(db);
    const row = JSON.stringify({ id: counted, tenant_id: 'default', status: 'queued', filename: 'a.png', bytes: 1, content_type: 'image/png', sha256: 'a'.repeat(64), storage_key: counted, public_id: counted, tags: [], eager: [], resource_type: 'auto', result: null });
    await sql`select * from hoist_create_upload(${row}::jsonb, 1000, ${TENANT_LOCKS.unfinishedUploads}::int4, '1s')`.execute(db);
    expect((await repo.find(inserted))?.provider).toBe('cloudinary');
    expect((await repo.find(counted))?.provider).toBe('cloudinary');
  });
});

describe('markEnqueued', () => {
  it('marks every one of a burst of uploads, in a few statements rather than one each', async () => {
    const uploads = await Promise.all(Array.from({ length: 30 }, async () => (await repo.create(newUpload())).id));
    const statements: string[] = [];
    const counting = new KyselyUploadRepository(db.withPlugin({ transformQuery: (args) => (statements.push(args.node.kind), args.node), transformResult: (args) => Promise.resolve(args.result) }));
    await Promise.all(uploads.map((id) => counting.markEnqueued(id)));
    const outbox = await db.selectFrom('upload').select('id').where('id', 'in', uploads).where('enqueuedAt', 'is', null).execute();
    expect(outbox).toEqual([]);
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.length).toBeLessThanOrEqual(2);
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
});
