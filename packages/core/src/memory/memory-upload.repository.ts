import { randomUUID } from 'node:crypto';
import { holdsAssetAgainst } from '../asset-ownership.js';
import { IdempotencyKeyUsedError, TooManyUnfinishedUploadsError } from '../errors.js';
import { needsStoredBytes } from '../retention.js';
import { isFinal, isOpen, isUnfinished, type ClaimedUpload, type FetchedBytes, type NewReceivingUpload, type NewUpload, type Upload, type UploadFailure, type UploadResult, type UploadRun } from '../upload.js';
import type { ChunkProgress } from '../chunk-progress.js';
import type { CreateUploadOptions, UploadListQuery, UploadRepository } from '../upload.repository.js';

interface Row extends Upload {
  claimToken: string | null;
}

/**
 * UploadRepository in memory, for tests of the use cases: passes the same conformance suite as the
 * Postgres adapter. Every method runs to completion without yielding between its read and its
 * write, which is what the guarded statements and the tenant lock give the Postgres adapter, so
 * concurrent callers see the same outcomes. Answers are copies: changing one changes nothing stored.
 */
export class MemoryUploadRepository implements UploadRepository {
  private readonly rows = new Map<string, Row>();
  private readonly idempotencyKeys = new Map<string, { uploadId: string; fingerprint: string }>();

  create(upload: NewUpload, options: CreateUploadOptions = {}): Promise<Upload> {
    const bytes =
      typeof upload.sourceUrl === 'string'
        ? { sourceUrl: upload.sourceUrl, bytes: null, contentType: null, sha256: null, storageKey: null }
        : { sourceUrl: null, bytes: upload.bytes, contentType: upload.contentType, sha256: upload.sha256, storageKey: upload.storageKey };
    return this.insert(upload, 'queued', bytes, options);
  }

  createReceiving(upload: NewReceivingUpload, options: { idempotency?: { key: string; fingerprint: string } | undefined; maxUnfinished?: number | undefined } = {}): Promise<Upload> {
    return this.insert(upload, 'receiving', { sourceUrl: null, bytes: null, contentType: null, sha256: null, storageKey: null }, options);
  }

  completeReceiving(id: string, stored: FetchedBytes): Promise<Upload | undefined> {
    return settle(() => {
      const row = this.rows.get(id);
      if (row?.status !== 'receiving') return undefined;
      Object.assign(row, { status: 'queued', bytes: stored.bytes, contentType: stored.contentType, sha256: stored.sha256, storageKey: stored.storageKey, enqueuedAt: null, updatedAt: new Date() });
      return toUpload(row);
    });
  }

  failReceiving(id: string, failure: UploadFailure): Promise<boolean> {
    return this.update(id, (row) => row.status === 'receiving', (row) => fail(row, failure));
  }

  listReceiving(options: { createdBefore: Date; limit: number }): Promise<Upload[]> {
    return settle(() =>
      [...this.rows.values()]
        .filter((row) => row.status === 'receiving' && row.createdAt < options.createdBefore)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
        .slice(0, options.limit)
        .map(toUpload),
    );
  }

  private insert(
    upload: NewReceivingUpload,
    status: 'queued' | 'receiving',
    bytes: Pick<Upload, 'sourceUrl' | 'bytes' | 'contentType' | 'sha256' | 'storageKey'>,
    options: CreateUploadOptions,
  ): Promise<Upload> {
    return settle(() => {
      const { idempotency } = options;
      const keyId = idempotency && `${upload.tenantId}\u0000${idempotency.key}`;
      // A replay of an accepted request gets its original answer, even with the tenant at its cap.
      const used = keyId === undefined ? undefined : this.idempotencyKeys.get(keyId);
      if (used) throw new IdempotencyKeyUsedError(used.uploadId, used.fingerprint === idempotency?.fingerprint);
      this.refuseAtCap(upload.tenantId, options.maxUnfinished);
      if (this.rows.has(upload.id)) throw new Error(`An upload with id ${upload.id} already exists (upload_pkey).`);
      const now = new Date();
      const row: Row = {
        id: upload.id,
        tenantId: upload.tenantId,
        status,
        attempts: 0,
        reclaimCount: 0,
        filename: upload.filename,
        ...bytes,
        publicId: upload.publicId,
        provider: upload.provider,
        tags: [...upload.tags],
        metadata: upload.metadata ?? null,
        resourceType: upload.resourceType ?? 'auto',
        eager: [...(upload.eager ?? [])],
        createdAt: now,
        updatedAt: now,
        completedAt: null,
        deletedAt: null,
        retryCount: 0,
        result: null,
        error: null,
        enqueuedAt: null,
        chunkProgress: null,
        claimToken: null,
      };
      this.rows.set(row.id, structuredClone(row));
      if (keyId !== undefined && idempotency) this.idempotencyKeys.set(keyId, { uploadId: upload.id, fingerprint: idempotency.fingerprint });
      if ((options.maxUnfinished ?? 0) > 0) options.counted?.(this.openOf(upload.tenantId));
      return toUpload(row);
    });
  }

  list(query: UploadListQuery): Promise<Upload[]> {
    return settle(() =>
      [...this.rows.values()]
        .filter(
          (row) =>
            row.tenantId === query.tenantId &&
            (query.beforeId === undefined || row.id < query.beforeId) &&
            (query.status === undefined || row.status === query.status) &&
            (query.createdAfter === undefined || row.createdAt > query.createdAfter) &&
            (query.createdBefore === undefined || row.createdAt < query.createdBefore) &&
            (query.tag === undefined || row.tags.includes(query.tag)),
        )
        .sort(byIdDescending)
        .slice(0, query.limit)
        .map(toUpload),
    );
  }

  findSucceededBySha256(tenantId: string, sha256: string, provider: string): Promise<Upload | undefined> {
    return settle(() => {
      const row = [...this.rows.values()]
        .filter((candidate) => candidate.tenantId === tenantId && candidate.sha256 === sha256 && candidate.status === 'succeeded' && (candidate.result?.provider ?? candidate.provider) === provider)
        .sort(byIdDescending)[0];
      return row && toUpload(row);
    });
  }

  countUnfinished(tenantId: string): Promise<number> {
    return settle(() => this.openOf(tenantId));
  }

  find(id: string, scope?: { tenantId: string }): Promise<Upload | undefined> {
    return settle(() => {
      const row = this.rows.get(id);
      return row && (!scope || row.tenantId === scope.tenantId) ? toUpload(row) : undefined;
    });
  }

  claim(id: string, options: { resuming?: string | undefined } = {}): Promise<ClaimedUpload | undefined> {
    return settle(() => {
      const row = this.rows.get(id);
      if (!row || !isUnfinished(row.status)) return undefined;
      if (row.status === 'queued') row.attempts += 1;
      else if (row.claimToken !== options.resuming) row.reclaimCount += 1;
      const claimToken = randomUUID();
      Object.assign(row, { status: 'processing', claimToken, updatedAt: new Date() });
      return { ...toUpload(row), claimToken };
    });
  }

  requeue(run: UploadRun, options: { refundAttempt: boolean }): Promise<boolean> {
    return this.updateRun(run, (row) => {
      row.status = 'queued';
      if (options.refundAttempt) row.attempts = Math.max(row.attempts - 1, 0);
    });
  }

  markSucceeded(run: UploadRun, result: UploadResult): Promise<boolean> {
    return this.updateRun(run, (row) => {
      Object.assign(row, { status: 'succeeded', result: structuredClone(result), completedAt: new Date() });
    });
  }

  markFailed(run: UploadRun, failure: UploadFailure): Promise<boolean> {
    return this.updateRun(run, (row) => fail(row, failure));
  }

  failUnfinished(id: string, failure: UploadFailure): Promise<boolean> {
    return this.update(id, (row) => isUnfinished(row.status), (row) => fail(row, failure));
  }

  markCancelled(id: string, options: { from: readonly ('receiving' | 'queued' | 'processing')[] } = { from: ['queued', 'processing'] }): Promise<boolean> {
    return this.update(
      id,
      (row) => (options.from as readonly string[]).includes(row.status),
      (row) => Object.assign(row, { status: 'cancelled', completedAt: new Date() }),
    );
  }

  reopenForRetry(id: string, options: { maxUnfinished?: number | undefined } = {}): Promise<boolean> {
    return settle(() => {
      const row = this.rows.get(id);
      // Only a failed upload can be retried: anything else is `false`, not "over the cap".
      if (row?.status !== 'failed') return false;
      this.refuseAtCap(row.tenantId, options.maxUnfinished);
      Object.assign(row, {
        status: 'queued',
        attempts: 0,
        reclaimCount: 0,
        retryCount: row.retryCount + 1,
        error: null,
        completedAt: null,
        enqueuedAt: null,
        // A new round starts a new provider session (see the Postgres adapter).
        chunkProgress: null,
        updatedAt: new Date(),
      });
      return true;
    });
  }

  markDeleted(id: string): Promise<boolean> {
    return this.update(
      id,
      (row) => isFinal(row.status),
      (row) => Object.assign(row, { status: 'deleted', deletedAt: row.deletedAt ?? new Date() }),
    );
  }

  otherUploadOwnsAsset(id: string, asset: { provider: string; publicId: string }, since: Date): Promise<boolean> {
    return settle(() =>
      [...this.rows.values()].some(
        (row) =>
          row.id !== id &&
          row.publicId === asset.publicId &&
          ((row.result?.provider ?? row.provider) === asset.provider || (row.result?.mirrors ?? []).some((copy) => copy.provider === asset.provider && copy.publicId === asset.publicId)) &&
          holdsAssetAgainst(row, since),
      ),
    );
  }

  recordFetched(run: UploadRun, fetched: FetchedBytes): Promise<boolean> {
    return this.updateRun(run, (row) => {
      // New bytes: any chunked session of earlier bytes must not be resumed with them.
      Object.assign(row, { bytes: fetched.bytes, contentType: fetched.contentType, sha256: fetched.sha256, storageKey: fetched.storageKey, chunkProgress: null });
    });
  }

  markEnqueued(id: string): Promise<void> {
    return settle(() => {
      const row = this.rows.get(id);
      if (row && row.enqueuedAt === null) row.enqueuedAt = new Date();
    });
  }

  listOutbox(options: { before: Date; limit: number }): Promise<Upload[]> {
    return settle(() =>
      [...this.rows.values()]
        .filter((row) => row.enqueuedAt === null && row.status === 'queued' && row.createdAt < options.before)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
        .slice(0, options.limit)
        .map(toUpload),
    );
  }

  listUnfinished(options: { before: Date; limit: number; afterId?: string | undefined }): Promise<Upload[]> {
    return settle(() =>
      [...this.rows.values()]
        .filter((row) => isUnfinished(row.status) && row.updatedAt < options.before && (options.afterId === undefined || row.id > options.afterId))
        .sort((a, b) => -byIdDescending(a, b))
        .slice(0, options.limit)
        .map(toUpload),
    );
  }

  saveChunkProgress(run: UploadRun, progress: ChunkProgress): Promise<boolean> {
    return this.updateRun(run, (row) => {
      row.chunkProgress = { sessionId: progress.sessionId, offset: progress.offset };
    });
  }

  storageKeysInUse(keys: readonly string[], options: { keepFailedSince?: Date | undefined } = {}): Promise<Set<string>> {
    return settle(() => {
      const wanted = new Set(keys);
      const inUse = new Set<string>();
      for (const row of this.rows.values()) {
        if (row.storageKey !== null && wanted.has(row.storageKey) && needsStoredBytes(row, options.keepFailedSince)) inUse.add(row.storageKey);
      }
      return inUse;
    });
  }

  /** Throws TooManyUnfinishedUploadsError when the tenant is at `maxUnfinished` (> 0). */
  private refuseAtCap(tenantId: string, maxUnfinished = 0): void {
    if (maxUnfinished > 0 && this.openOf(tenantId) >= maxUnfinished) throw new TooManyUnfinishedUploadsError(maxUnfinished);
  }

  private openOf(tenantId: string): number {
    let count = 0;
    for (const row of this.rows.values()) if (row.tenantId === tenantId && isOpen(row.status)) count += 1;
    return count;
  }

  /** Applies `change` when the row exists and `guard` holds; every change touches `updatedAt`. */
  private update(id: string, guard: (row: Row) => boolean, change: (row: Row) => unknown): Promise<boolean> {
    return settle(() => {
      const row = this.rows.get(id);
      if (!row || !guard(row)) return false;
      change(row);
      row.updatedAt = new Date();
      return true;
    });
  }

  /** A write of one run: only while `processing` under the run's claim token. */
  private updateRun(run: UploadRun, change: (row: Row) => unknown): Promise<boolean> {
    return this.update(run.id, (row) => row.status === 'processing' && row.claimToken === run.claimToken, change);
  }
}

function fail(row: Row, failure: UploadFailure): void {
  Object.assign(row, { status: 'failed', error: { code: failure.code, message: failure.message }, completedAt: new Date() });
}

function byIdDescending(a: Upload, b: Upload): number {
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** A copy of the row as the port's Upload: no claim token, nothing shared with the store. */
function toUpload(row: Row): Upload {
  const { claimToken: _claimToken, ...upload } = row;
  return structuredClone(upload);
}

/** Runs `work` at once and answers asynchronously, as a store would; a throw becomes a rejection. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
