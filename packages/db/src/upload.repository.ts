import { FINAL_STATUSES, IdempotencyKeyUsedError, OPEN_STATUSES, RETRYABLE_FAILURE_CODES, TooManyUnfinishedUploadsError, UNFINISHED_STATUSES, type ChunkProgress, type ClaimedUpload, type UploadRun, type FetchedBytes, type EagerPreset, type UploadMetadata, type NewReceivingUpload, type NewUpload, type Upload, type UploadFailure, type UploadRepository, type UploadResult, type UploadListQuery, type UploadStatus, type CreateUploadOptions } from '@hoist/core';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { inTransaction, TenantLock, TENANT_LOCK_TIMEOUT, TENANT_LOCKS } from './tenant-lock.js';
import type { Database, UploadTable } from './schema.js';

type Row = Selectable<UploadTable>;

/**
 * UploadRepository on Postgres. Every transition is one guarded UPDATE; there is no read-modify-write,
 * except the count behind the unfinished-uploads cap, which runs under a per-tenant advisory lock.
 * A run's writes are fenced by its claim token, so a worker that lost its job lock cannot record anything.
 */
export class KyselyUploadRepository implements UploadRepository {
  /** Held by every create and retry that checks the unfinished-uploads cap. */
  private readonly unfinishedLock = new TenantLock(TENANT_LOCKS.unfinishedUploads);
  /** markEnqueued calls waiting for the next UPDATE, and the one in flight (see markEnqueued). */
  private enqueuedBatch: { ids: string[]; written: Promise<void> } | undefined;
  private enqueuedInFlight: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: Kysely<Database> | Transaction<Database>) {}

  create(upload: NewUpload, options: CreateUploadOptions = {}): Promise<Upload> {
    const bytes =
      typeof upload.sourceUrl !== 'string'
        ? { bytes: upload.bytes, contentType: upload.contentType, sha256: upload.sha256, storageKey: upload.storageKey }
        : { sourceUrl: upload.sourceUrl, bytes: null, contentType: null, sha256: null, storageKey: null };
    return this.insert(upload, 'queued', bytes, options);
  }

  createReceiving(upload: NewReceivingUpload, options: { idempotency?: { key: string; fingerprint: string } | undefined; maxUnfinished?: number | undefined } = {}): Promise<Upload> {
    return this.insert(upload, 'receiving', { bytes: null, contentType: null, sha256: null, storageKey: null }, options);
  }

  async completeReceiving(id: string, stored: FetchedBytes): Promise<Upload | undefined> {
    const row = await this.db
      .updateTable('upload')
      .set({ status: 'queued', bytes: stored.bytes, contentType: stored.contentType, sha256: stored.sha256, storageKey: stored.storageKey, enqueuedAt: null, updatedAt: sql`now()` })
      .where('id', '=', id)
      .where('status', '=', 'receiving')
      .returningAll()
      .executeTakeFirst();
    return row && toUpload(row);
  }

  async failReceiving(id: string, failure: UploadFailure): Promise<boolean> {
    const updated = await this.db
      .updateTable('upload')
      .set({ status: 'failed', errorCode: failure.code, errorMessage: failure.message, updatedAt: sql`now()`, completedAt: sql`now()` })
      .where('id', '=', id)
      .where('status', '=', 'receiving')
      .executeTakeFirst();
    return updated.numUpdatedRows > 0n;
  }

  async listReceiving(options: { createdBefore: Date; limit: number }): Promise<Upload[]> {
    const rows = await this.db
      .selectFrom('upload')
      .selectAll()
      .where('status', '=', 'receiving')
      .where('createdAt', '<', options.createdBefore)
      .orderBy('createdAt')
      .limit(options.limit)
      .execute();
    return rows.map(toUpload);
  }

  private async insert(
    upload: NewReceivingUpload,
    status: 'queued' | 'receiving',
    bytes: { sourceUrl?: string; bytes: number | null; contentType: string | null; sha256: string | null; storageKey: string | null },
    options: CreateUploadOptions,
  ): Promise<Upload> {
    const values = {
      id: upload.id,
      tenantId: upload.tenantId,
      status,
      filename: upload.filename,
      ...bytes,
      publicId: upload.publicId,
      provider: upload.provider,
      tags: upload.tags,
      metadata: upload.metadata ? JSON.stringify(upload.metadata) : null,
      resourceType: upload.resourceType ?? 'auto',
      eager: upload.eager ?? [],
      result: null,
    };
    const insert = async (db: Kysely<Database> | Transaction<Database>) => db.insertInto('upload').values(values).returningAll().executeTakeFirstOrThrow();
    const { idempotency } = options;
    const maxUnfinished = options.maxUnfinished ?? 0;
    if (!idempotency && maxUnfinished <= 0) return toUpload(await insert(this.db));
    if (!idempotency) {
      // The common case, under the cap: lock, count and insert in one statement (one round trip).
      const { row, open } = await this.unfinishedLock.queue(upload.tenantId, () => createUnderCap(this.db, { ...values, metadata: upload.metadata ?? null }, maxUnfinished));
      options.counted?.(open);
      return toUpload(row);
    }
    const write = async (trx: Transaction<Database>) => {
      const row = await insert(trx);
      if (idempotency) {
        await trx
          .insertInto('idempotencyKey')
          .values({ tenantId: upload.tenantId, key: idempotency.key, fingerprint: idempotency.fingerprint, uploadId: upload.id })
          .execute();
      }
      return toUpload(row);
    };
    try {
      if (maxUnfinished <= 0) return await inTransaction(this.db, write);
      return await this.unfinishedLock.run(this.db, upload.tenantId, async (trx) => {
        // A replay of an accepted request gets its original answer, even with the tenant now at
        // its cap; under the lock no request with the same key can slip in between.
        if (idempotency) {
          const used = await usedIdempotencyKey(trx, upload.tenantId, idempotency);
          if (used) throw used;
        }
        const open = await refuseAtCap(trx, upload.tenantId, maxUnfinished);
        const created = await write(trx);
        // The new upload is open too (queued or receiving).
        options.counted?.(open + 1);
        return created;
      });
    } catch (error) {
      if (!idempotency || (error as { constraint?: string }).constraint !== 'idempotency_key_pkey') throw error;
      throw (await usedIdempotencyKey(this.db, upload.tenantId, idempotency)) ?? error;
    }
  }

  async list(query: UploadListQuery): Promise<Upload[]> {
    let select = this.db.selectFrom('upload').selectAll().where('tenantId', '=', query.tenantId);
    if (query.beforeId) select = select.where('id', '<', query.beforeId);
    if (query.status) select = select.where('status', '=', query.status);
    if (query.createdAfter) select = select.where('createdAt', '>', query.createdAfter);
    if (query.createdBefore) select = select.where('createdAt', '<', query.createdBefore);
    if (query.tag) select = select.where(sql<boolean>`${query.tag} = any(tags)`);
    const rows = await select.orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map(toUpload);
  }

  async findSucceededBySha256(tenantId: string, sha256: string, provider: string): Promise<Upload | undefined> {
    const row = await this.db
      .selectFrom('upload')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('sha256', '=', sha256)
      .where('status', '=', 'succeeded')
      // Where it landed: the result's provider (a failover may have moved it), else where it was sent.
      .where(sql<string>`coalesce(result ->> 'provider', provider)`, '=', provider)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toUpload(row);
  }

  countUnfinished(tenantId: string): Promise<number> {
    return countUnfinished(this.db, tenantId);
  }

  async find(id: string, scope?: { tenantId: string }): Promise<Upload | undefined> {
    let query = this.db.selectFrom('upload').selectAll().where('id', '=', id);
    if (scope) query = query.where('tenantId', '=', scope.tenantId);
    const row = await query.executeTakeFirst();
    return row && toUpload(row);
  }

  async claim(id: string, options: { resuming?: string | undefined } = {}): Promise<ClaimedUpload | undefined> {
    const resuming = options.resuming ?? null;
    const row = await this.db
      .updateTable('upload')
      .set({
        status: 'processing',
        // SET expressions read the row as it was: `status` here is the status before this claim.
        attempts: sql`case when status = 'processing' then attempts else attempts + 1 end`,
        reclaimCount: sql`case when status = 'processing' and claim_token is distinct from ${resuming}::uuid then reclaim_count + 1 else reclaim_count end`,
        claimToken: sql`gen_random_uuid()`,
        updatedAt: sql`now()`,
      })
      .where('id', '=', id)
      .where('status', 'in', UNFINISHED_STATUSES)
      .returningAll()
      .executeTakeFirst();
    if (!row?.claimToken) return undefined;
    return { ...toUpload(row), claimToken: row.claimToken };
  }

  async requeue(run: UploadRun, options: { refundAttempt: boolean }): Promise<boolean> {
    const result = await this.db
      .updateTable('upload')
      .set({
        status: 'queued',
        attempts: options.refundAttempt ? sql`greatest(attempts - 1, 0)` : sql`attempts`,
        updatedAt: sql`now()`,
      })
      .where('id', '=', run.id)
      .where('status', '=', 'processing')
      .where('claimToken', '=', run.claimToken)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async markSucceeded(run: UploadRun, result: UploadResult): Promise<boolean> {
    const updated = await this.db
      .updateTable('upload')
      .set({ status: 'succeeded', result: JSON.stringify(result), updatedAt: sql`now()`, completedAt: sql`now()` })
      .where('id', '=', run.id)
      .where('status', '=', 'processing')
      .where('claimToken', '=', run.claimToken)
      .executeTakeFirst();
    return updated.numUpdatedRows > 0n;
  }

  markFailed(run: UploadRun, failure: UploadFailure): Promise<boolean> {
    return this.fail(run.id, failure, run.claimToken);
  }

  failUnfinished(id: string, failure: UploadFailure): Promise<boolean> {
    return this.fail(id, failure);
  }

  /** Fails the upload: only under `claimToken` while `processing` when one is given, else from any unfinished status. */
  private async fail(id: string, failure: UploadFailure, claimToken?: string): Promise<boolean> {
    let update = this.db
      .updateTable('upload')
      .set({
        status: 'failed',
        errorCode: failure.code,
        errorMessage: failure.message,
        updatedAt: sql`now()`,
        completedAt: sql`now()`,
      })
      .where('id', '=', id);
    update = claimToken === undefined ? update.where('status', 'in', UNFINISHED_STATUSES) : update.where('status', '=', 'processing').where('claimToken', '=', claimToken);
    const updated = await update.executeTakeFirst();
    return updated.numUpdatedRows > 0n;
  }

  async markCancelled(id: string, options: { from: readonly ('receiving' | 'queued' | 'processing')[] } = { from: ['queued', 'processing'] }): Promise<boolean> {
    if (options.from.length === 0) return false;
    const result = await this.db
      .updateTable('upload')
      .set({ status: 'cancelled', updatedAt: sql`now()`, completedAt: sql`now()` })
      .where('id', '=', id)
      .where('status', 'in', [...options.from])
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async reopenForRetry(id: string, options: { maxUnfinished?: number | undefined } = {}): Promise<boolean> {
    const maxUnfinished = options.maxUnfinished ?? 0;
    if (maxUnfinished <= 0) return retry(this.db);
    // Only a failed upload can be retried: anything else is `false` (not "over the cap"), as without
    // a cap. The guarded update below settles a change between this read and the lock.
    const row = await this.db.selectFrom('upload').select(['tenantId', 'status']).where('id', '=', id).executeTakeFirst();
    if (row?.status !== 'failed') return false;
    return this.unfinishedLock.run(this.db, row.tenantId, async (trx) => {
      await refuseAtCap(trx, row.tenantId, maxUnfinished);
      return retry(trx);
    });

    async function retry(db: Kysely<Database> | Transaction<Database>): Promise<boolean> {
      const result = await db
        .updateTable('upload')
        .set({
          status: 'queued',
          attempts: 0,
          reclaimCount: 0,
          retryCount: sql`retry_count + 1`,
          errorCode: null,
          errorMessage: null,
          completedAt: null,
          enqueuedAt: null,
          // A new round starts a new provider session: the old one has likely expired, and a URL
          // upload may be fetched again with different bytes.
          chunkSession: null,
          chunkOffset: 0,
          updatedAt: sql`now()`,
        })
        .where('id', '=', id)
        .where('status', '=', 'failed')
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    }
  }

  async markDeleted(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('upload')
      // Keeps the first deletion time when repeated.
      .set({ status: 'deleted', deletedAt: sql`coalesce(deleted_at, now())`, updatedAt: sql`now()` })
      .where('id', '=', id)
      .where('status', 'in', FINAL_STATUSES)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async otherUploadOwnsAsset(id: string, asset: { provider: string; publicId: string }, since: Date): Promise<boolean> {
    // core's holdsAssetAgainst, in SQL.
    const row = await this.db
      .selectFrom('upload')
      .select('id')
      .where('publicId', '=', asset.publicId)
      // Where it landed, else where it was sent — or a mirror copy of it there.
      .where((eb) =>
        eb.or([
          eb(sql<string>`coalesce(result ->> 'provider', provider)`, '=', asset.provider),
          sql<boolean>`result -> 'mirrors' @> ${JSON.stringify([{ provider: asset.provider, publicId: asset.publicId }])}::jsonb`,
        ]),
      )
      .where('id', '<>', id)
      .where((eb) => eb.or([eb.and([eb('status', '=', 'succeeded'), eb('completedAt', '>', since)]), eb('status', '=', 'processing')]))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async recordFetched(run: UploadRun, fetched: FetchedBytes): Promise<boolean> {
    const result = await this.db
      .updateTable('upload')
      // New bytes: any chunked session of earlier bytes must not be resumed with them.
      .set({ ...fetched, chunkSession: null, chunkOffset: 0, updatedAt: sql`now()` })
      .where('id', '=', run.id)
      .where('status', '=', 'processing')
      .where('claimToken', '=', run.claimToken)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * One UPDATE at a time marks uploads enqueued; calls made while it runs wait and go together in
   * the next (group commit), so a burst of accepted uploads costs a few statements, not one each.
   * Each call still resolves only once its own row is marked (or rejects with the statement's error).
   */
  markEnqueued(id: string): Promise<void> {
    if (this.db.isTransaction) return markEnqueued(this.db, [id]);
    if (this.enqueuedBatch) {
      this.enqueuedBatch.ids.push(id);
      return this.enqueuedBatch.written;
    }
    const ids = [id];
    const written = this.enqueuedInFlight.then(() => {
      if (this.enqueuedBatch?.ids === ids) this.enqueuedBatch = undefined;
      return markEnqueued(this.db, ids);
    });
    this.enqueuedBatch = { ids, written };
    this.enqueuedInFlight = written.catch(() => undefined);
    return written;
  }

  async listOutbox(options: { before: Date; limit: number }): Promise<Upload[]> {
    const rows = await this.db
      .selectFrom('upload')
      .selectAll()
      .where('enqueuedAt', 'is', null)
      .where('status', '=', 'queued')
      .where('createdAt', '<', options.before)
      .orderBy('createdAt')
      .limit(options.limit)
      .execute();
    return rows.map(toUpload);
  }

  async listUnfinished(options: { before: Date; limit: number; afterId?: string | undefined }): Promise<Upload[]> {
    let query = this.db
      .selectFrom('upload')
      .selectAll()
      .where('status', 'in', UNFINISHED_STATUSES)
      .where('updatedAt', '<', options.before);
    if (options.afterId) query = query.where('id', '>', options.afterId);
    const rows = await query.orderBy('id').limit(options.limit).execute();
    return rows.map(toUpload);
  }

  async saveChunkProgress(run: UploadRun, progress: ChunkProgress): Promise<boolean> {
    const result = await this.db
      .updateTable('upload')
      .set({ chunkSession: progress.sessionId, chunkOffset: progress.offset, updatedAt: sql`now()` })
      .where('id', '=', run.id)
      .where('status', '=', 'processing')
      .where('claimToken', '=', run.claimToken)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async storageKeysInUse(keys: readonly string[], options: { keepFailedSince?: Date | undefined } = {}): Promise<Set<string>> {
    if (keys.length === 0) return new Set<string>();
    const { keepFailedSince } = options;
    // core's needsStoredBytes, in SQL.
    const rows = await this.db
      .selectFrom('upload')
      .select('storageKey')
      .where('storageKey', 'in', [...keys])
      .where((eb) =>
        eb.or([
          eb('status', 'in', UNFINISHED_STATUSES),
          ...(keepFailedSince
            ? [eb.and([eb('status', '=', 'failed'), eb('errorCode', 'in', [...RETRYABLE_FAILURE_CODES]), eb('completedAt', '>=', keepFailedSince)])]
            : []),
        ]),
      )
      .execute();
    return new Set(rows.flatMap((row) => (row.storageKey === null ? [] : [row.storageKey])));
  }
}

/**
 * `hoist_create_upload` (migration 0015): the tenant's lock, its open uploads counted and the row
 * inserted, in one statement; `open` is the tenant's open uploads with the new one.
 * @throws TooManyUnfinishedUploadsError at the cap (SQLSTATE HC001; nothing written).
 */
async function createUnderCap(
  db: Kysely<Database> | Transaction<Database>,
  values: Record<string, unknown> & { tenantId: string },
  maxUnfinished: number,
): Promise<{ row: Row; open: number }> {
  // The row as jsonb_populate_record reads it: column names, JSON values.
  const row = JSON.stringify(Object.fromEntries(Object.entries(values).map(([key, value]) => [key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), value])));
  try {
    const { rows } = await sql<Row & { openCount: string }>`
      select (c.created).*, c.open_count
      from hoist_create_upload(${row}::jsonb, ${maxUnfinished}::int4, ${TENANT_LOCKS.unfinishedUploads}::int4, ${TENANT_LOCK_TIMEOUT}) as c`.execute(db);
    const created = rows[0];
    if (!created) throw new Error('hoist_create_upload returned no row');
    return { row: created, open: Number(created.openCount) };
  } catch (error) {
    if ((error as { code?: string }).code === 'HC001') throw new TooManyUnfinishedUploadsError(maxUnfinished);
    throw error;
  }
}

/** Takes uploads out of the outbox: one statement for any number of them. */
async function markEnqueued(db: Kysely<Database> | Transaction<Database>, ids: readonly string[]): Promise<void> {
  await db
    .updateTable('upload')
    .set({ enqueuedAt: sql`now()` })
    .where(sql<boolean>`id = any(${ids}::uuid[])`)
    .where('enqueuedAt', 'is', null)
    .execute();
}

/** How many of the tenant's uploads are open (receiving, queued or processing). */
async function countUnfinished(db: Kysely<Database> | Transaction<Database>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('upload')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenantId', '=', tenantId)
    .where('status', 'in', OPEN_STATUSES)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Throws TooManyUnfinishedUploadsError when the tenant is at `maxUnfinished`, else returns its open uploads. Only meaningful
 * under the tenant's `unfinishedUploads` lock, taken by every create and retry that checks the cap.
 */
async function refuseAtCap(trx: Transaction<Database>, tenantId: string, maxUnfinished: number): Promise<number> {
  const open = await countUnfinished(trx, tenantId);
  if (open >= maxUnfinished) throw new TooManyUnfinishedUploadsError(maxUnfinished);
  return open;
}

/** The error a used Idempotency-Key answers with (a replay of the same request, or a reuse), or undefined for a new key. */
async function usedIdempotencyKey(
  db: Kysely<Database> | Transaction<Database>,
  tenantId: string,
  idempotency: { key: string; fingerprint: string },
): Promise<IdempotencyKeyUsedError | undefined> {
  const existing = await db
    .selectFrom('idempotencyKey')
    .select(['uploadId', 'fingerprint'])
    .where('tenantId', '=', tenantId)
    .where('key', '=', idempotency.key)
    .executeTakeFirst();
  return existing && new IdempotencyKeyUsedError(existing.uploadId, existing.fingerprint === idempotency.fingerprint);
}

/** A row as Kysely reads it → the domain Upload. Exported for mappings of the same row from elsewhere (webhook event snapshots). */
export function toUpload(row: Row): Upload {
  return {
    id: row.id,
    tenantId: row.tenantId,
    status: row.status satisfies UploadStatus,
    attempts: row.attempts,
    reclaimCount: row.reclaimCount,
    filename: row.filename,
    // bigint arrives as a string from node-pg; sizes stay far below 2^53.
    bytes: row.bytes === null ? null : Number(row.bytes),
    contentType: row.contentType,
    sha256: row.sha256,
    storageKey: row.storageKey,
    sourceUrl: row.sourceUrl,
    deletedAt: row.deletedAt,
    retryCount: row.retryCount,
    publicId: row.publicId,
    provider: row.provider,
    tags: row.tags,
    metadata: (row.metadata as UploadMetadata | null) ?? null,
    resourceType: row.resourceType,
    eager: row.eager as EagerPreset[],
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    completedAt: row.completedAt,
    result: (row.result as UploadResult | null) ?? null,
    error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? '' } : null,
    enqueuedAt: row.enqueuedAt,
    chunkProgress: row.chunkSession ? { sessionId: row.chunkSession, offset: Number(row.chunkOffset) } : null,
  };
}
