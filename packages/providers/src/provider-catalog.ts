import { configuredProviders, defaultProvider, type Config, type ProviderName } from '@hoist/config';
import type { ProviderCatalog, ProviderLimits } from '@hoist/core';
import { CLOUDINARY_LIMITS } from '@hoist/provider-cloudinary';
import { CLOUDFLARE_IMAGES_LIMITS } from '@hoist/provider-cloudflare-images';
import { IMAGEKIT_FREE_PLAN_MAX_FILE_BYTES, IMAGEKIT_LIMITS } from '@hoist/provider-imagekit';

/** What each provider accepts, as the configuration sets it, without opening a connection. */
export function providerLimits(name: ProviderName, config: Config): ProviderLimits {
  switch (name) {
    case 'cloudinary':
      return CLOUDINARY_LIMITS;
    case 'imagekit':
      return { ...IMAGEKIT_LIMITS, maxFileBytes: config.IMAGEKIT_MAX_FILE_BYTES ?? IMAGEKIT_FREE_PLAN_MAX_FILE_BYTES };
    case 'cloudflare':
      return CLOUDFLARE_IMAGES_LIMITS;
  }
}

/**
 * The providers uploads may go to, as the API checks them at submit time: every configured one with
 * its limits, and the default (PROVIDER — which the API need not hold credentials for: its workers
 * do — or the only configured one). With none configured and PROVIDER unset, Cloudinary's limits
 * describe the default, so a development API without credentials still answers as it will.
 */
export function providerCatalog(config: Config): ProviderCatalog {
  const fallback = defaultProvider(config) ?? 'cloudinary';
  const listed = [...new Set([...configuredProviders(config), fallback])];
  return { defaultProvider: fallback, providers: new Map(listed.map((name) => [name, providerLimits(name, config)])) };
}
