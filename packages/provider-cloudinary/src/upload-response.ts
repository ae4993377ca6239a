import type { UploadResult } from '@hoist/core';

/** The fields of Cloudinary's upload answer that Hoist keeps. */
export interface CloudinaryAsset {
  public_id: string;
  version?: number;
  url: string;
  secure_url: string;
  format?: string;
  width?: number;
  height?: number;
  bytes: number;
  resource_type?: string;
  asset_id?: string;
  /** Chunked uploads only: `false` on answers to chunks before the last, `true` on the finished asset. */
  done?: boolean;
}

/** True when Cloudinary's answer describes an asset (as opposed to, say, an unfinished chunk's `{"done":false}`). */
export function isAsset(answer: unknown): answer is CloudinaryAsset {
  if (answer === null || typeof answer !== 'object') return false;
  const fields = answer as Record<string, unknown>;
  return typeof fields['public_id'] === 'string' && typeof fields['secure_url'] === 'string';
}

/** Maps Cloudinary's answer onto the provider-neutral result. */
export function toUploadResult(provider: string, asset: CloudinaryAsset): UploadResult {
  return {
    provider,
    publicId: asset.public_id,
    url: asset.url,
    secureUrl: asset.secure_url,
    format: asset.format ?? null,
    width: asset.width ?? null,
    height: asset.height ?? null,
    bytes: asset.bytes,
    version: asset.version ?? null,
    resourceType: asset.resource_type ?? null,
    assetId: asset.asset_id ?? null,
    deliveryUrls: transformable(asset) ? { transform: asset.secure_url.replace('/upload/', '/upload/{transformation}/') } : null,
  };
}

/** Images and videos are delivered through transformations (`…/upload/w_200,c_fill/v1/id.jpg`); raw files are not. */
function transformable(asset: CloudinaryAsset): boolean {
  return (asset.resource_type === 'image' || asset.resource_type === 'video') && asset.secure_url.includes('/upload/');
}
