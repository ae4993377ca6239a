import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { PermanentProviderError, RateLimitedError, RetryableProviderError, TempObjectChangedError, type ProviderUploadRequest } from '@hoist/core';
import { DEFAULTS } from '@hoist/emulator';
import { ImageKit } from '@imagekit/nodejs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { startEmulator, type TestEmulator } from './test-support/emulator.js';

// The adapter through the real SDK against the project's emulator: what a user of Hoist would see.

let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(async () => {
  await emulator.setFaults(undefined);
  await fetch(`${emulator.url}/__emulator/imagekit/assets`, { method: 'DELETE' });
});

function request(body: Buffer, overrides: Partial<ProviderUploadRequest> = {}): ProviderUploadRequest {
  return {
    uploadId: 'u1',
    publicId: 't1/pets/cat',
    filename: 'cat.png',
    contentType: 'image/png',
    bytes: body.length,
    tags: ['pets', 'grey'],
    open: () => Promise.resolve(Readable.from([body])),
    ...overrides,
  };
}

interface EmulatedFile {
  fileId: string;
  filePath: string;
  version: number;
  tags: string[];
  customMetadata: Record<string, unknown>;
}

async function files(): Promise<EmulatedFile[]> {
  const response = await fetch(`${emulator.url}/__emulator/imagekit/assets`);
  return ((await response.json()) as { assets: EmulatedFile[] }).assets;
}

async function bytesAt(url: string): Promise<Buffer | undefined> {
  const response = await fetch(url);
  const body = Buffer.from(await response.arrayBuffer());
  return response.ok ? body : undefined;
}

describe('ImageKitProvider with the SDK against the emulator', () => {
  it('refuses wrong credentials as permanent, naming the setting to check and not the key', async () => {
    const provider = emulator.provider({ privateKey: 'private_not-the-key' });
    const error = await provider.upload(request(makePng(3, 2, 1))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect((error as PermanentProviderError).status).toBe(403);
    expect((error as Error).message).toContain('IMAGEKIT_PRIVATE_KEY');
    expect((error as Error).message).not.toContain('private_not-the-key');
    await expect(provider.destroy({ publicId: 't1/pets/cat', resourceType: 'image' })).rejects.toThrow(/IMAGEKIT_PRIVATE_KEY/);
  });

  it('reports the file ImageKit stored, its id, version, type and a transformation URL template', async () => {
    const provider = emulator.provider();
    const png = makePng(3, 2, 1);
    const first = await provider.upload(request(png));
    expect(first).toMatchObject({ provider: 'imagekit', publicId: 't1/pets/cat', bytes: png.length, width: 3, height: 2, format: 'png', version: 1, resourceType: 'image' });
    expect(first.secureUrl).toBe(`${emulator.url}/imagekit/${DEFAULTS.imagekitId}/t1/pets/cat`);
    expect(first.deliveryUrls).toEqual({ transform: `${first.secureUrl}?tr={transformation}` });
    expect((await bytesAt(first.deliveryUrls!['transform']!.replace('{transformation}', 'w-100,h-100')))?.equals(png)).toBe(true);

    const other = makePng(3, 2, 2);
    const second = await provider.upload(request(other, { bytes: other.length, open: () => Promise.resolve(Readable.from([other])) }));
    expect(second).toMatchObject({ assetId: first.assetId, version: 2 });
    expect(await files()).toEqual([expect.objectContaining({ fileId: first.assetId, filePath: '/t1/pets/cat', version: 2, tags: ['pets', 'grey'] })]);
  });

  it('reports delivery URLs on the configured URL endpoint', async () => {
    const provider = emulator.provider({ urlEndpoint: 'https://ik.imagekit.io/demo/' });
    const result = await provider.upload(request(makePng(3, 2, 1)));
    expect(result.url).toBe('https://ik.imagekit.io/demo/t1/pets/cat');
    expect(result.deliveryUrls?.['transform']).toBe('https://ik.imagekit.io/demo/t1/pets/cat?tr={transformation}');
  });

  it('keeps metadata only in custom metadata fields created first, and says so when one is missing', async () => {
    const provider = emulator.provider();
    const withMetadata = request(makePng(3, 2, 1), { metadata: { sku: 'A1', price: 12 } });
    const error = await provider.upload(withMetadata).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect((error as Error).message).toMatch(/custom metadata fields created beforehand/);
    expect(await files()).toHaveLength(0);

    const client = new ImageKit({ privateKey: DEFAULTS.imagekitPrivateKey, baseURL: emulator.url, maxRetries: 0 });
    await client.customMetadataFields.create({ name: 'sku', label: 'SKU', schema: { type: 'Text' } });
    await client.customMetadataFields.create({ name: 'price', label: 'Price', schema: { type: 'Number' } });
    await provider.upload(withMetadata);
    expect((await files())[0]?.customMetadata).toEqual({ sku: 'A1', price: 12 });
  });

  it('sends the file while it is still being read, not after reading it whole', async () => {
    const provider = emulator.provider({ timeoutMs: 10_000 });
    await fetch(`${emulator.url}/__emulator/imagekit/stats`, { method: 'DELETE' });
    const png = makePng(3, 2, 3);
    const uploadsSeen = async (): Promise<number> => ((await (await fetch(`${emulator.url}/__emulator/imagekit/stats`)).json()) as { uploads: number }).uploads;
    // The rest of the file comes only once the emulator has the request: a client that buffered
    // the body first would never send it, and this would give up.
    async function* source(): AsyncGenerator<Buffer> {
      yield png.subarray(0, 8);
      const deadline = Date.now() + 5_000;
      while ((await uploadsSeen()) === 0) {
        if (Date.now() > deadline) throw new Error('the upload request did not start before its body was read');
        await sleep(20);
      }
      yield png.subarray(8);
    }
    const result = await provider.upload(request(png, { open: () => Promise.resolve(Readable.from(source())) }));
    expect((await bytesAt(result.secureUrl))?.equals(png)).toBe(true);
  });

  it('times an upload by its progress: a slow file that keeps moving goes through, a stalled one fails as retryable', async () => {
    const provider = emulator.provider({ timeoutMs: 500 });
    const png = makePng(3, 2, 5);
    // Six pieces 200 ms apart: longer than the timeout in all, never that long without progress.
    async function* slow(): AsyncGenerator<Buffer> {
      for (let start = 0; start < png.length; start += Math.ceil(png.length / 6)) {
        await sleep(200);
        yield png.subarray(start, start + Math.ceil(png.length / 6));
      }
    }
    const result = await provider.upload(request(png, { open: () => Promise.resolve(Readable.from(slow())) }));
    expect((await bytesAt(result.secureUrl))?.equals(png)).toBe(true);

    async function* stalled(): AsyncGenerator<Buffer> {
      yield png.subarray(0, 8);
      await sleep(1_500);
      yield png.subarray(8);
    }
    const started = Date.now();
    const error = await provider.upload(request(png, { publicId: 't1/pets/stalled', open: () => Promise.resolve(Readable.from(stalled())) })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableProviderError);
    expect(Date.now() - started).toBeLessThan(1_400);
  });

  it('lets a temp-storage failure in the middle of the file through unchanged', async () => {
    const provider = emulator.provider();
    const png = makePng(3, 2, 4);
    const changed = new TempObjectChangedError('k', png.length, png.length - 1);
    async function* source(): AsyncGenerator<Buffer> {
      yield png.subarray(0, 8);
      await sleep(10);
      throw changed;
    }
    await expect(provider.upload(request(png, { open: () => Promise.resolve(Readable.from(source())) }))).rejects.toBe(changed);
    expect(await files()).toHaveLength(0);
  });

  it('deletes by file id, by path without one or when the id is stale, and takes a missing file as done', async () => {
    const provider = emulator.provider();
    const first = await provider.upload(request(makePng(3, 2, 1)));
    await provider.destroy({ publicId: first.publicId, resourceType: 'image', assetId: first.assetId });
    expect(await files()).toHaveLength(0);
    expect(await bytesAt(first.secureUrl)).toBeUndefined();

    // The id recorded belongs to a file deleted since; the one at the path now is another.
    const second = await provider.upload(request(makePng(3, 2, 2)));
    expect(second.assetId).not.toBe(first.assetId);
    await provider.destroy({ publicId: second.publicId, resourceType: 'image', assetId: first.assetId });
    expect(await files()).toHaveLength(0);

    await provider.upload(request(makePng(3, 2, 3)));
    await provider.upload(request(makePng(3, 2, 3), { publicId: 't1/pets/cat2' }));
    await provider.destroy({ publicId: 't1/pets/cat', resourceType: 'image' });
    expect((await files()).map((file) => file.filePath)).toEqual(['/t1/pets/cat2']);
    await provider.destroy({ publicId: 't1/pets/cat', resourceType: 'image' });
    await provider.destroy({ publicId: 'never/there', resourceType: 'image', assetId: 'aaaaaaaaaaaaaaaaaaaaaaaa' });
  });

  it('reports a connection reset during an upload as retryable, and the retry stores the file once', async () => {
    const provider = emulator.provider();
    await emulator.setFaults({ script: [{ kind: 'reset' }] });
    await expect(provider.upload(request(makePng(3, 2, 1)))).rejects.toBeInstanceOf(RetryableProviderError);
    await provider.upload(request(makePng(3, 2, 1)));
    expect(await files()).toEqual([expect.objectContaining({ filePath: '/t1/pets/cat', version: 1 })]);
  });

  it('reports a rate-limited or failing delete as its kind', async () => {
    const provider = emulator.provider();
    const result = await provider.upload(request(makePng(3, 2, 1)));
    await emulator.setFaults({ script: [{ kind: 'error', status: 502 }] });
    await expect(provider.destroy({ publicId: result.publicId, resourceType: 'image', assetId: result.assetId })).rejects.toBeInstanceOf(RetryableProviderError);
    await emulator.setFaults({ script: [{ kind: 'rate_limit', resetInSeconds: 20, limit: 1800, hint: 'headers' }] });
    const error = await provider.destroy({ publicId: result.publicId, resourceType: 'image', assetId: result.assetId }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).hint).toMatchObject({ ratePerSecond: 0.5, remaining: 0 });
    expect((error as RateLimitedError).resetAt!.getTime()).toBeGreaterThan(Date.now() + 15_000);
    await provider.destroy({ publicId: result.publicId, resourceType: 'image', assetId: result.assetId });
    expect(await files()).toHaveLength(0);
  });

  it('refuses a resource type other than auto, and a public id ImageKit would store elsewhere, before sending anything', async () => {
    const provider = emulator.provider();
    let opened = 0;
    const png = makePng(3, 2, 1);
    const open = (): Promise<Readable> => {
      opened += 1;
      return Promise.resolve(Readable.from([png]));
    };
    await expect(provider.upload(request(png, { resourceType: 'raw', open }))).rejects.toThrow(/only 'auto'/);
    await expect(provider.upload(request(png, { publicId: 't1/v1.2/cat', open }))).rejects.toBeInstanceOf(PermanentProviderError);
    expect(opened).toBe(0);
    expect(await files()).toHaveLength(0);
  });

  it('refuses options it cannot use, before any request', () => {
    expect(() => emulator.provider({ privateKey: '' })).toThrow(/IMAGEKIT_PRIVATE_KEY/);
    expect(() => emulator.provider({ apiBaseUrl: 'ftp://example.com' })).toThrow(/IMAGEKIT_API_BASE_URL/);
    expect(() => emulator.provider({ maxFileBytes: 0 })).toThrow(/IMAGEKIT_MAX_FILE_BYTES/);
    expect(emulator.provider({ maxFileBytes: 50 * 1024 * 1024 }).limits).toMatchObject({ maxFileBytes: 50 * 1024 * 1024, resourceTypes: ['auto'], eagerTransformations: false });
  });
});
