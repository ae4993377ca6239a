import type { StoredAsset } from './store.js';
import { computeSignature } from './signature.js';

/** Who the response is for: the cloud, credentials and the base of delivery URLs. */
export interface ResponseScope {
  readonly cloudName: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly baseUrl: string;
}

/** `${base}/${cloud}/${type}/upload/v${version}/${public_id}.${format}`, path segments escaped. */
export function deliveryUrl(asset: StoredAsset, scope: Pick<ResponseScope, 'cloudName' | 'baseUrl'>): string {
  const path = asset.publicId.split('/').map(encodeURIComponent).join('/');
  const extension = asset.format === undefined ? '' : `.${asset.format}`;
  return `${scope.baseUrl}/${scope.cloudName}/${asset.resourceType}/upload/v${asset.version}/${path}${extension}`;
}

/** Folder part of a public_id, as fixed-folder mode reports it ('' at the root). */
function folderOf(publicId: string): string {
  const slash = publicId.lastIndexOf('/');
  return slash === -1 ? '' : publicId.slice(0, slash);
}

/**
 * The upload response Cloudinary gives for an asset. Its `signature` is Cloudinary's response
 * signature (public_id and version signed with the secret), which the SDK's
 * `verify_api_response_signature` checks. Width, height and pages appear only when known.
 */
export function assetResponse(asset: StoredAsset, scope: ResponseScope): Record<string, unknown> {
  const url = deliveryUrl(asset, scope);
  return {
    asset_id: asset.assetId,
    public_id: asset.publicId,
    version: asset.version,
    version_id: asset.versionId,
    signature: computeSignature({ public_id: asset.publicId, version: String(asset.version) }, scope.apiSecret),
    ...(asset.width === undefined ? {} : { width: asset.width }),
    ...(asset.height === undefined ? {} : { height: asset.height }),
    ...(asset.format === undefined ? {} : { format: asset.format }),
    resource_type: asset.resourceType,
    created_at: asset.createdAt,
    tags: [...asset.tags],
    ...(asset.pages === undefined ? {} : { pages: asset.pages }),
    bytes: asset.bytes,
    type: 'upload',
    etag: asset.etag,
    placeholder: false,
    url,
    // The emulator has no TLS, so the "secure" URL is served from the same plain-HTTP base.
    secure_url: url,
    folder: folderOf(asset.publicId),
    ...(asset.context === undefined ? {} : { context: { custom: { ...asset.context } } }),
    original_filename: asset.originalFilename,
    api_key: scope.apiKey,
  };
}
