import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { PermanentProviderError, TempObjectChangedError, type ProviderUploadRequest, type RateLimitHint } from '@hoist/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { CloudflareImagesProvider, type CloudflareImagesProviderOptions } from './cloudflare-images.provider.js';
import { startEmulator, type TestEmulator } from './test-support/emulator.js';

// The real SDK against the project's emulator, for what the conformance suite does not ask.

let emulator: TestEmulator;
let provider: CloudflareImagesProvider;

function options(overrides: Partial<CloudflareImagesProviderOptions> = {}): CloudflareImagesProviderOptions {
  return { accountId: emulator.accountId, apiToken: emulator.apiToken, baseUrl: emulator.apiBaseUrl, timeoutMs: 2_000, ...overrides };
}

function request(body: Buffer, overrides: Partial<ProviderUploadRequest> = {}): ProviderUploadRequest {
  return {
    uploadId: 'u1',
    publicId: `tenant/${randomBytes(6).toString('hex')}`,
    filename: 'image.png',
    contentType: 'image/png',
    bytes: body.length,
    tags: [],
    open: () => Promise.resolve(Readable.from([body])),
    ...overrides,
  };
}

async function stats(): Promise<{ requests: number; byStatus: Record<string, number> }> {
  return (await (await fetch(`${emulator.url}/__emulator/cloudflare/stats`)).json()) as { requests: number; byStatus: Record<string, number> };
}

beforeAll(async () => {
  emulator = await startEmulator();
  provider = await CloudflareImagesProvider.create(options());
});
beforeEach(async () => {
  await emulator.setFaults(undefined);
  await fetch(`${emulator.url}/__emulator/cloudflare/stats`, { method: 'DELETE' });
});
afterAll(async () => {
  await emulator.close();
});

describe('CloudflareImagesProvider', () => {
  it('reports the image: its id, the public variant, every variant by name, what is known of the file', async () => {
    const png = makePng(4, 3, 1);
    const req = request(png, { metadata: { owner: 'tenant', n: 1 } });
    const result = await provider.upload(req);
    expect(result).toMatchObject({ provider: 'cloudflare', publicId: req.publicId, assetId: req.publicId, format: 'png', width: null, height: null, bytes: png.length, resourceType: 'image' });
    expect(result.secureUrl).toBe(`${emulator.url}/cdn-cgi/imagedelivery/hoist-local-hash/${req.publicId}/public`);
    expect(result.deliveryUrls).toEqual({ public: result.secureUrl });
    expect(result.version).toBeGreaterThan(1_700_000_000);
    // With the upload it belongs to, which a later conflict at the id is checked against.
    expect((await emulator.assets()).find((image) => image.id === req.publicId)?.meta).toEqual({ owner: 'tenant', n: 1, hoistUploadId: req.uploadId });
  });

  it("replaces its own image at a taken id after Cloudflare's conflict (an attempt whose answer was lost), leaving one image with the new bytes", async () => {
    const req = request(makePng(3, 2, 1));
    await provider.upload(req);
    const other = makePng(3, 2, 2);
    const second = await provider.upload({ ...req, bytes: other.length, open: () => Promise.resolve(Readable.from([other])) });
    const images = (await emulator.assets()).filter((image) => image.id === req.publicId);
    expect(images).toEqual([expect.objectContaining({ bytes: other.length })]);
    expect(Buffer.from(await (await fetch(second.secureUrl)).arrayBuffer()).equals(other)).toBe(true);
    // create, create (409), get (its own), delete, create.
    expect((await stats()).byStatus).toEqual({ '200': 4, '409': 1 });
  });

  it("refuses, as permanent and touching nothing, an id that holds another upload's image: Cloudflare cannot replace it in place", async () => {
    const first = makePng(3, 2, 11);
    const req = request(first, { uploadId: '01a25263-0000-7000-8000-000000000001' });
    const held = await provider.upload(req);
    const error = await provider.upload({ ...request(makePng(3, 2, 12)), publicId: req.publicId, uploadId: '01a25263-0000-7000-8000-000000000002' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect((error as Error).message).toBe(
      `Cloudflare Images already holds upload 01a25263-0000-7000-8000-000000000001 at id ${req.publicId}, and cannot replace an image in place; delete that upload first, or choose another publicId`,
    );
    // The first upload's image is still there, with its bytes.
    expect(Buffer.from(await (await fetch(held.secureUrl)).arrayBuffer()).equals(first)).toBe(true);
  });

  it('fails a wrong API token as permanent, naming the variable to check and not the token', async () => {
    const wrong = await CloudflareImagesProvider.create(options({ apiToken: 'not-the-token-s3cr3t' }));
    const error = await wrong.upload(request(makePng(3, 2, 3))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect((error as PermanentProviderError).status).toBe(401);
    expect((error as Error).message).toMatch(/CLOUDFLARE_API_TOKEN/);
    expect((error as Error).message).not.toContain('s3cr3t');
  });

  it('fails another account as permanent naming CLOUDFLARE_ACCOUNT_ID, and does not take its 404 for a deleted image', async () => {
    const other = await CloudflareImagesProvider.create(options({ accountId: 'ffffffffffffffffffffffffffffffff' }));
    await expect(other.upload(request(makePng(3, 2, 4)))).rejects.toThrow(/CLOUDFLARE_ACCOUNT_ID/);
    await expect(other.destroy({ publicId: 'tenant/x', resourceType: 'image' })).rejects.toBeInstanceOf(PermanentProviderError);
    // Nor a base URL that misses the API (the emulator's other 404s).
    const astray = await CloudflareImagesProvider.create(options({ baseUrl: emulator.url }));
    await expect(astray.destroy({ publicId: 'tenant/x', resourceType: 'image' })).rejects.toBeInstanceOf(PermanentProviderError);
  });

  it('refuses before sending what Cloudflare would refuse: metadata over 1,024 bytes, a format it does not store, an id it does not take, another resource type', async () => {
    const png = makePng(3, 2, 5);
    const refused = [
      request(png, { metadata: { note: 'x'.repeat(1100) } }),
      request(png, { contentType: 'application/pdf' }),
      request(png, { publicId: 'tenant/name/' }),
      request(png, { resourceType: 'video' }),
    ];
    for (const req of refused) await expect(provider.upload(req)).rejects.toBeInstanceOf(PermanentProviderError);
    expect((await stats()).requests).toBe(0);
  });

  it('lets a temp file that changes while it is read fail as that, not as the provider', async () => {
    const png = makePng(3, 2, 8);
    const changing = (): Readable =>
      Readable.from(
        (async function* () {
          yield png.subarray(0, 10);
          await Promise.resolve();
          throw new TempObjectChangedError('k', png.length, 10);
        })(),
      );
    await expect(provider.upload(request(png, { open: () => Promise.resolve(changing()) }))).rejects.toBeInstanceOf(TempObjectChangedError);
    expect((await stats()).requests).toBe(0);
  });

  it('deletes by the public id when the result had no asset id', async () => {
    const req = request(makePng(3, 2, 6));
    await provider.upload(req);
    await provider.destroy({ publicId: req.publicId, resourceType: 'image' });
    expect((await emulator.assets()).some((image) => image.id === req.publicId)).toBe(false);
  });

  it("reports the rate limit a successful answer's headers state", async () => {
    await emulator.setFaults({ rateLimitPerSecond: 50 });
    const hints: RateLimitHint[] = [];
    await provider.upload(request(makePng(3, 2, 7), { onRateLimitHint: (hint) => hints.push(hint) }));
    expect(hints).toHaveLength(1);
    expect(hints[0]?.ratePerSecond).toBe(50);
    expect(hints[0]?.remaining).toBeGreaterThanOrEqual(0);
    expect(hints[0]?.resetAt).toBeInstanceOf(Date);
  });

  it('refuses a configuration asking for signed URLs, which Cloudflare cannot give images with custom ids, and unusable settings', async () => {
    await expect(CloudflareImagesProvider.create(options({ requireSignedURLs: true }))).rejects.toThrow(/CLOUDFLARE_REQUIRE_SIGNED_URLS/);
    await expect(CloudflareImagesProvider.create(options({ accountId: 'acct' }))).rejects.toThrow(/CLOUDFLARE_ACCOUNT_ID/);
    await expect(CloudflareImagesProvider.create(options({ baseUrl: 'api.cloudflare.com' }))).rejects.toThrow(/CLOUDFLARE_API_BASE_URL/);
  });
});
