import { handOver, placeUpload, recordOrRefuse, type AcceptUploadDeps, type RecordRefusal } from './accept-upload.js';
import { BYTES_REFUSED, CREATION_FAILED, DUPLICATE_CONTENT, UPLOAD_EXPIRED } from './failure-codes.js';
import { newUploadId } from './ids.js';
import { chooseProvider, refusalMessage } from './provider-choice.js';
import type { FetchedBytes, Upload } from './upload.js';
import type { UploadOptions } from './upload-options.js';
import { bindLogger } from './upload-log.js';

/**
 * Uploads whose bytes arrive over time (tus): created `receiving` before the first byte, completed
 * into `queued` after the last. The same rules as acceptUpload, split where the bytes are needed:
 * the public id, the tenant's cap and the Idempotency-Key at creation; content dedupe and the
 * inspector's verdict (given by the caller, who reads the bytes) at completion.
 */

/** What beginning to receive an upload needs: acceptUpload's deps (the bytes are not stored yet). */
export type ReceiveUploadDeps = AcceptUploadDeps;

export interface BeginReceivingRequest {
  tenantId: string;
  /** The client's filename, sanitised. */
  filename: string;
  options: UploadOptions;
  idempotency?: { key: string; fingerprint: string } | undefined;
  /** The tenant's default provider, if it has one. */
  tenantProvider?: string | undefined;
  /** The length the client declared, when it did (tus `Upload-Length`): checked against the provider's limit now. */
  bytes?: number | undefined;
}

/** How creation ended: `receiving` (recorded; bytes may come), or a refusal that wrote nothing. */
export type BeginReceivingOutcome = { kind: 'receiving'; upload: Upload } | RecordRefusal;

/**
 * Records a `receiving` upload under a new id: what a tus creation does before its bytes.
 * @throws StoreUnavailableError when Postgres cannot be reached (nothing recorded).
 */
export async function beginReceiving(deps: ReceiveUploadDeps, request: BeginReceivingRequest): Promise<BeginReceivingOutcome> {
  const { tenantId, options } = request;
  const id = newUploadId();
  const placed = placeUpload(deps, id, tenantId, options, { tenantProvider: request.tenantProvider, bytes: request.bytes });
  if ('kind' in placed) return placed;
  const { publicId, provider } = placed;
  const created = await recordOrRefuse(deps, tenantId, () =>
    deps.uploads.createReceiving(
      { id, tenantId, filename: request.filename, publicId, provider, tags: options.tags, metadata: options.metadata ?? null, resourceType: options.resourceType ?? 'auto', eager: options.eager },
      { idempotency: request.idempotency, maxUnfinished: deps.maxUnfinished },
    ),
  );
  if ('kind' in created) return created;
  bindLogger(deps.logger, { uploadId: id, tenantId }).info({ filename: request.filename }, 'upload receiving');
  return { kind: 'receiving', upload: created };
}

/** What the caller's inspection of the received bytes found: stored in temp storage, or refused (nothing stored). */
export type ReceivedBytes = { ok: true; stored: FetchedBytes } | { ok: false; reason: string };

/** How completion ended. Every kind but `accepted` kept none of the stored bytes. */
export type FinishReceivingOutcome =
  /** `queued` and handed to the queue (`enqueued` false: in the outbox). */
  | { kind: 'accepted'; upload: Upload; enqueued: boolean }
  /** `failed`: the bytes were refused (`bytes_refused`) or, with dedupe, already held by `duplicateOf` (`duplicate_content`). */
  | { kind: 'failed'; upload: Upload; duplicateOf?: string | undefined }
  /** It was no longer `receiving` (completed by another process, cancelled, expired, unknown): nothing changed. */
  | { kind: 'not_receiving'; upload: Upload | undefined };

/**
 * Completes a `receiving` upload once its last byte arrived and the caller inspected and stored the
 * bytes: refused bytes fail it with the reason; with `dedupe`, bytes a succeeded upload of the
 * tenant already holds fail it naming that upload; otherwise receiving → queued, handed to the
 * queue with the outbox as fallback. Fenced in the repository, so of two completions of one upload
 * only one queues it. Stored bytes are this call's: kept only when accepted, deleted otherwise (also
 * when it throws).
 * @throws StoreUnavailableError when Postgres cannot be reached.
 */
export async function finishReceiving(
  deps: ReceiveUploadDeps,
  request: { uploadId: string; tenantId: string; dedupe: boolean; received: ReceivedBytes; provider: string },
): Promise<FinishReceivingOutcome> {
  const { uploadId, tenantId, received, provider } = request;
  const log = bindLogger(deps.logger, { uploadId, tenantId, jobId: uploadId });
  const state = { kept: false };
  try {
    if (!received.ok) return await fail(deps, uploadId, tenantId, { code: BYTES_REFUSED, message: received.reason });
    const { stored } = received;
    // Only now are the type and the size known: a provider that cannot store them refuses here.
    const refusal = chooseProvider(deps.providers, { requested: provider, eager: [], bytes: stored.bytes, contentType: stored.contentType });
    if ('kind' in refusal) return await fail(deps, uploadId, tenantId, { code: BYTES_REFUSED, message: refusalMessage(refusal) });
    if (request.dedupe) {
      const existing = await deps.uploads.findSucceededBySha256(tenantId, stored.sha256, provider);
      if (existing) {
        const failed = await fail(deps, uploadId, tenantId, { code: DUPLICATE_CONTENT, message: `Upload ${existing.id} already holds these bytes (dedupe); use it.` });
        return failed.kind === 'failed' ? { ...failed, duplicateOf: existing.id } : failed;
      }
    }
    const upload = await deps.uploads.completeReceiving(uploadId, stored);
    if (!upload) {
      log.info({}, 'completion of an upload no longer receiving; its bytes are discarded');
      return { kind: 'not_receiving', upload: await deps.uploads.find(uploadId, { tenantId }) };
    }
    state.kept = true;
    return { kind: 'accepted', upload, enqueued: await handOver(deps, upload) };
  } finally {
    if (received.ok && !state.kept) {
      await deps.storage.delete(received.stored.storageKey).catch((error: unknown) => log.error({ err: error, storageKey: received.stored.storageKey }, 'could not delete refused received bytes'));
    }
  }
}

async function fail(deps: ReceiveUploadDeps, uploadId: string, tenantId: string, failure: { code: string; message: string }): Promise<FinishReceivingOutcome> {
  const failed = await deps.uploads.failReceiving(uploadId, failure);
  const upload = await deps.uploads.find(uploadId, { tenantId });
  if (!failed) return { kind: 'not_receiving', upload };
  bindLogger(deps.logger, { uploadId, tenantId }).info({ code: failure.code, reason: failure.message }, 'received upload refused');
  return upload ? { kind: 'failed', upload } : { kind: 'not_receiving', upload };
}

/**
 * Fails a `receiving` upload whose tus resource was never created (the tus server refused the
 * creation after beginReceiving recorded it), so it does not hold a place against the cap until it
 * expires. @returns false when it was no longer `receiving`.
 */
export async function abandonReceiving(deps: Pick<ReceiveUploadDeps, 'uploads' | 'logger'>, request: { uploadId: string; tenantId: string; reason: string }): Promise<boolean> {
  const abandoned = await deps.uploads.failReceiving(request.uploadId, { code: CREATION_FAILED, message: request.reason });
  if (abandoned) bindLogger(deps.logger, { uploadId: request.uploadId, tenantId: request.tenantId }).info({ reason: request.reason }, 'receiving upload abandoned at creation');
  return abandoned;
}

/**
 * Fails `receiving` uploads created before `createdBefore` with `upload_expired`, at most `limit`
 * per call (their partial bytes are the tus store's to expire). Safe from several processes at
 * once: each failure is one guarded statement.
 * @returns how many it failed.
 */
export async function expireReceiving(deps: Pick<ReceiveUploadDeps, 'uploads' | 'logger'>, options: { createdBefore: Date; limit: number }): Promise<number> {
  let expired = 0;
  for (const upload of await deps.uploads.listReceiving(options)) {
    const message = `The upload's last byte did not arrive before it expired (created ${upload.createdAt.toISOString()}).`;
    if (await deps.uploads.failReceiving(upload.id, { code: UPLOAD_EXPIRED, message })) {
      expired += 1;
      bindLogger(deps.logger, { uploadId: upload.id, tenantId: upload.tenantId }).info({}, 'receiving upload expired');
    }
  }
  return expired;
}
