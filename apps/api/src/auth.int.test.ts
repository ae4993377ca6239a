import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { generateApiKey, singleProviderCatalog } from '@hoist/core';
import { KyselyApiKeyRepository, KyselyUploadRepository } from '@hoist/db';
import { pinoOptions } from '@hoist/logger';
import { BullJobQueue, createRedis, type Redis } from '@hoist/queue';
import { LocalTempStorage } from '@hoist/temp-storage';
import { CLOUDINARY_LIMITS } from '@hoist/provider-cloudinary';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { multipartBody } from '../../../test/support/multipart.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { buildApp } from './app.js';
import { KNOWN_KEY_TTL_MS } from './known-keys.js';

let app: FastifyInstance;
const { db } = useTestDatabase();
let redis: Redis;
let queue: BullJobQueue;
let apiKeys: KyselyApiKeyRepository;
/** Database lookups of key hashes the API has made (the repository it gets counts them). */
let lookups = 0;
const logLines: string[] = [];
const keys: Record<string, string> = {};
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const { prefix, redisUrl, clear } = createQueuePrefix();
  redis = createRedis(redisUrl, 'producer');
  queue = new BullJobQueue({ connection: redis, prefix, attempts: 2 });
  apiKeys = new KyselyApiKeyRepository(db);
  for (const tenant of ['acme', 'globex']) {
    const generated = generateApiKey();
    await apiKeys.create({ tenantId: tenant, hash: generated.hash, prefix: generated.prefix });
    keys[tenant] = generated.key;
  }
  const tmpDir = await mkdtemp(join(tmpdir(), 'hoist-auth-test-'));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  app = await buildApp({
    uploads: new KyselyUploadRepository(db),
    queue,
    storage: await new LocalTempStorage({ directory: tmpDir }).init(),
    checks: {},
    logger: pino(pinoOptions({ name: 'api-test', level: 'debug', format: 'json' }), sink),
    providers: singleProviderCatalog('cloudinary', CLOUDINARY_LIMITS),
    maxUploadBytes: 1024 * 1024,
    allowedContentTypes: ['image/png'],
    auth: {
      mode: 'on',
      apiKeys: {
        create: (input) => apiKeys.create(input),
        list: (options) => apiKeys.list(options),
        revoke: (idOrPrefix) => apiKeys.revoke(idOrPrefix),
        setDefaultProvider: (tenantId, provider) => apiKeys.setDefaultProvider(tenantId, provider),
        authenticate: (hash) => {
          lookups += 1;
          return apiKeys.authenticate(hash);
        },
      },
    },
  });
  cleanups.push(async () => {
    await app.close();
    await queue.close();
    redis.disconnect();
    await clear();
    await rm(tmpDir, { recursive: true, force: true });
  });
});
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function upload(key: string | undefined) {
  const { payload, headers } = await multipartBody([{ name: 'file', file: makePng(2, 2), filename: 'a.png' }]);
  return app.inject({ method: 'POST', url: '/v1/uploads', payload, headers: { ...headers, ...(key ? { authorization: `Bearer ${key}` } : {}) } });
}

describe('API keys and tenants', () => {
  it('refuses a request without a key with 401 problem+json and a Bearer challenge', async () => {
    const response = await upload(undefined);
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(response.json()).toMatchObject({ type: 'urn:hoist:problem:unauthorized', status: 401 });
  });

  it.each([
    ['an unknown key', 'Bearer hoist_sk_not-a-real-key'],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['an empty bearer', 'Bearer '],
  ])('refuses %s with 401', async (_name, authorization) => {
    const response = await app.inject({ method: 'GET', url: '/v1/uploads/01a20950-28a9-7446-ba07-93eb86af538c', headers: { authorization } });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it("keeps each tenant's uploads invisible to the others (404, not 403)", async () => {
    const accepted = await upload(keys.acme);
    expect(accepted.statusCode).toBe(202);
    const { id, statusUrl } = accepted.json<{ id: string; statusUrl: string }>();
    const own = await app.inject({ method: 'GET', url: statusUrl, headers: { authorization: `Bearer ${keys.acme}` } });
    expect(own.statusCode).toBe(200);
    const other = await app.inject({ method: 'GET', url: statusUrl, headers: { authorization: `Bearer ${keys.globex}` } });
    const missing = await app.inject({ method: 'GET', url: '/v1/uploads/01a20950-28a9-7446-ba07-93eb86af538c', headers: { authorization: `Bearer ${keys.globex}` } });
    expect(other.statusCode).toBe(404);
    // Exactly what a missing upload looks like, but for the id it names.
    expect(other.json()).toEqual({ ...missing.json<Record<string, unknown>>(), detail: `No upload with id "${id}".`, instance: statusUrl });
    const row = await db.selectFrom('upload').select('tenantId').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.tenantId).toBe('acme');
  });

  it("sends a tenant's uploads to its default provider, refused while this deployment has none such", async () => {
    const generated = generateApiKey();
    await apiKeys.create({ tenantId: 'initech', hash: generated.hash, prefix: generated.prefix });
    expect(await apiKeys.setDefaultProvider('initech', 'imagekit')).toBe(true);
    const refused = await upload(generated.key);
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ type: 'urn:hoist:problem:provider-not-configured', provider: 'imagekit', configured: ['cloudinary'], detail: 'Provider "imagekit" is not configured here; configured: "cloudinary".' });
    // Back to the deployment's: accepted, and recorded as going there (after the key's lookup expires).
    expect(await apiKeys.setDefaultProvider('initech', null)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, KNOWN_KEY_TTL_MS));
    const accepted = await upload(generated.key);
    expect(accepted.statusCode).toBe(202);
    const row = await db.selectFrom('upload').select('provider').where('id', '=', accepted.json<{ id: string }>().id).executeTakeFirstOrThrow();
    expect(row.provider).toBe('cloudinary');
    expect(await apiKeys.setDefaultProvider('nobody', 'cloudinary')).toBe(false);
  });

  it('stops accepting a key within KNOWN_KEY_TTL_MS of its revocation', async () => {
    const generated = generateApiKey();
    const record = await apiKeys.create({ tenantId: 'acme', hash: generated.hash, prefix: generated.prefix, name: 'ci' });
    expect((await upload(generated.key)).statusCode).toBe(202);
    expect(await apiKeys.revoke(record.id)).toBe(1);
    // The bound counts from the lookup that found the key, which came before the revocation.
    await new Promise((resolve) => setTimeout(resolve, KNOWN_KEY_TTL_MS));
    expect((await upload(generated.key)).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v1/uploads', headers: { authorization: `Bearer ${generated.key}` } })).statusCode).toBe(401);
  });

  it('looks a good key up once per KNOWN_KEY_TTL_MS, not once per request', async () => {
    const generated = generateApiKey();
    await apiKeys.create({ tenantId: 'acme', hash: generated.hash, prefix: generated.prefix, name: 'busy' });
    const before = lookups;
    const started = performance.now();
    for (let i = 0; i < 20; i += 1) {
      expect((await app.inject({ method: 'GET', url: '/v1/uploads', headers: { authorization: `Bearer ${generated.key}` } })).statusCode).toBe(200);
    }
    const bounds = Math.ceil((performance.now() - started) / KNOWN_KEY_TTL_MS);
    expect(lookups - before).toBeLessThanOrEqual(bounds);
  });

  it('leaves health checks open', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('answers a flood of one unknown key with 401s that cost at most one database lookup', async () => {
    const bad = generateApiKey().key;
    const before = lookups;
    for (let i = 0; i < 100; i += 1) {
      const response = await app.inject({ method: 'GET', url: '/v1/uploads', headers: { authorization: `Bearer ${bad}` } });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(response.json()).toMatchObject({ type: 'urn:hoist:problem:unauthorized', status: 401 });
    }
    expect(lookups - before).toBeLessThanOrEqual(1);
  });

  it('refuses a string that cannot be a key without a database lookup', async () => {
    const before = lookups;
    for (const key of ['hoist_sk_short', 'x'.repeat(52), `hoist_sk_${'a'.repeat(42)}!`]) {
      const response = await app.inject({ method: 'GET', url: '/v1/uploads', headers: { authorization: `Bearer ${key}` } });
      expect(response.statusCode).toBe(401);
    }
    expect(lookups).toBe(before);
  });

  it('lets a newly created key in at once, right after a flood of unknown keys', async () => {
    for (let i = 0; i < 5; i += 1) expect((await upload(generateApiKey().key)).statusCode).toBe(401);
    const generated = generateApiKey();
    await apiKeys.create({ tenantId: 'acme', hash: generated.hash, prefix: generated.prefix });
    expect((await upload(generated.key)).statusCode).toBe(202);
  });

  it('never writes a key to the logs', async () => {
    await upload(keys.acme);
    await upload('hoist_sk_wrong-key-that-must-not-be-logged');
    const logs = logLines.join('');
    expect(logs).toContain('upload accepted');
    expect(logs).not.toContain(keys.acme);
    expect(logs).not.toContain('wrong-key-that-must-not-be-logged');
  });
});
