import { newUploadId } from '@hoist/core';
import { KyselyUploadRepository } from '@hoist/db';
import { createLogger } from '@hoist/logger';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { testAppDeps } from './test-support/app-deps.js';
import { useTestApp } from './test-support/use-test-app.js';

const { db } = useTestDatabase();
const ids: string[] = [];

const uploads = new KyselyUploadRepository(db);

beforeAll(async () => {
  await db.insertInto('tenant').values({ id: 'other' }).execute();
  // 25 uploads a millisecond apart (ids sort by time), every third tagged "red", every fifth failed.
  for (let i = 0; i < 25; i++) {
    const id = newUploadId(Date.now() - 1_000 + i);
    ids.push(id);
    await uploads.create({ id, tenantId: 'default', filename: `${i}.png`, bytes: 1, contentType: 'image/png', sha256: 'd'.repeat(64), storageKey: id, publicId: id, provider: 'cloudinary', tags: i % 3 === 0 ? ['red'] : [] });
    if (i % 5 === 0) await uploads.failUnfinished(id, { code: 'x', message: 'y' });
  }
  const foreign = newUploadId();
  await uploads.create({ id: foreign, tenantId: 'other', filename: 'x.png', bytes: 1, contentType: 'image/png', sha256: 'd'.repeat(64), storageKey: foreign, publicId: foreign, provider: 'cloudinary', tags: ['red'] });
});
const app = useTestApp(() => testAppDeps(db, { uploads, logger: createLogger({ name: 'list-test', level: 'silent', format: 'json' }), maxUploadBytes: 1024 }));

interface Page {
  uploads: Array<{ id: string; status: string; bytes: number; createdAt: string }>;
  nextCursor: string | null;
}

async function get(query: string) {
  return app.inject({ method: 'GET', url: `/v1/uploads${query}` });
}

describe('GET /v1/uploads', () => {
  it('pages through every upload of the tenant, newest first, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(`?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.statusCode).toBe(200);
      const page = response.json<Page>();
      seen.push(...page.uploads.map((u) => u.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by status, tag and creation time', async () => {
    const failed = (await get('?status=failed&limit=100')).json<Page>();
    expect(failed.uploads.map((u) => u.id)).toEqual(ids.filter((_, i) => i % 5 === 0).reverse());
    const red = (await get('?tag=red&limit=100')).json<Page>();
    expect(red.uploads.map((u) => u.id)).toEqual(ids.filter((_, i) => i % 3 === 0).reverse());
    const future = (await get(`?createdAfter=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).json<Page>();
    expect(future).toEqual({ uploads: [], nextCursor: null });
  });

  it.each([
    ['a limit over 100', '?limit=101', 'invalid-request'],
    ['a limit of 0', '?limit=0', 'invalid-request'],
    ['a non-numeric limit', '?limit=ten', 'invalid-request'],
    ['an unknown status', '?status=lost', 'invalid-request'],
    ['a malformed date', '?createdAfter=yesterday', 'invalid-request'],
    ['an unknown parameter', '?colour=red', 'invalid-request'],
    ['a forged cursor', `?cursor=${Buffer.from('{"before":"../../etc"}').toString('base64url')}`, 'invalid-cursor'],
    ['a garbage cursor', '?cursor=%%%', 'invalid-cursor'],
  ])('answers %s with a 400 problem', async (_name, query, type) => {
    const response = await get(query);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ type: `urn:hoist:problem:${type}` });
  });
});
