import type { ProviderUploadRequest, UploadResult } from '@hoist/core';
import type { Image } from 'cloudflare/resources/images/v1/v1';
import { CLOUDFLARE_FORMATS } from './cloudflare-images-limits.js';

/** The variant Cloudflare gives every account, served as `url`/`secureUrl` when the image has it. */
export const DEFAULT_VARIANT = 'public';

/** Each variant URL of Cloudflare's answer by its name, the URL's last path segment (`…/<id>/<variant>`). */
export function variantsByName(variants: readonly string[]): Record<string, string> {
  const named: Record<string, string> = {};
  for (const url of variants) {
    const name = decodeURIComponent(new URL(url).pathname.split('/').at(-1) ?? '');
    if (name !== '') named[name] = url;
  }
  return named;
}

/**
 * Maps Cloudflare's answer onto the provider-neutral result, or undefined when it names no delivery
 * URL. Cloudflare answers with the id, the upload time and the variant URLs, but no size, format or
 * dimensions: `bytes` and `format` are what Hoist sent (the sniffed type, the exact byte count
 * Cloudflare stores as the original), and width and height are null rather than guessed.
 */
export function toUploadResult(provider: string, image: Image, request: ProviderUploadRequest): UploadResult | undefined {
  const deliveryUrls = variantsByName(image.variants ?? []);
  const secureUrl = deliveryUrls[DEFAULT_VARIANT] ?? Object.values(deliveryUrls)[0];
  if (secureUrl === undefined || typeof image.id !== 'string') return undefined;
  const uploaded = image.uploaded === undefined ? Number.NaN : Date.parse(image.uploaded);
  return {
    provider,
    publicId: request.publicId,
    url: secureUrl,
    secureUrl,
    format: CLOUDFLARE_FORMATS[request.contentType] ?? null,
    width: null,
    height: null,
    bytes: request.bytes,
    version: Number.isNaN(uploaded) ? null : Math.floor(uploaded / 1000),
    resourceType: 'image',
    assetId: image.id,
    deliveryUrls,
  };
}
