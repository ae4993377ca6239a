import type * as CloudflareSdk from 'cloudflare';

/** The `cloudflare` module as imported. */
export type CloudflareModule = typeof CloudflareSdk;

/** The SDK's error classes, which {@link classifyCloudflareError} tells apart. */
export type CloudflareErrorClasses = Pick<CloudflareModule, 'APIError' | 'APIConnectionError' | 'APIConnectionTimeoutError' | 'CloudflareError'>;

let loading: Promise<CloudflareModule> | undefined;

/**
 * Imports the SDK on first use. It is large (every Cloudflare API, about a second and some 45 MB to
 * load here), so a process that only reads this package's limits, or runs another provider, never pays for it.
 */
export function loadCloudflareSdk(): Promise<CloudflareModule> {
  loading ??= import('cloudflare');
  return loading;
}
