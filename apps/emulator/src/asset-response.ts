import { createHash } from 'node:crypto';
import type { EagerRequest } from './eager.js';
import type { StoredAsset } from './store.js';
import { computeSignature } from './signature.js';
import type { SignatureAlgorithm } from './signature.js';

/** Who the response is for: the cloud, credentials and the bases of delivery URLs. */
export interface ResponseScope {
  readonly cloudName: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly baseUrl: string;
  /** Base of `secure_url`: the configured https address, else the same plain-http base. */
  readonly secureBaseUrl: string;
}

/**
 * The `s--XXXXXXXX--` component of a signed delivery URL, as the SDK's `url(…, {sign_url: true})`
 * computes it: the first 8 characters of the URL-safe base64 hash of the path after the version
 * (`public_id.format`) followed by the API secret.
 */
export function urlSignature(signedPath: string, scope: Pick<ResponseScope, 'apiSecret' | 'signatureAlgorithm'>): string {
  const hash = createHash(scope.signatureAlgorithm).update(signedPath + scope.apiSecret).digest('base64');
  return `s--${hash.slice(0, 8).replace(/\//g, '_').replace(/\+/g, '-')}--`;
}

/** Whether delivering the asset takes a signed URL: private and authenticated types, and access_mode authenticated. */
export function needsSignedUrl(asset: StoredAsset): boolean {
  return asset.type !== 'upload' || asset.accessMode === 'authenticated';
}

/**
 * `${base}/${cloud}/${resource_type}/${type}/[s--sig--/]v${version}/${public_id}.${format}`, path
 * segments escaped; assets only delivered signed get the signature component Cloudinary puts in
 * their returned URLs.
 */
export function deliveryUrl(
  asset: StoredAsset,
  scope: Pick<ResponseScope, 'cloudName' | 'apiSecret' | 'signatureAlgorithm'>,
  base: string,
  eager?: EagerRequest,
): string {
  const format = eager?.format ?? asset.format;
  const extension = format === undefined ? '' : `.${format}`;
  const path = asset.publicId.split('/').map(encodeURIComponent).join('/') + extension;
  const transformation = eager === undefined || eager.transformation === '' ? '' : `${eager.transformation}/`;
  const signature = needsSignedUrl(asset) ? `${urlSignature(transformation + asset.publicId + extension, scope)}/` : '';
  return `${base}/${scope.cloudName}/${asset.resourceType}/${asset.type}/${signature}${transformation}v${asset.version}/${path}`;
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
    type: asset.type,
    etag: asset.etag,
    placeholder: false,
    url: deliveryUrl(asset, scope, scope.baseUrl),
    secure_url: deliveryUrl(asset, scope, scope.secureBaseUrl),
    ...(asset.duration === undefined ? {} : { duration: asset.duration }),
    ...(asset.bitRate === undefined ? {} : { bit_rate: asset.bitRate }),
    access_mode: asset.accessMode,
    folder: folderOf(asset.publicId),
    asset_folder: asset.assetFolder,
    display_name: asset.displayName,
    ...(asset.context === undefined ? {} : { context: { custom: { ...asset.context } } }),
    // Cloudinary also reports the derived size; the emulator does not render, so only where to find it.
    ...(asset.eager.length === 0
      ? {}
      : {
          eager: asset.eager.map((entry) => ({
            transformation: entry.transformation + (entry.format === undefined ? '' : `/${entry.format}`),
            ...(entry.format ?? asset.format ? { format: entry.format ?? asset.format } : {}),
            url: deliveryUrl(asset, scope, scope.baseUrl, entry),
            secure_url: deliveryUrl(asset, scope, scope.secureBaseUrl, entry),
          })),
        }),
    ...(asset.originalFilename === undefined ? {} : { original_filename: asset.originalFilename }),
    api_key: scope.apiKey,
  };
}
