import type { CloudinaryCredentials } from './cloudinary-url.js';

import type * as Cloudinary from 'cloudinary';

type CloudinaryModule = typeof Cloudinary;
export type CloudinaryV2 = CloudinaryModule['v2'];

let loaded: { sdk: CloudinaryV2; secure: boolean } | undefined;

/** Whether the SDK talks https for these credentials: always, except to an `http:` upload_prefix. */
export function usesHttps(credentials: CloudinaryCredentials): boolean {
  return !credentials.uploadPrefix?.startsWith('http:');
}

/**
 * Loads the Cloudinary SDK for these credentials.
 *
 * Why this dance: the SDK's uploader picks Node's `http` or `https` module once, when it is first
 * imported, from `CLOUDINARY_URL`'s `upload_prefix` — and then refuses every URL of the other
 * scheme. So the URL must be in the environment before the first import, and a process can only
 * talk to one scheme. Per-call options carry the actual credentials, so nothing else depends on
 * the SDK's global configuration.
 */
export async function loadCloudinarySdk(credentials: CloudinaryCredentials, url: string): Promise<CloudinaryV2> {
  const secure = usesHttps(credentials);
  if (loaded) {
    if (loaded.secure !== secure) {
      throw new Error('The Cloudinary SDK is already loaded for the other scheme (http vs https); use one per process.');
    }
    return loaded.sdk;
  }
  process.env.CLOUDINARY_URL = url;
  const module: CloudinaryModule = await import('cloudinary');
  loaded = { sdk: module.v2, secure };
  return module.v2;
}
