import { once } from 'node:events';
import { createRedis, type Redis } from '@hoist/queue';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { largePng, makePng } from '../../../test/support/fixtures.js';
import { multipartBody } from '../../../test/support/multipart.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { buildApp } from './app.js';
import { PRECHECK_MIN_BYTES } from './plugins/tenant-limits.js';
import { testAppDeps } from './test-support/app-deps.js';

const { db } = useTestDatabase();
let redis: Redis;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const { redisUrl, clear } = createQueuePrefix();
  redis = createRedis(redisUrl, 'producer');
  // A producer connection fails commands fast until it is connected (and the limiter then skips).
  if (redis.status !== 'ready') await once(redis, 'ready');
  cleanups.push(async () => {
    redis.disconnect();
    await clear();
  });
});
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function appWith(limits: { requestsPerMinute: number; maxUnfinishedUploads: number }): Promise<FastifyInstance> {
  const { prefix } = createQueuePrefix();
  const app = await buildApp(testAppDeps(db, { limits: { ...limits, redis, keyPrefix: prefix } }));
  cleanups.push(() => app.close());
  return app;
}

async function post(app: FastifyInstance) {
  const { payload, headers } = await multipartBody([{ name: 'file', file: makePng(1, 1), filename: 'a.png' }]);
  return app.inject({ method: 'POST', url: '/v1/uploads', payload, headers });
}

describe('per-tenant limits', () => {
  it('answers 429 problem+json with Retry-After past the request rate', async () => {
    const app = await appWith({ requestsPerMinute: 3, maxUnfinishedUploads: 0 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.inject({ method: 'GET', url: '/v1/uploads' })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await app.inject({ method: 'GET', url: '/v1/uploads' });
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ type: 'urn:hoist:problem:too-many-requests', status: 429 });
    // Health checks are not rate limited.
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('costs no Redis command per request when the request rate limit is off', async () => {
    const calls: string[] = [];
    const counted = new Proxy(redis, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(key));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const { prefix } = createQueuePrefix();
    const app = await buildApp(testAppDeps(db, { limits: { requestsPerMinute: 0, maxUnfinishedUploads: 0, redis: counted, keyPrefix: prefix } }));
    cleanups.push(() => app.close());
    calls.length = 0;
    for (let i = 0; i < 5; i++) expect((await app.inject({ method: 'GET', url: '/v1/uploads' })).statusCode).toBe(200);
    expect(calls).toEqual([]);
    // The same counting sees the limiter's commands when it is on.
    const limited = await buildApp(testAppDeps(db, { limits: { requestsPerMinute: 100, maxUnfinishedUploads: 0, redis: counted, keyPrefix: prefix } }));
    cleanups.push(() => limited.close());
    calls.length = 0;
    expect((await limited.inject({ method: 'GET', url: '/v1/uploads' })).statusCode).toBe(200);
    expect(calls.length).toBeGreaterThan(0);
  });

  it('refuses new uploads while the tenant has too many unfinished ones', async () => {
    await db.deleteFrom('idempotencyKey').execute();
    await db.deleteFrom('upload').execute();
    const app = await appWith({ requestsPerMinute: 0, maxUnfinishedUploads: 2 });
    expect((await post(app)).statusCode).toBe(202);
    expect((await post(app)).statusCode).toBe(202);
    const refused = await post(app);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ type: 'urn:hoist:problem:too-many-unfinished-uploads' });
    // Reading is still allowed.
    expect((await app.inject({ method: 'GET', url: '/v1/uploads' })).statusCode).toBe(200);
  });

  it('refuses a large upload at the cap before reading its body', async () => {
    await db.deleteFrom('idempotencyKey').execute();
    await db.deleteFrom('upload').execute();
    const app = await appWith({ requestsPerMinute: 0, maxUnfinishedUploads: 1 });
    expect((await post(app)).statusCode).toBe(202);
    // Over the test app's 1 MiB MAX_UPLOAD_BYTES: read, it would be a 413; the pre-check answers first.
    const { payload, headers } = await multipartBody([{ name: 'file', file: largePng(PRECHECK_MIN_BYTES + 1024), filename: 'big.png' }]);
    const refused = await app.inject({ method: 'POST', url: '/v1/uploads', payload, headers });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ type: 'urn:hoist:problem:too-many-unfinished-uploads' });
  });

  it('counts a retry as a new unfinished upload', async () => {
    await db.deleteFrom('idempotencyKey').execute();
    await db.deleteFrom('upload').execute();
    const app = await appWith({ requestsPerMinute: 0, maxUnfinishedUploads: 1 });
    const first = await post(app);
    const { id } = first.json<{ id: string }>();
    await db.updateTable('upload').set({ status: 'failed', errorCode: 'attempts_exhausted', errorMessage: 'x', completedAt: new Date() }).where('id', '=', id).execute();
    expect((await post(app)).statusCode).toBe(202);
    const refused = await app.inject({ method: 'POST', url: `/v1/uploads/${id}/retry` });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ type: 'urn:hoist:problem:too-many-unfinished-uploads' });
  });
});
