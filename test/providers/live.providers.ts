import { loadConfig } from '@hoist/config';
import type { ProviderAsset, UploadProvider, UploadResult } from '@hoist/core';
import { describeUploadProvider } from '@hoist/core/conformance';
import { openProviders } from '@hoist/providers';
import { afterAll, describe, it } from 'vitest';
import { makePng } from '../support/fixtures.js';

// `pnpm test:providers`: the provider conformance suite against the real services whose credentials
// are in the environment (CLOUDINARY_URL, IMAGEKIT_*, CLOUDFLARE_*; the same variables as the
// workers'). Opt-in and never part of `pnpm test`: it uploads a few small PNGs under the public id
// prefix `conformance/`, and deletes every asset it made afterwards. The tests that need a scripted
// failure (rate limit, 5xx, timeout) are skipped: a real service cannot be told to fail.

const config = loadConfig();
const roster = await openProviders({ ...config, PROVIDER_TIMEOUT_MS: Math.min(config.PROVIDER_TIMEOUT_MS, 60_000) });
/** Every asset the suite stored, to delete afterwards, by provider. */
const made = new Map<UploadProvider, ProviderAsset[]>();

/** The provider, recording what it stores. */
function recording(provider: UploadProvider): UploadProvider {
  const assets: ProviderAsset[] = [];
  made.set(provider, assets);
  return {
    name: provider.name,
    limits: provider.limits,
    upload: async (request) => {
      const result = await provider.upload(request);
      assets.push({ publicId: result.publicId, resourceType: result.resourceType ?? 'image', assetId: result.assetId });
      return result;
    },
    destroy: (asset) => provider.destroy(asset),
  };
}

async function read(result: UploadResult): Promise<Buffer | undefined> {
  // A CDN may serve a replaced asset's old bytes for a while; ask past any cache.
  const response = await fetch(`${result.secureUrl}${result.secureUrl.includes('?') ? '&' : '?'}hoist=${Date.now()}`, { cache: 'no-store' });
  const body = Buffer.from(await response.arrayBuffer());
  return response.ok ? body : undefined;
}

if (roster.names.length === 0) {
  describe('live providers', () => {
    it.skip('no provider credentials in the environment (set CLOUDINARY_URL, IMAGEKIT_* or CLOUDFLARE_*)', () => undefined);
  });
}
for (const name of roster.names) {
  const provider = recording(roster.require(name).provider);
  describeUploadProvider(`${name} (live)`, () => Promise.resolve({ provider, read, image: (seed: number) => makePng(3, 2, seed) }));
}

afterAll(async () => {
  for (const [provider, assets] of made) await Promise.allSettled(assets.map((asset) => provider.destroy(asset)));
});
