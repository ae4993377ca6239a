import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateApiKey, newUploadId, type ApiKeyRepository, type UploadProvider, type UploadRepository, ProviderRoster } from '@hoist/core';
import { MEMORY_PROVIDER_LIMITS, MemoryJobQueue } from '@hoist/core/memory';
import { KyselyUploadRepository } from '@hoist/db';
import { createLogger } from '@hoist/logger';
import { createRedis, RedisUploadEvents, type Redis } from '@hoist/queue';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { buildApp } from './app.js';
import { testAppDeps } from './test-support/app-deps.js';
import { followSubscription, UPLOAD_VIEW_MAX_STALE_MS, UploadViewCache } from './upload-view-cache.js';

// Status polls of final uploads answered from memory: ETags and 304s, and how a cached view goes
// when the upload changes — announced by another API process (retry, delete), or not announced at
// all (then within UPLOAD_VIEW_MAX_STALE_MS), or while the subscription is down.

const { db } = useTestDatabase();
const repository = new KyselyUploadRepository(db);
const logger = createLogger({ name: 'view-cache-test', level: 'silent', format: 'json' });
const { prefix, redisUrl, clear } = createQueuePrefix();

/** Postgres reads of one upload each API instance made (its own repository counts them). */
function countingUploads(counter: { finds: number }): UploadRepository {
  return new Proxy(repository, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (key === 'find') return (...args: Parameters<UploadRepository['find']>) => ((counter.finds += 1), repository.find(...args));
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const provider: UploadProvider = { name: 'test', limits: MEMORY_PROVIDER_LIMITS, upload: () => Promise.reject(new Error('not used')), destroy: () => Promise.resolve() };

// Two tenants' keys, known without a database.
const keys = { default: generateApiKey(), other: generateApiKey() };
const apiKeys: ApiKeyRepository = {
  create: () => Promise.reject(new Error('not used')),
  list: () => Promise.resolve([]),
  revoke: () => Promise.resolve(0),
  setDefaultProvider: () => Promise.reject(new Error('not used')),
  authenticate: (hash) => {
    const tenant = (Object.keys(keys) as Array<keyof typeof keys>).find((name) => keys[name].hash === hash);
    return Promise.resolve(tenant && { keyId: tenant, tenantId: tenant });
  },
};
const as = (tenant: keyof typeof keys) => ({ authorization: `Bearer ${keys[tenant].key}` });

interface Instance {
  app: FastifyInstance;
  cache: UploadViewCache;
  reads: { finds: number };
  subscriber: Redis;
  events: RedisUploadEvents;
}
const connections: Redis[] = [];
const instances: Instance[] = [];

/** One API process as main.ts wires it: its own view cache, following its own subscription. */
async function apiInstance(): Promise<Instance> {
  const publisher = createRedis(redisUrl, 'producer');
  const subscriber = createRedis(redisUrl, 'worker');
  connections.push(publisher, subscriber);
  const events = new RedisUploadEvents({ publisher, prefix, logger });
  const cache = new UploadViewCache();
  events.onAnnouncement((event) => cache.invalidate(event.uploadId));
  await events.subscribe(subscriber);
  followSubscription(cache, subscriber);
  const reads = { finds: 0 };
  const app = await buildApp(testAppDeps(db, { uploads: countingUploads(reads), queue: new MemoryJobQueue(), providerRoster: ProviderRoster.of(provider), auth: { mode: 'on', apiKeys }, viewCache: cache, events }));
  const instance = { app, cache, reads, subscriber, events };
  instances.push(instance);
  return instance;
}

let a: Instance;
let b: Instance;
beforeAll(async () => {
  await db.insertInto('tenant').values({ id: 'other' }).execute();
  [a, b] = [await apiInstance(), await apiInstance()];
});
afterAll(async () => {
  for (const instance of instances) {
    await instance.app.close();
    await instance.events.close();
  }
  for (const connection of connections) connection.disconnect();
  await clear();
});

async function succeededUpload(tenantId = 'default'): Promise<string> {
  const id = newUploadId();
  await repository.create({ id, tenantId, filename: 'a.png', bytes: 1, contentType: 'image/png', sha256: 'e'.repeat(64), storageKey: id, publicId: `p/${id}`, provider: 'test', tags: [] });
  const run = (await repository.claim(id))!;
  await repository.markSucceeded(run, { provider: 'test', publicId: `p/${id}`, url: 'u', secureUrl: 'u', format: 'png', width: 1, height: 1, bytes: 1, version: 1 });
  return id;
}

/** A failed URL upload: always retryable. */
async function failedUpload(): Promise<string> {
  const id = newUploadId();
  await repository.create({ id, tenantId: 'default', filename: 'a.png', publicId: id, provider: 'test', tags: [], sourceUrl: 'https://example.com/a.png' });
  await repository.failUnfinished(id, { code: 'attempts_exhausted', message: 'gave up' });
  return id;
}

const get = (instance: Instance, id: string, headers: Record<string, string> = as('default')) => instance.app.inject({ method: 'GET', url: `/v1/uploads/${id}`, headers });

/** Polls until `check` holds; fails once `withinMs` has passed. */
async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
    await sleep(10);
  }
}

describe('GET /v1/uploads/:id, conditional', () => {
  it('carries a strong ETag and private, revalidated caching; If-None-Match with it answers 304 without a body', async () => {
    const id = await succeededUpload();
    const first = await get(a, id);
    expect(first.statusCode).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await get(a, id, { ...as('default'), 'if-none-match': ifNoneMatch });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers.etag).toBe(etag);
    }
    // The same representation from another API process has the same ETag.
    expect((await get(b, id, { ...as('default'), 'if-none-match': etag })).statusCode).toBe(304);
    const stale = await get(a, id, { ...as('default'), 'if-none-match': '"not-it"' });
    expect(stale.statusCode).toBe(200);
    expect(stale.json()).toMatchObject({ id, status: 'succeeded' });
  });

  it('changes the ETag when the upload changes, also for unfinished uploads (never cached)', async () => {
    const id = newUploadId();
    await repository.create({ id, tenantId: 'default', filename: 'a.png', publicId: id, provider: 'test', tags: [], sourceUrl: 'https://example.com/a.png' });
    const queued = await get(a, id);
    await repository.claim(id);
    const processing = await get(a, id, { ...as('default'), 'if-none-match': queued.headers.etag as string });
    expect(processing.statusCode).toBe(200);
    expect(processing.json()).toMatchObject({ status: 'processing' });
    expect(processing.headers.etag).not.toBe(queued.headers.etag);
    expect(a.cache.get(id, 'default')).toBeUndefined();
  });
});

describe('the view cache', () => {
  it('answers repeated polls of a final upload from memory, and only to its tenant', async () => {
    const id = await succeededUpload();
    const before = a.reads.finds;
    for (let i = 0; i < 5; i += 1) expect((await get(a, id)).json()).toMatchObject({ id, status: 'succeeded' });
    expect(a.reads.finds - before).toBe(1);
    const foreign = await get(a, id, as('other'));
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ type: 'urn:hoist:problem:upload-not-found' });
  });

  it('shows a retry made through another API process at once (announced), and a delete too', async () => {
    const id = await failedUpload();
    expect((await get(a, id)).json()).toMatchObject({ status: 'failed' });
    expect(a.cache.get(id, 'default')).toBeDefined();
    expect((await b.app.inject({ method: 'POST', url: `/v1/uploads/${id}/retry`, headers: as('default') })).statusCode).toBe(202);
    // Announced: well before the bound that holds without an announcement.
    const soon = UPLOAD_VIEW_MAX_STALE_MS / 4;
    await eventually(async () => (await get(a, id)).json<{ status: string }>().status === 'queued', soon);

    const done = await succeededUpload();
    expect((await get(a, done)).json()).toMatchObject({ status: 'succeeded' });
    expect((await b.app.inject({ method: 'DELETE', url: `/v1/uploads/${done}`, headers: as('default') })).statusCode).toBe(200);
    await eventually(async () => (await get(a, done)).json<{ status: string }>().status === 'deleted', soon);
  });

  it('shows a change nobody announced after UPLOAD_VIEW_MAX_STALE_MS at the latest', async () => {
    const id = await failedUpload();
    expect((await get(a, id)).json()).toMatchObject({ status: 'failed' });
    // An operator's retry straight in Postgres: no announcement.
    expect(await repository.reopenForRetry(id)).toBe(true);
    expect((await get(a, id)).json()).toMatchObject({ status: 'failed' });
    await sleep(UPLOAD_VIEW_MAX_STALE_MS);
    expect((await get(a, id)).json()).toMatchObject({ status: 'queued' });
  });

  it('forgets everything and keeps nothing while the subscription is down, and resumes once it is back', async () => {
    const id = await succeededUpload();
    await get(a, id);
    expect(a.cache.size).toBeGreaterThan(0);
    a.subscriber.disconnect(true);
    await eventually(() => Promise.resolve(a.cache.size === 0), 2_000);
    await eventually(() => Promise.resolve(a.subscriber.status === 'ready'), 5_000);
    // Subscribed again: announcements reach it, so it caches again.
    await get(a, id);
    expect(a.cache.get(id, 'default')).toBeDefined();
    await b.events.publish({ uploadId: id, status: 'succeeded' });
    await eventually(() => Promise.resolve(a.cache.get(id, 'default') === undefined), 2_000);
  });
});

describe('UploadViewCache', () => {
  const view = { tenantId: 't', status: 'succeeded' as const, body: '{}', etag: '"x"' };

  it('serves an entry until UPLOAD_VIEW_MAX_STALE_MS after the read it came from', () => {
    let now = 1_000;
    const cache = new UploadViewCache({ now: () => now });
    cache.resume();
    const mark = cache.mark();
    now += 400; // a slow read
    cache.remember('u', view, mark);
    now += UPLOAD_VIEW_MAX_STALE_MS - 401;
    expect(cache.get('u', 't')).toBeDefined();
    now += 1;
    expect(cache.get('u', 't')).toBeUndefined();
  });

  it('keeps no view read before an invalidation, a suspension or while suspended, nor an unfinished one', () => {
    const cache = new UploadViewCache();
    const connection = new EventEmitter();
    followSubscription(cache, connection);
    let mark = cache.mark();
    cache.invalidate('other-upload');
    cache.remember('u', view, mark);
    expect(cache.get('u', 't')).toBeUndefined();
    cache.remember('u', { ...view, status: 'queued' }, cache.mark());
    expect(cache.get('u', 't')).toBeUndefined();
    mark = cache.mark();
    connection.emit('close');
    cache.remember('u', view, mark);
    cache.remember('u', view, cache.mark());
    expect(cache.size).toBe(0);
    connection.emit('ready');
    cache.remember('u', view, cache.mark());
    expect(cache.get('u', 't')).toBeDefined();
    expect(cache.get('u', 'another-tenant')).toBeUndefined();
  });

  it('holds at most maxBytes of views, however few they are', () => {
    const cache = new UploadViewCache({ maxBytes: 64 * 1024 });
    cache.resume();
    const big = { ...view, body: 'x'.repeat(20 * 1024) };
    for (let i = 0; i < 10; i += 1) cache.remember(`u${i}`, big, cache.mark());
    expect(cache.size).toBe(3);
    // The most recent ones stay.
    expect(cache.get('u9', big.tenantId)).toBeDefined();
    expect(cache.get('u0', big.tenantId)).toBeUndefined();
  });

  it('holds at most maxEntries views', () => {
    const cache = new UploadViewCache({ maxEntries: 3 });
    cache.resume();
    for (let i = 0; i < 10; i += 1) cache.remember(`u${i}`, view, cache.mark());
    expect(cache.size).toBe(3);
  });
});
