import { Readable } from 'node:stream';
import {
  newUploadId,
  processUpload,
  RateLimitedError,
  RetryableProviderError,
  type ProviderThrottle,
  type RateLimitHint,
  type UploadProvider,
  ProviderRoster,
} from '@hoist/core';
import { MEMORY_PROVIDER_LIMITS, MemoryTempStorage } from '@hoist/core/memory';
import { KyselyUploadRepository } from '@hoist/db';
import { createLogger } from '@hoist/logger';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';

// processUpload when the upload changes state under a running attempt.

const logger = createLogger({ name: 'process-test', level: 'silent', format: 'json' });
const { db } = useTestDatabase();
const uploads = new KyselyUploadRepository(db);

async function accepted(storage: MemoryTempStorage) {
  const { key, bytes } = await storage.write(Readable.from([Buffer.from('png bytes')]));
  const id = newUploadId();
  await uploads.create({ id, tenantId: 'default', filename: 'a.png', bytes, contentType: 'image/png', sha256: 'b'.repeat(64), storageKey: key, publicId: `default/${id}`, provider: 'test', tags: [] });
  return { id, key };
}

/** A provider whose call lets the test change the row mid-call, then fails transiently. */
function failingAfter(change: (uploadId: string) => Promise<unknown>): UploadProvider {
  return {
    name: 'test',
    limits: MEMORY_PROVIDER_LIMITS,
    upload: async (request) => {
      await change(request.uploadId);
      throw new RetryableProviderError('HTTP 503', { status: 503 });
    },
    destroy: () => Promise.resolve(),
  };
}

describe('processUpload under a state change', () => {
  it('keeps the bytes when another run failed the upload for good meanwhile (they are kept for a retry)', async () => {
    const storage = new MemoryTempStorage();
    const { id, key } = await accepted(storage);
    // E.g. this worker's lock lapsed, and the queue gave up on the job while its call was still running.
    const provider = failingAfter((uploadId) => uploads.failUnfinished(uploadId, { code: 'attempts_exhausted', message: 'Gave up: stalled' }));
    expect(await processUpload({ uploads, storage, providers: ProviderRoster.of(provider), logger }, { uploadId: id, isFinalAttempt: false })).toEqual({ kind: 'skipped' });
    expect((await uploads.find(id))?.status).toBe('failed');
    expect(await storage.exists(key)).toBe(true);
  });

  it('stops and frees the bytes when the upload was cancelled meanwhile', async () => {
    const storage = new MemoryTempStorage();
    const { id, key } = await accepted(storage);
    const provider = failingAfter((uploadId) => uploads.markCancelled(uploadId, { from: ['processing'] }));
    expect(await processUpload({ uploads, storage, providers: ProviderRoster.of(provider), logger }, { uploadId: id, isFinalAttempt: false })).toEqual({ kind: 'skipped' });
    expect((await uploads.find(id))?.status).toBe('cancelled');
    expect(await storage.exists(key)).toBe(false);
  });

  it('records nothing when another worker took the upload over meanwhile, and leaves it the bytes', async () => {
    const storage = new MemoryTempStorage();
    const { id, key } = await accepted(storage);
    let calls = 0;
    const provider: UploadProvider = {
      name: 'test',
      limits: MEMORY_PROVIDER_LIMITS,
      upload: async (request) => {
        calls += 1;
        // This worker's job lock lapsed mid-call: the queue handed the job to another worker, whose claim takes the upload over.
        await uploads.claim(request.uploadId);
        return { provider: 'test', publicId: request.publicId, url: 'http://x', secureUrl: 'https://x', format: 'png', width: 1, height: 1, bytes: 9, version: 1 };
      },
      destroy: () => Promise.reject(new Error('nothing may be destroyed: the asset is the new run\'s too')),
    };
    expect(await processUpload({ uploads, storage, providers: ProviderRoster.of(provider), logger }, { uploadId: id, isFinalAttempt: false })).toEqual({ kind: 'skipped' });
    expect(calls).toBe(1);
    // The new run still owns it: not succeeded by the old run, bytes still there for the new run to send.
    expect(await uploads.find(id)).toMatchObject({ status: 'processing', result: null, attempts: 1, reclaimCount: 1 });
    expect(await storage.exists(key)).toBe(true);
  });

  it('fails an upload whose workers keep dying once it has been re-claimed more than maxReclaims times, without spending attempts', async () => {
    const storage = new MemoryTempStorage();
    const { id, key } = await accepted(storage);
    // Each claim is a worker that then died mid-run (a poison upload): the first run and 3 re-claims.
    for (let i = 0; i < 4; i++) await uploads.claim(id);
    let calls = 0;
    const provider: UploadProvider = { name: 'test', limits: MEMORY_PROVIDER_LIMITS, upload: () => Promise.reject(new Error(`called ${++calls}`)), destroy: () => Promise.resolve() };
    const outcome = await processUpload({ uploads, storage, providers: ProviderRoster.of(provider), logger, maxReclaims: 3 }, { uploadId: id, isFinalAttempt: false });
    expect(outcome).toMatchObject({ kind: 'failed', failure: { code: 'reclaims_exhausted' } });
    expect(calls).toBe(0);
    const failed = await uploads.find(id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, reclaimCount: 4, error: { code: 'reclaims_exhausted' } });
    expect(failed?.error?.message).toMatch(/stopped .* 4 times, more than MAX_RECLAIMS \(3\)/);
    // Kept for a retry once whatever killed the workers is fixed.
    expect(await storage.exists(key)).toBe(true);
  });

  it('runs a re-claimed upload as long as it is within maxReclaims', async () => {
    const storage = new MemoryTempStorage();
    const { id } = await accepted(storage);
    // The first run and 2 re-claims died; this run is re-claim 3.
    for (let i = 0; i < 3; i++) await uploads.claim(id);
    const provider: UploadProvider = {
      name: 'test',
      limits: MEMORY_PROVIDER_LIMITS,
      upload: (request) => Promise.resolve({ provider: 'test', publicId: request.publicId, url: 'http://x', secureUrl: 'https://x', format: 'png', width: 1, height: 1, bytes: 9, version: 1 }),
      destroy: () => Promise.resolve(),
    };
    expect(await processUpload({ uploads, storage, providers: ProviderRoster.of(provider), logger, maxReclaims: 3 }, { uploadId: id, isFinalAttempt: false })).toEqual({ kind: 'succeeded' });
    expect(await uploads.find(id)).toMatchObject({ status: 'succeeded', attempts: 1, reclaimCount: 3 });
  });
});

describe('processUpload and the provider throttle', () => {
  /** A throttle that records what it is told; `acquire` may refuse as a throttle holding a pause does. */
  function recordingThrottle(acquire: () => Promise<void>) {
    const told: { succeeded: (RateLimitHint | undefined)[]; limited: RateLimitHint[] } = { succeeded: [], limited: [] };
    const throttle: ProviderThrottle = {
      acquire,
      succeeded: (hint) => {
        told.succeeded.push(hint);
        return Promise.resolve();
      },
      limited: (hint) => {
        told.limited.push(hint);
        return Promise.resolve(new Date(Date.now() + 300));
      },
    };
    return { throttle, told };
  }

  it("teaches the throttle what the provider's successful answer said about its limit", async () => {
    const storage = new MemoryTempStorage();
    const { id } = await accepted(storage);
    const said: RateLimitHint = { ratePerSecond: 20, remaining: 7, resetAt: new Date(Date.now() + 800) };
    const provider: UploadProvider = {
      name: 'test',
      limits: MEMORY_PROVIDER_LIMITS,
      upload: (request) => {
        request.onRateLimitHint?.(said);
        return Promise.resolve({ provider: 'test', publicId: request.publicId, url: 'http://x/a', secureUrl: 'https://x/a', format: 'png', width: 1, height: 1, bytes: 9, version: 1 });
      },
      destroy: () => Promise.resolve(),
    };
    const { throttle, told } = recordingThrottle(() => Promise.resolve());
    expect(await processUpload({ uploads, storage, providers: ProviderRoster.of(provider, throttle), logger }, { uploadId: id, isFinalAttempt: false })).toEqual({ kind: 'succeeded' });
    expect(told.succeeded).toEqual([said]);
  });

  it('hands on the pause the throttle chose when the provider named no reset', async () => {
    const storage = new MemoryTempStorage();
    const { id } = await accepted(storage);
    const provider: UploadProvider = {
      name: 'test',
      limits: MEMORY_PROVIDER_LIMITS,
      upload: () => Promise.reject(new RateLimitedError('Rate Limit Exceeded', { status: 420 })),
      destroy: () => Promise.resolve(),
    };
    const { throttle, told } = recordingThrottle(() => Promise.resolve());
    const error = await processUpload({ uploads, storage, providers: ProviderRoster.of(provider, throttle), logger }, { uploadId: id, isFinalAttempt: false }).catch((reason: unknown) => reason);
    expect(told.limited).toEqual([{ resetAt: undefined }]);
    // The queue is to wait as long as the throttle holds everyone: about 300 ms here.
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).resetAt!.getTime() - Date.now()).toBeGreaterThan(200);
    expect((await uploads.find(id))?.status).toBe('queued');
  });

  it("does not take the throttle's own refusal for the provider's: no call, nothing to learn", async () => {
    const storage = new MemoryTempStorage();
    const { id } = await accepted(storage);
    const provider: UploadProvider = { name: 'test', limits: MEMORY_PROVIDER_LIMITS, upload: () => Promise.reject(new Error('must not be called')), destroy: () => Promise.resolve() };
    const { throttle, told } = recordingThrottle(() => Promise.reject(new RateLimitedError('Provider rate-limit pause in effect', { resetAt: new Date(Date.now() + 30_000) })));
    await expect(processUpload({ uploads, storage, providers: ProviderRoster.of(provider, throttle), logger }, { uploadId: id, isFinalAttempt: false })).rejects.toBeInstanceOf(RateLimitedError);
    expect(told.limited).toEqual([]);
    expect((await uploads.find(id))?.status).toBe('queued');
  });
});
