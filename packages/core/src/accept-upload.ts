import type { BacklogEstimate } from './fair-share.js';
import { handToQueueOrOutbox } from './hand-to-queue.js';
import { IdempotencyKeyUsedError, TooManyUnfinishedUploadsError } from './errors.js';
import { derivePublicId, newUploadId } from './ids.js';
import type { JobQueue } from './job-queue.js';
import type { Logger } from './logger.js';
import type { TempStorage } from './temp-storage.js';
import type { FetchedBytes, Upload } from './upload.js';
import type { AcceptObserver } from './observer.js';
import type { UploadOptions } from './upload-options.js';
import { chooseProvider, type ProviderCatalog, type ProviderRefusal } from './provider-choice.js';
import type { UploadRepository } from './upload.repository.js';
import { bindLogger } from './upload-log.js';

export interface AcceptUploadDeps {
  uploads: UploadRepository;
  queue: JobQueue;
  storage: TempStorage;
  /** The providers an upload may go to, with what each accepts, and the default. */
  providers: ProviderCatalog;
  /** The request's logger; each accepted upload logs on a child bound to it. */
  logger: Logger;
  /** Counts accepted uploads and bytes, when given. */
  observer?: AcceptObserver | undefined;
  /** The tenant's cap on unfinished uploads (`TENANT_MAX_UNFINISHED_UPLOADS`); 0 or absent: no cap. */
  maxUnfinished?: number | undefined;
  /** The tenants' backlogs for the queue priority, when not counted by the create (no cap); absent: one count per upload. */
  backlog?: BacklogEstimate | undefined;
}

/**
 * Where an upload's bytes come from: already in temp storage (a multipart file; next, a finished
 * tus upload), inspected on the way in; or a URL a worker fetches later.
 */
export type UploadSource =
  | { kind: 'stored'; filename: string; stored: FetchedBytes }
  | { kind: 'url'; filename: string; url: string };

export interface AcceptUploadRequest {
  tenantId: string;
  source: UploadSource;
  options: UploadOptions;
  /** The client's Idempotency-Key and the request's fingerprint (see requestFingerprint). */
  idempotency?: { key: string; fingerprint: string } | undefined;
  /** The tenant's default provider, if it has one (else the deployment's). */
  tenantProvider?: string | undefined;
}

/** How accepting ended. Every kind but `accepted` wrote nothing and deleted the stored bytes. */
export type AcceptOutcome =
  /** Recorded and queued (or, with Redis down, in the outbox: `enqueued` false; it is queued when Redis is back). */
  | { kind: 'accepted'; upload: Upload; enqueued: boolean }
  /** `dedupe` found a succeeded upload of the same bytes: that one answers. */
  | { kind: 'deduplicated'; upload: Upload }
  /** The Idempotency-Key was used before by this very request: the original upload answers. */
  | { kind: 'replayed'; uploadId: string; upload: Upload | undefined }
  /** The Idempotency-Key was used before by a different request. */
  | { kind: 'idempotency_key_reused'; uploadId: string }
  /** The tenant is at its cap on unfinished uploads. */
  | { kind: 'too_many_unfinished'; limit: number }
  /** With the tenant folder and the folder, the public id would be longer than the provider allows. */
  | { kind: 'public_id_too_long'; publicId: string; maxLength: number }
  /** The provider it would go to is not configured, or cannot honour an option or store the file. */
  | ProviderRefusal;

/**
 * Accepts one upload: the one write path of every ingest (multipart, URL and, next, tus), so
 * the rules live here and nowhere else — content dedupe, the public id and its length, the tenant's
 * cap and Idempotency-Key (both atomic in the repository), recording, handing to the queue with the
 * outbox as fallback, and the accounting.
 *
 * Stored bytes are this call's from here on: kept when the upload is accepted, deleted otherwise —
 * also when it throws — so a refused upload never leaves an orphan behind for the sweeper.
 * @throws StoreUnavailableError when Postgres cannot be reached (nothing recorded).
 */
export async function acceptUpload(deps: AcceptUploadDeps, request: AcceptUploadRequest): Promise<AcceptOutcome> {
  const { source } = request;
  const stored = source.kind === 'stored' ? source.stored : undefined;
  // Once the row exists, its bytes are the upload's, whatever happens after (a logger or a metric
  // failing must not leave a queued upload without its bytes).
  const state = { recorded: false };
  try {
    return await decide(deps, request, stored, state);
  } finally {
    if (stored && !state.recorded) await discard(deps, stored.storageKey);
  }
}

async function decide(deps: AcceptUploadDeps, request: AcceptUploadRequest, stored: FetchedBytes | undefined, state: { recorded: boolean }): Promise<AcceptOutcome> {
  const { tenantId, source, options } = request;
  const id = newUploadId();
  const placed = placeUpload(deps, id, tenantId, options, { tenantProvider: request.tenantProvider, bytes: stored?.bytes, contentType: stored?.contentType });
  if ('kind' in placed) return placed;
  const { publicId, provider } = placed;
  if (options.dedupe && stored) {
    const existing = await deps.uploads.findSucceededBySha256(tenantId, stored.sha256, provider);
    if (existing) return { kind: 'deduplicated', upload: existing };
  }

  let backlog: number | undefined;
  const created = await recordOrRefuse(deps, tenantId, () =>
    deps.uploads.create(
      {
        id,
        tenantId,
        filename: source.filename,
        ...(stored ? { bytes: stored.bytes, contentType: stored.contentType, sha256: stored.sha256, storageKey: stored.storageKey } : { sourceUrl: source.kind === 'url' ? source.url : '' }),
        publicId,
        provider,
        tags: options.tags,
        metadata: options.metadata ?? null,
        resourceType: options.resourceType ?? 'auto',
        eager: options.eager,
      },
      { idempotency: request.idempotency, maxUnfinished: deps.maxUnfinished, counted: (count) => (backlog = count) },
    ),
  );
  if ('kind' in created) return created;
  const upload = created;
  state.recorded = true;
  return { kind: 'accepted', upload, enqueued: await handOver(deps, upload, backlog) };
}

/**
 * Hands a just-recorded `queued` upload to the queue, with the outbox as fallback, and counts it.
 * `backlog`: the tenant's unfinished uploads as the create counted them, if it did (its priority).
 * @returns whether it reached the queue (false: it waits in the outbox).
 */
export async function handOver(deps: Pick<AcceptUploadDeps, 'uploads' | 'queue' | 'logger' | 'observer' | 'backlog'>, upload: Upload, backlog?: number): Promise<boolean> {

  const log = bindLogger(deps.logger, { uploadId: upload.id, tenantId: upload.tenantId, jobId: upload.id });
  const enqueued = await handToQueueOrOutbox(deps, { id: upload.id, tenantId: upload.tenantId, backlog }, log, 'upload accepted; the outbox relay will enqueue it');
  log.info({ bytes: upload.bytes, contentType: upload.contentType, fromUrl: upload.sourceUrl !== null }, 'upload accepted');
  try {
    deps.observer?.accepted?.(upload.bytes ?? 0);
  } catch (error) {
    log.warn({ err: error }, 'could not count an accepted upload');
  }
  return enqueued;
}

/** How recording an upload can be refused before anything is written. */
export type RecordRefusal = Extract<AcceptOutcome, { kind: 'replayed' | 'idempotency_key_reused' | 'too_many_unfinished' | 'public_id_too_long' | ProviderRefusal['kind'] }>;

/**
 * Where upload `id` goes: the provider (see chooseProvider) and the public id it writes to there
 * (see derivePublicId); or the refusal when the provider is not configured or cannot honour the
 * upload, or when, with the tenant folder and the folder, the public id is longer than that
 * provider allows. `file` is what is known of the bytes so far. Shared by every ingest.
 */
export function placeUpload(
  deps: Pick<AcceptUploadDeps, 'providers'>,
  id: string,
  tenantId: string,
  options: UploadOptions,
  file: { tenantProvider?: string | undefined; bytes?: number | undefined; contentType?: string | undefined } = {},
): { publicId: string; provider: string } | RecordRefusal {
  const chosen = chooseProvider(deps.providers, {
    requested: options.provider,
    tenantDefault: file.tenantProvider,
    resourceType: options.resourceType,
    eager: options.eager,
    metadata: options.metadata,
    bytes: file.bytes,
    contentType: file.contentType,
  });
  if ('kind' in chosen) return chosen;
  const publicId = derivePublicId(id, tenantId, options);
  const { maxPublicIdLength, publicIdProblem } = chosen.limits;
  if (publicId.length > maxPublicIdLength) return { kind: 'public_id_too_long', publicId, maxLength: maxPublicIdLength };
  const problem = publicIdProblem?.(publicId);
  return problem === undefined ? { publicId, provider: chosen.provider } : { kind: 'provider_cannot_honour', provider: chosen.provider, reason: `The public id "${publicId}" cannot be used: ${problem}.` };
}

/**
 * Runs `create` (a repository create under the Idempotency-Key and the tenant's cap) and turns a
 * used key or the cap into their outcomes. Shared by every ingest.
 */
export async function recordOrRefuse(deps: Pick<AcceptUploadDeps, 'uploads'>, tenantId: string, create: () => Promise<Upload>): Promise<Upload | RecordRefusal> {
  try {
    return await create();
  } catch (error) {
    if (error instanceof IdempotencyKeyUsedError) {
      if (!error.sameRequest) return { kind: 'idempotency_key_reused', uploadId: error.uploadId };
      return { kind: 'replayed', uploadId: error.uploadId, upload: await deps.uploads.find(error.uploadId, { tenantId }) };
    }
    if (error instanceof TooManyUnfinishedUploadsError) return { kind: 'too_many_unfinished', limit: error.limit };
    throw error;
  }
}

/**
 * Deletes a refused upload's bytes. A failure here must not replace the real answer (a refusal, or
 * the store's outage), so it is logged with the key of the orphan, which the sweeper removes later.
 */
async function discard(deps: AcceptUploadDeps, key: string): Promise<void> {
  await deps.storage.delete(key).catch((error: unknown) => deps.logger.error({ err: error, storageKey: key }, 'could not delete a refused upload'));
}
