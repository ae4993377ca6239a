import { newUploadId, PermanentProviderError, RateLimitedError, RetryableProviderError, type UploadProvider, ProviderRoster } from '@hoist/core';
import { MEMORY_PROVIDER_LIMITS, MemoryJobQueue } from '@hoist/core/memory';
import { KyselyUploadRepository } from '@hoist/db';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { buildApp } from './app.js';
import { testAppDeps } from './test-support/app-deps.js';
import { useTestApp } from './test-support/use-test-app.js';

// DELETE and retry through HTTP, with a provider whose answers the test chooses.

const { db } = useTestDatabase();
const uploads = new KyselyUploadRepository(db);
const destroyed: Array<{ publicId: string; resourceType: string }> = [];
let nextDestroyError: Error | undefined;

const provider: UploadProvider = {
  name: 'test',
  limits: MEMORY_PROVIDER_LIMITS,
  upload: () => Promise.reject(new Error('not used')),
  destroy: (asset) => {
    const error = nextDestroyError;
    nextDestroyError = undefined;
    if (error) return Promise.reject(error);
    destroyed.push(asset);
    return Promise.resolve();
  },
};

beforeAll(async () => {
  await db.insertInto('tenant').values({ id: 'other' }).execute();
});
const app = useTestApp(() => testAppDeps(db, { uploads, providerRoster: ProviderRoster.of(provider) }));

async function succeededUpload(tenantId = 'default', publicId?: string) {
  const id = newUploadId();
  await uploads.create({ id, tenantId, filename: 'a.mp4', bytes: 1, contentType: 'video/mp4', sha256: 'e'.repeat(64), storageKey: id, publicId: publicId ?? `p/${id}`, provider: 'test', tags: [] });
  const run = (await uploads.claim(id))!;
  const result = { provider: 'test', publicId: publicId ?? `p/${id}`, url: 'u', secureUrl: 'u', format: 'mp4', width: 1, height: 1, bytes: 1, version: 1 };
  await uploads.markSucceeded(run, result);
  return id;
}

describe('DELETE /v1/uploads/:id', () => {
  it('destroys the asset with its resource type, then marks the upload deleted; repeating is harmless', async () => {
    const id = await succeededUpload();
    const first = await app.inject({ method: 'DELETE', url: `/v1/uploads/${id}` });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: 'deleted', result: { publicId: `p/${id}` } });
    // No resource type in the stored result: it comes from the sniffed type (video/mp4 → video).
    expect(destroyed.at(-1)).toEqual({ publicId: `p/${id}`, resourceType: 'video' });
    const again = await app.inject({ method: 'DELETE', url: `/v1/uploads/${id}` });
    expect(again.statusCode).toBe(200);
    expect(again.json<{ deletedAt: string }>().deletedAt).toBe(first.json<{ deletedAt: string }>().deletedAt);
  });

  it('changes nothing and says when to come back while the provider rate limits', async () => {
    const id = await succeededUpload();
    nextDestroyError = new RateLimitedError('Rate Limit Exceeded', { status: 420, resetAt: new Date(Date.now() + 30_000) });
    const limited = await app.inject({ method: 'DELETE', url: `/v1/uploads/${id}` });
    expect(limited.statusCode).toBe(503);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.json()).toMatchObject({ type: 'urn:hoist:problem:provider-rate-limited' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(29);
    expect((await uploads.find(id))?.status).toBe('succeeded');
  });

  it.each([
    ['refuses (502)', () => new PermanentProviderError('Invalid credentials', { status: 401 }), 502, 'provider-refused'],
    ['is down (503)', () => new RetryableProviderError('HTTP 503', { status: 503 }), 503, 'provider-unavailable'],
  ] as const)('changes nothing when the provider %s', async (_when, error, status, slug) => {
    const id = await succeededUpload();
    nextDestroyError = error();
    const answer = await app.inject({ method: 'DELETE', url: `/v1/uploads/${id}` });
    expect(answer.statusCode).toBe(status);
    expect(answer.json()).toMatchObject({ type: `urn:hoist:problem:${slug}` });
    expect((await uploads.find(id))?.status).toBe('succeeded');
  });

  it("answers 404 for another tenant's upload and for a malformed id, and 409 for an unfinished one", async () => {
    const foreign = await succeededUpload('other');
    expect((await app.inject({ method: 'DELETE', url: `/v1/uploads/${foreign}` })).statusCode).toBe(404);
    expect((await uploads.find(foreign))?.status).toBe('succeeded');
    expect((await app.inject({ method: 'DELETE', url: '/v1/uploads/..%2f..%2fetc' })).statusCode).toBe(404);
    const id = newUploadId();
    await uploads.create({ id, tenantId: 'default', filename: 'a.png', bytes: 1, contentType: 'image/png', sha256: 'e'.repeat(64), storageKey: id, publicId: id, provider: 'test', tags: [] });
    const unfinished = await app.inject({ method: 'DELETE', url: `/v1/uploads/${id}` });
    expect(unfinished.statusCode).toBe(409);
    expect(unfinished.json()).toMatchObject({ type: 'urn:hoist:problem:upload-not-finished' });
  });
});

describe('DELETE guards', () => {
  it('never destroys an asset its upload cannot own: never ran, or another upload now has the public id', async () => {
    const before = destroyed.length;
    // Cancelled before any worker ran it: it cannot have made an asset.
    const idle = newUploadId();
    await uploads.create({ id: idle, tenantId: 'default', filename: 'a.png', bytes: 1, contentType: 'image/png', sha256: 'e'.repeat(64), storageKey: idle, publicId: 'default/shared', provider: 'test', tags: [] });
    await uploads.markCancelled(idle);
    expect((await app.inject({ method: 'DELETE', url: `/v1/uploads/${idle}` })).json()).toMatchObject({ status: 'deleted' });
    // An older upload whose public id a newer upload of the tenant overwrote: the asset is the newer one's.
    const older = await succeededUpload('default', 'default/reused');
    const newer = await succeededUpload('default', 'default/reused');
    expect((await app.inject({ method: 'DELETE', url: `/v1/uploads/${older}` })).json()).toMatchObject({ status: 'deleted' });
    expect(destroyed.length).toBe(before);
    // A failed upload of the same public id never owned the asset, even though it came later.
    const failed = newUploadId();
    await uploads.create({ id: failed, tenantId: 'default', filename: 'a.png', bytes: 1, contentType: 'image/png', sha256: 'e'.repeat(64), storageKey: failed, publicId: 'default/reused', provider: 'test', tags: [] });
    await uploads.markFailed((await uploads.claim(failed))!, { code: 'provider_rejected', message: 'Invalid image file' });
    expect((await app.inject({ method: 'DELETE', url: `/v1/uploads/${failed}` })).json()).toMatchObject({ status: 'deleted' });
    expect(destroyed.length).toBe(before);
    // The newest upload of that public id does own the asset: deleting it destroys it.
    expect((await app.inject({ method: 'DELETE', url: `/v1/uploads/${newer}` })).json()).toMatchObject({ status: 'deleted' });
    expect(destroyed.at(-1)).toMatchObject({ publicId: 'default/reused' });
  });
});

describe('POST /v1/uploads/:id/retry', () => {
  it('asks to come back in a moment while the failed job is still being wound up', async () => {
    const queue = new MemoryJobQueue();
    const settlingApp = await buildApp(testAppDeps(db, { uploads, providerRoster: ProviderRoster.of(provider), queue }));
    try {
      const id = newUploadId();
      await uploads.create({ id, tenantId: 'default', filename: 'a.png', publicId: id, provider: 'test', tags: [], sourceUrl: 'https://example.com/a.png' });
      await queue.enqueueUpload(id);
      queue.take(id);
      // Failed in Postgres, while the queue is still winding its job up (it is still active).
      await uploads.failUnfinished(id, { code: 'attempts_exhausted', message: 'gave up' });
      const settling = await settlingApp.inject({ method: 'POST', url: `/v1/uploads/${id}/retry` });
      expect(settling.statusCode).toBe(409);
      expect(settling.json()).toMatchObject({ type: 'urn:hoist:problem:upload-settling' });
      expect(settling.headers['retry-after']).toBe('1');
      expect((await uploads.find(id))?.status).toBe('failed');
      // Once the job has settled, the same URL upload goes back to the queue.
      queue.finish(id, 'failed');
      expect((await settlingApp.inject({ method: 'POST', url: `/v1/uploads/${id}/retry` })).statusCode).toBe(202);
      expect(await queue.jobState(id)).toBe('live');
    } finally {
      await settlingApp.close();
    }
  });

  it("refuses another tenant's upload with 404 and a finished file upload whose bytes are gone with 409", async () => {
    const foreign = await succeededUpload('other');
    expect((await app.inject({ method: 'POST', url: `/v1/uploads/${foreign}/retry` })).statusCode).toBe(404);
    const id = newUploadId();
    await uploads.create({ id, tenantId: 'default', filename: 'a.png', bytes: 1, contentType: 'image/png', sha256: 'e'.repeat(64), storageKey: id, publicId: id, provider: 'test', tags: [] });
    await uploads.failUnfinished(id, { code: 'provider_rejected', message: 'Invalid image file' });
    const gone = await app.inject({ method: 'POST', url: `/v1/uploads/${id}/retry` });
    expect(gone.statusCode).toBe(409);
    expect(gone.json()).toMatchObject({ type: 'urn:hoist:problem:upload-bytes-gone' });
  });
});
