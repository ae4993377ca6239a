import { assetHeldSince } from './asset-ownership.js';
import type { Logger } from './logger.js';
import type { TempStorage } from './temp-storage.js';
import { isOpen, type Upload } from './upload.js';
import type { ProviderRoster } from './provider-roster.js';
import type { ProviderAsset } from './upload-provider.js';
import type { UploadRepository } from './upload.repository.js';
import { bindLogger } from './upload-log.js';

export interface DeleteUploadDeps {
  uploads: UploadRepository;
  /** The providers this process can call; an asset is deleted where it landed. */
  providers: ProviderRoster;
  storage: TempStorage;
  logger: Logger;
}

export type DeleteOutcome =
  /** The asset is gone and the row says `deleted` (now or before). */
  | { kind: 'deleted'; upload: Upload }
  | { kind: 'not_found' }
  /** Queued or running: cancel it first. */
  | { kind: 'unfinished'; upload: Upload };

/**
 * Deletes a finished upload's provider asset, then marks the row `deleted` (kept as a record).
 * The asset goes first, so a failure in between leaves a row that can be deleted again, never a
 * `deleted` row whose asset still exists. Safe to repeat: the provider's destroy is idempotent.
 * Failed and cancelled uploads are destroyed too, since an interrupted attempt may have left an asset.
 *
 * @throws the provider's RateLimitedError, RetryableProviderError or PermanentProviderError (nothing
 *   changed) — ProviderNotConfiguredError when this process cannot reach the asset's provider — or
 *   StoreUnavailableError.
 */
export async function deleteUpload(deps: DeleteUploadDeps, uploadId: string, scope?: { tenantId: string }): Promise<DeleteOutcome> {
  const upload = await deps.uploads.find(uploadId, scope);
  if (!upload) return { kind: 'not_found' };
  if (upload.status === 'deleted') return { kind: 'deleted', upload };
  if (isOpen(upload.status)) return { kind: 'unfinished', upload };

  const asset = assetOf(upload);
  // Only an upload that may have produced the asset destroys it: one that succeeded, or one a worker
  // ran at least once (in this round or an earlier one).
  const mayOwnAsset = upload.status === 'succeeded' || upload.attempts > 0 || upload.retryCount > 0;
  if (mayOwnAsset) {
    await destroyUnlessHeldElsewhere(deps, upload, asset);
    // And its copies on the mirror provider (PROVIDER_MIRROR).
    for (const copy of upload.result?.mirrors ?? []) {
      await destroyUnlessHeldElsewhere(deps, upload, { provider: copy.provider, publicId: copy.publicId, resourceType: copy.resourceType ?? asset.resourceType, assetId: copy.assetId });
    }
    await destroyStrayCopies(deps, upload, bindLogger(deps.logger, { uploadId: upload.id, tenantId: upload.tenantId }));
  }
  if (!(await deps.uploads.markDeleted(upload.id))) {
    const current = await deps.uploads.find(upload.id);
    return current ? { kind: 'unfinished', upload: current } : { kind: 'not_found' };
  }
  // A failed upload's bytes may still be kept for a retry that can no longer happen.
  if (upload.storageKey) await deps.storage.delete(upload.storageKey).catch(() => undefined);
  bindLogger(deps.logger, { uploadId: upload.id, tenantId: upload.tenantId }).info({ publicId: asset.publicId }, 'upload deleted');
  return { kind: 'deleted', upload: (await deps.uploads.find(upload.id)) ?? upload };
}

/**
 * Destroys `asset` unless another upload holds it under the same public id (the client reused the
 * id): a succeeded upload yields only to one that succeeded after it (that one overwrote the
 * asset); an upload that never succeeded yields to any upload that did. One that a worker is
 * producing right now always holds it.
 * @returns whether the asset was destroyed.
 */
export async function destroyUnlessHeldElsewhere(
  deps: Pick<DeleteUploadDeps, 'uploads' | 'providers'>,
  upload: Upload,
  asset: LocatedAsset,
): Promise<boolean> {
  if (await deps.uploads.otherUploadOwnsAsset(upload.id, asset, assetHeldSince(upload))) return false;
  const { provider, ...where } = asset;
  await deps.providers.require(provider).provider.destroy(where);
  return true;
}

/**
 * Destroys what an upload's attempts may have left on its failover's or mirror's provider (see
 * ProviderRoster.strayCopies): best effort, each failure logged — nothing is known to be there.
 */
export async function destroyStrayCopies(deps: Pick<DeleteUploadDeps, 'uploads' | 'providers'>, upload: Upload, log: Logger): Promise<void> {
  for (const provider of deps.providers.strayCopies(upload)) {
    const asset = { provider, publicId: upload.publicId, resourceType: assetResourceType(upload) };
    await destroyUnlessHeldElsewhere(deps, upload, asset).catch((error: unknown) => log.warn({ err: error, provider, publicId: upload.publicId }, 'could not remove what an attempt may have left on another provider'));
  }
}

/** An asset and the provider it is on. */
export interface LocatedAsset extends ProviderAsset {
  provider: string;
}

/** Where the upload's asset is, or would be: where it landed if it succeeded, else where it was sent. */
export function assetOf(upload: Upload): LocatedAsset {
  return {
    provider: upload.result?.provider ?? upload.provider,
    publicId: upload.result?.publicId ?? upload.publicId,
    resourceType: assetResourceType(upload),
    assetId: upload.result?.assetId,
  };
}

/** The provider's resource type of the asset: as reported when it was stored, else as requested, else from the bytes' type. */
export function assetResourceType(upload: Upload): string {
  if (upload.result?.resourceType) return upload.result.resourceType;
  if (upload.resourceType !== 'auto') return upload.resourceType;
  const type = upload.contentType ?? '';
  if (type.startsWith('video/')) return 'video';
  return type.startsWith('image/') || type === 'application/pdf' ? 'image' : 'raw';
}
