import type { ProviderLimits } from '@hoist/core';
import { CLOUDFLARE_MAX_CUSTOM_ID_LENGTH, customIdProblem } from './custom-id.js';

/**
 * Largest image Cloudflare Images stores: "10 megabytes" in its docs (Limits and formats), read as
 * 10,000,000 bytes, the smaller reading, so Hoist never accepts a file Cloudflare would refuse.
 */
export const CLOUDFLARE_MAX_FILE_BYTES = 10_000_000;

/** Largest `metadata` Cloudflare keeps with an image, bytes of its JSON ("Metadata must not exceed 1024 bytes"). */
export const CLOUDFLARE_MAX_METADATA_BYTES = 1024;

/**
 * The formats Cloudflare Images takes (PNG, GIF, JPEG, WebP, SVG, HEIC: "Supported image formats"),
 * as the media types Hoist's sniffer names them, each with the format name results report.
 */
export const CLOUDFLARE_FORMATS: Readonly<Record<string, string>> = Object.freeze({
  'image/png': 'png',
  'image/gif': 'gif',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
  'image/heic': 'heic',
  'image/heif': 'heic',
});

/**
 * What Cloudflare Images accepts: images only (`auto` is the same, there being nothing else to
 * decide), its custom-id length, 10 MB, its formats and 1,024 bytes of metadata. It derives no eager
 * transformations: its variants are made on delivery.
 */
export const CLOUDFLARE_IMAGES_LIMITS: ProviderLimits = Object.freeze({
  maxPublicIdLength: CLOUDFLARE_MAX_CUSTOM_ID_LENGTH,
  resourceTypes: Object.freeze(['image', 'auto']),
  maxFileBytes: CLOUDFLARE_MAX_FILE_BYTES,
  contentTypes: Object.freeze(Object.keys(CLOUDFLARE_FORMATS)),
  // Cloudflare's 1,024 bytes, less what Hoist adds: the upload id the image belongs to.
  maxMetadataBytes: CLOUDFLARE_MAX_METADATA_BYTES - 64,
  eagerTransformations: false,
  publicIdProblem: customIdProblem,
});
