import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PermanentProviderError, RateLimitedError, RetryableProviderError, TempObjectMissingError } from '../errors.js';
import type { UploadResult } from '../upload.js';
import type { ChunkProgress } from '../chunk-progress.js';
import type { ProviderUploadRequest, UploadProvider } from '../upload-provider.js';

/**
 * A provider failure the fixture can make the next call end with: `rate_limited` is the provider's
 * rate-limit answer saying when the limit resets, {@link RATE_LIMIT_RESET_SECONDS} from now, in the
 * provider's own words (headers or message); `timeout` is an answer that never comes.
 */
export type ProviderFault = 'rate_limited' | 'retryable' | 'permanent' | 'timeout';

/** How far ahead the `rate_limited` fault's reset lies, seconds. */
export const RATE_LIMIT_RESET_SECONDS = 30;

/** What {@link describeUploadProvider} needs of one adapter. */
export interface UploadProviderFixture {
  /** Made with a request timeout of at most a few seconds, so the `timeout` fault is quick to see. */
  provider: UploadProvider;
  /** The bytes stored at the result's public id, or undefined when there is no asset there. */
  read: (result: UploadResult) => Promise<Buffer | undefined>;
  /**
   * Makes the provider's next answer this failure; absent against a real service, which cannot be
   * told to fail (the tests that need it are skipped).
   */
  fault?: ((kind: ProviderFault) => Promise<void>) | undefined;
  /** A small file the provider stores as an image (a PNG); another seed, other bytes. */
  image: (seed: number) => Buffer;
}

/**
 * The contract every UploadProvider adapter passes: it states sane limits, stores the bytes at the
 * deterministic public id and replaces them on a repeat, destroys idempotently, reports every failure
 * as one of the three ProviderError kinds (and a missing temp object as it is), and — when it states
 * chunking — sends a large file in acknowledged chunks and resumes a cut-short session. `make`
 * returns a provider with no scripted faults pending.
 */
export function describeUploadProvider(name: string, make: () => Promise<UploadProviderFixture>): void {
  function request(body: Buffer, overrides: Partial<ProviderUploadRequest> = {}): ProviderUploadRequest {
    return {
      uploadId: 'u1',
      publicId: `conformance/${randomBytes(6).toString('hex')}`,
      filename: 'image.png',
      contentType: 'image/png',
      bytes: body.length,
      tags: ['t1'],
      open: (range) => Promise.resolve(Readable.from([range ? body.subarray(range.start, range.end + 1) : body])),
      ...overrides,
    };
  }

  describe(`UploadProvider conformance: ${name}`, () => {
    it('states its limits', async () => {
      const { provider } = await make();
      const { limits } = provider;
      expect(Number.isSafeInteger(limits.maxPublicIdLength) && limits.maxPublicIdLength > 0).toBe(true);
      expect(limits.resourceTypes.length).toBeGreaterThan(0);
      if (limits.maxFileBytes !== undefined) expect(limits.maxFileBytes).toBeGreaterThan(0);
      if (limits.chunking) {
        expect(limits.chunking.chunkBytes).toBeGreaterThan(0);
        expect(limits.chunking.thresholdBytes).toBeGreaterThanOrEqual(limits.chunking.chunkBytes);
      }
    });

    it('stores the bytes at the deterministic public id and reports what it stored', async () => {
      const { provider, read, image: png } = await make();
      const image = png(1);
      const req = request(image);
      const result = await provider.upload(req);
      expect(result).toMatchObject({ provider: provider.name, publicId: req.publicId, bytes: image.length });
      expect((await read(result))?.equals(image)).toBe(true);
    });

    it('replaces the asset when a call is repeated, so a retry leaves one asset', async () => {
      const { provider, read, image } = await make();
      const req = request(image(1));
      await provider.upload(req);
      const other = image(2);
      const second = await provider.upload({ ...req, bytes: other.length, open: () => Promise.resolve(Readable.from([other])) });
      expect(second.publicId).toBe(req.publicId);
      expect((await read(second))?.equals(other)).toBe(true);
    });

    it('takes each of its resource types it can store a PNG as', async () => {
      const { provider, read, image: png } = await make();
      const image = png(3);
      for (const resourceType of provider.limits.resourceTypes.filter((type) => type === 'image' || type === 'raw' || type === 'auto')) {
        const result = await provider.upload(request(image, { resourceType }));
        expect((await read(result))?.equals(image)).toBe(true);
        if (resourceType !== 'auto') expect(result.resourceType).toBe(resourceType);
      }
    });

    it('destroys the asset, idempotently', async () => {
      const { provider, read, image } = await make();
      const result = await provider.upload(request(image(4)));
      const asset = { publicId: result.publicId, resourceType: result.resourceType ?? 'image' };
      await provider.destroy(asset);
      expect(await read(result)).toBeUndefined();
      await provider.destroy(asset);
      await provider.destroy({ publicId: `conformance/never-${randomBytes(4).toString('hex')}`, resourceType: asset.resourceType });
    });

    for (const [kind, type] of [
      ['rate_limited', RateLimitedError],
      ['retryable', RetryableProviderError],
      ['permanent', PermanentProviderError],
    ] as const) it(`reports a ${kind} failure as its kind, and a retry at the same public id leaves exactly its bytes`, async (context) => {
      const { provider, read, fault, image: png } = await make();
      if (!fault) return context.skip();
      const image = png(5);
      await fault(kind);
      const req = request(image);
      const error = await provider.upload(req).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(type);
      const result = await provider.upload(request(image, { publicId: req.publicId }));
      // Whatever the failed call may have left, the retry (the worker's next attempt) replaced it.
      expect((await read(result))?.equals(image)).toBe(true);
    });

    it('reads when a rate limit resets from the answer', async (context) => {
      const { provider, fault, image } = await make();
      if (!fault) return context.skip();
      await fault('rate_limited');
      const before = Date.now();
      const error = await provider.upload(request(image(7))).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RateLimitedError);
      const resetAt = (error as RateLimitedError).resetAt?.getTime();
      // The provider's clock and ours, and a header in whole seconds, differ a little.
      expect(resetAt).toBeGreaterThan(before + (RATE_LIMIT_RESET_SECONDS - 5) * 1000);
      expect(resetAt).toBeLessThan(Date.now() + (RATE_LIMIT_RESET_SECONDS + 5) * 1000);
    });

    it('gives up on an answer that never comes, as a retryable failure', async (context) => {
      const { provider, fault, image } = await make();
      if (!fault) return context.skip();
      await fault('timeout');
      const started = Date.now();
      const error = await provider.upload(request(image(8))).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RetryableProviderError);
      expect(Date.now() - started).toBeLessThan(15_000);
    }, 20_000);

    it('refuses a file over its stated size limit as permanent', async (context) => {
      const { provider, image } = await make();
      const max = provider.limits.maxFileBytes;
      // Undefined: it states none. Very large: too slow to send here; the adapter's own tests cover it.
      if (max === undefined || max > 64 * 1024 * 1024) return context.skip();
      const png = image(9);
      const body = Buffer.concat([png, Buffer.alloc(max + 1 - png.length)]);
      await expect(provider.upload(request(body))).rejects.toBeInstanceOf(PermanentProviderError);
    }, 30_000);

    it('lets a missing temp object through unchanged, so the upload fails for that reason', async () => {
      const { provider, image } = await make();
      const missing = request(image(6), { open: () => Promise.reject(new TempObjectMissingError('k')) });
      await expect(provider.upload(missing)).rejects.toBeInstanceOf(TempObjectMissingError);
    });

    it('sends a file above its chunking threshold in acknowledged chunks, and resumes a session cut short', async (context) => {
      const { provider, read } = await make();
      const chunking = provider.limits.chunking;
      if (!chunking) return context.skip();
      const body = randomBytes(chunking.thresholdBytes + 1 + Math.floor(chunking.chunkBytes / 2));
      const progress: ChunkProgress[] = [];
      const result = await provider.upload(request(body, { filename: 'blob.bin', contentType: 'application/octet-stream', resourceType: 'raw', onProgress: (p) => Promise.resolve(progress.push(p)) }));
      expect(result.bytes).toBe(body.length);
      expect(digest(await read(result))).toBe(digest(body));
      // After each acknowledged chunk but the last (once the file is complete there is nothing to resume), in one session.
      expect(progress.map((p) => p.offset)).toEqual(Array.from({ length: Math.ceil(body.length / chunking.chunkBytes) - 1 }, (_, i) => (i + 1) * chunking.chunkBytes));
      expect(new Set(progress.map((p) => p.sessionId)).size).toBe(1);

      // Cut short after the first chunk (a worker died), then resumed by the next attempt from there.
      const req = request(body, { filename: 'blob.bin', contentType: 'application/octet-stream', resourceType: 'raw' });
      let saved: ChunkProgress | undefined;
      const cut = await provider
        .upload({
          ...req,
          onProgress: (p) => {
            saved = p;
            return Promise.reject(new Error('worker died'));
          },
        })
        .catch((caught: unknown) => caught);
      expect(cut).toBeInstanceOf(Error);
      expect(saved?.offset).toBe(chunking.chunkBytes);
      const ranges: number[] = [];
      const resumed = await provider.upload({
        ...req,
        resume: saved,
        open: (range) => {
          ranges.push(range?.start ?? 0);
          return req.open(range);
        },
      });
      expect(ranges[0]).toBe(chunking.chunkBytes);
      expect(digest(await read(resumed))).toBe(digest(body));
    });
  });
}

function digest(bytes: Buffer | undefined): string | undefined {
  return bytes && createHash('sha256').update(bytes).digest('hex');
}
