import { configuredProviders, defaultProvider, type Config, type ProviderName } from '@hoist/config';
import { ProviderRoster, type Logger, type ProviderThrottle, type UploadProvider } from '@hoist/core';
import { circuitGuard, type CircuitChange } from './failover-guard.js';
import { CloudinaryProvider } from '@hoist/provider-cloudinary';
import { CloudflareImagesProvider } from '@hoist/provider-cloudflare-images';
import { ImageKitProvider } from '@hoist/provider-imagekit';

export interface OpenProvidersOptions {
  /** Each provider's cluster-wide throttle (a worker's); none: unthrottled (the API only deletes). */
  throttle?: ((name: ProviderName) => ProviderThrottle) | undefined;
  /** Where the failover's circuit changes are logged (a worker's logger); none: not logged. */
  logger?: Logger | undefined;
}

/** What each change of the primary's circuit means, for the operator. */
const CIRCUIT_LOG: Record<CircuitChange, string> = {
  open: 'provider failing: new attempts go to its failover until a probe finds it back',
  probing: 'provider failing: probing it with one attempt',
  closed: 'provider back: attempts go to it again',
};

/** Opens one configured provider with its credentials and the shared provider settings. */
async function openProvider(name: ProviderName, config: Config): Promise<UploadProvider> {
  switch (name) {
    case 'cloudinary':
      return CloudinaryProvider.create({
        // configuredProviders lists it only when CLOUDINARY_URL is set.
        url: config.CLOUDINARY_URL ?? '',
        timeoutMs: config.PROVIDER_TIMEOUT_MS,
        chunkThresholdBytes: config.CHUNKED_UPLOAD_THRESHOLD_BYTES,
        chunkSizeBytes: config.CHUNK_SIZE_BYTES,
      });
    case 'imagekit':
      return ImageKitProvider.create({
        // configuredProviders lists it only when the private key and URL endpoint are set.
        privateKey: config.IMAGEKIT_PRIVATE_KEY ?? '',
        urlEndpoint: config.IMAGEKIT_URL_ENDPOINT,
        uploadBaseUrl: config.IMAGEKIT_UPLOAD_BASE_URL,
        apiBaseUrl: config.IMAGEKIT_API_BASE_URL,
        maxFileBytes: config.IMAGEKIT_MAX_FILE_BYTES,
        timeoutMs: config.PROVIDER_TIMEOUT_MS,
      });
    case 'cloudflare':
      return CloudflareImagesProvider.create({
        // configuredProviders lists it only when the account id and API token are set.
        accountId: config.CLOUDFLARE_ACCOUNT_ID ?? '',
        apiToken: config.CLOUDFLARE_API_TOKEN ?? '',
        baseUrl: config.CLOUDFLARE_API_BASE_URL,
        timeoutMs: config.PROVIDER_TIMEOUT_MS,
      });
  }
}

/**
 * Every provider the configuration has credentials for, opened, each with its own throttle: what a
 * worker uploads with and what an API deletes with. The one place a provider's name meets its
 * adapter.
 */
export async function openProviders(config: Config, options: OpenProvidersOptions = {}): Promise<ProviderRoster> {
  const entries = await Promise.all(
    configuredProviders(config).map(async (name) => ({ provider: await openProvider(name, config), throttle: options.throttle?.(name) })),
  );
  // Only between providers this process has: an API may lack them (it uploads nothing; a worker
  // refuses to start without them), and then keeps to deleting what it can reach.
  const have = new Set(entries.map((entry) => entry.provider.name));
  const from = defaultProvider(config);
  const to = config.PROVIDER_FAILOVER;
  const failover =
    from && to && have.has(from) && have.has(to)
      ? {
          from,
          to,
          guard: circuitGuard({
            failuresToOpen: config.PROVIDER_FAILOVER_AFTER,
            probeAfterMs: config.PROVIDER_FAILOVER_PROBE_MS,
            onChange: (change) => options.logger?.warn({ provider: from, failover: to }, CIRCUIT_LOG[change]),
          }),
        }
      : undefined;
  const copyTo = config.PROVIDER_MIRROR;
  const mirror = from && copyTo && have.has(from) && have.has(copyTo) ? { from, to: copyTo, require: config.PROVIDER_MIRROR_REQUIRE } : undefined;
  return new ProviderRoster(entries, { failover, mirror });
}
