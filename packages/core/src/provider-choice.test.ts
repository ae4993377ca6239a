import { describe, expect, it } from 'vitest';
import { chooseProvider, refusalMessage, type ProviderCatalog } from './provider-choice.js';
import type { ProviderLimits } from './upload-provider.js';

const CLOUDINARY: ProviderLimits = { maxPublicIdLength: 255, resourceTypes: ['image', 'video', 'raw', 'auto'], eagerTransformations: true };
const CLOUDFLARE: ProviderLimits = {
  maxPublicIdLength: 1024,
  resourceTypes: ['image', 'auto'],
  maxFileBytes: 10 * 1024 * 1024,
  contentTypes: ['image/png', 'image/jpeg'],
  maxMetadataBytes: 32,
};
const catalog: ProviderCatalog = { defaultProvider: 'cloudinary', providers: new Map([['cloudinary', CLOUDINARY], ['cloudflare', CLOUDFLARE]]) };

describe('chooseProvider', () => {
  it("sends an upload to its own provider, else its tenant's, else the deployment's", () => {
    expect(chooseProvider(catalog, { eager: [] })).toMatchObject({ provider: 'cloudinary' });
    expect(chooseProvider(catalog, { eager: [], tenantDefault: 'cloudflare' })).toMatchObject({ provider: 'cloudflare', limits: CLOUDFLARE });
    expect(chooseProvider(catalog, { eager: [], tenantDefault: 'cloudflare', requested: 'cloudinary' })).toMatchObject({ provider: 'cloudinary' });
  });

  it('refuses a provider the deployment has no credentials for, naming the ones it has', () => {
    const refusal = chooseProvider(catalog, { eager: [], requested: 'imagekit' });
    expect(refusal).toEqual({ kind: 'provider_not_configured', provider: 'imagekit', configured: ['cloudinary', 'cloudflare'] });
    expect(refusalMessage(refusal as never)).toBe('Provider "imagekit" is not configured here; configured: "cloudinary", "cloudflare".');
    // A tenant default that is no longer configured is refused too, not silently replaced.
    expect(chooseProvider(catalog, { eager: [], tenantDefault: 'imagekit' })).toMatchObject({ kind: 'provider_not_configured' });
  });

  it.each([
    ['an option it cannot do', { eager: ['thumbnail'] as const }, /cannot prepare eager transformations/],
    ['a resource type it does not store', { eager: [], resourceType: 'video' }, /stores no resource type "video"/],
    ['metadata over its limit', { eager: [], metadata: { note: 'x'.repeat(40) } }, /at most 32 bytes of metadata/],
    ['a file over its size', { eager: [], bytes: 10 * 1024 * 1024 + 1 }, /files of at most 10485760 bytes; this one is 10485761/],
    ['a type it does not store', { eager: [], contentType: 'application/pdf' }, /does not store application\/pdf files; it takes image\/png, image\/jpeg/],
  ])('refuses %s, saying what', (_what, needs, message) => {
    const refusal = chooseProvider(catalog, { requested: 'cloudflare', ...needs });
    expect(refusal).toMatchObject({ kind: 'provider_cannot_honour', provider: 'cloudflare', reason: expect.stringMatching(message) as unknown });
  });

  it('takes what is within every limit, and what is not known yet', () => {
    expect(chooseProvider(catalog, { requested: 'cloudflare', eager: [], resourceType: 'auto', bytes: 10 * 1024 * 1024, contentType: 'image/png', metadata: { a: 1 } })).toMatchObject({ provider: 'cloudflare' });
    // A URL upload: size and type come later (the worker's provider call refuses then).
    expect(chooseProvider(catalog, { requested: 'cloudflare', eager: [], bytes: null, contentType: null })).toMatchObject({ provider: 'cloudflare' });
    expect(chooseProvider(catalog, { requested: 'cloudinary', eager: ['thumbnail', 'square'], resourceType: 'video', bytes: 5e9 })).toMatchObject({ provider: 'cloudinary' });
  });
});
