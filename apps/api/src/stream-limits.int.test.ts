import type { AddressInfo } from 'node:net';
import { generateApiKey, newUploadId } from '@hoist/core';
import { KyselyApiKeyRepository, KyselyUploadRepository } from '@hoist/db';
import { createRedis, RedisLeases, type Redis } from '@hoist/queue';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { waitFor } from '../../../test/support/wait.js';
import { buildApp } from './app.js';
import { testAppDeps } from './test-support/app-deps.js';

// Noisy neighbours, open requests: SSE streams and long-polls are capped per tenant (across API
// processes: two apps share the count here) and end once their API key is revoked. Real listening
// apps, Postgres and Redis.

const MAX_STREAMS = 3;
const RECHECK_MS = 300;
const { db } = useTestDatabase();
let redis: Redis;
let prefix: string;
let apiKeys: KyselyApiKeyRepository;
let apps: FastifyInstance[] = [];
let bases: string[] = [];
const cleanups: Array<() => Promise<void>> = [];
/** Open client requests, aborted after each test. */
let open: AbortController[] = [];

beforeAll(async () => {
  const queuePrefix = createQueuePrefix();
  const { redisUrl, clear } = queuePrefix;
  prefix = queuePrefix.prefix;
  redis = createRedis(redisUrl, 'worker');
  apiKeys = new KyselyApiKeyRepository(db);
  // Two API replicas sharing Redis and Postgres.
  for (let i = 0; i < 2; i++) {
    const app = await buildApp(
      testAppDeps(db, {
        auth: { mode: 'on', apiKeys },
        streams: { leases: new RedisLeases({ redis, prefix }), maxPerTenant: MAX_STREAMS, recheckMs: RECHECK_MS },
      }),
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    apps.push(app);
    bases.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  }
  cleanups.push(async () => {
    for (const app of apps) await app.close();
    apps = [];
    bases = [];
    redis.disconnect();
    await clear();
  });
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});
afterEach(() => {
  for (const controller of open) controller.abort();
  open = [];
});

/** Streams and long-polls the tenant holds open, as counted in Redis. */
const openCount = (tenantId: string): Promise<number> => redis.zcard(`${prefix}:leases:streams:${tenantId}`);
const countReaches = (tenantId: string, n: number, what: string) =>
  waitFor(async () => ((await openCount(tenantId)) === n ? true : undefined), { timeoutMs: 5_000, intervalMs: 25, what });

async function tenantWithUpload(): Promise<{ tenantId: string; key: string; keyPrefix: string; uploadId: string }> {
  const tenantId = `t-${newUploadId()}`;
  await db.insertInto('tenant').values({ id: tenantId }).execute();
  const generated = generateApiKey();
  await apiKeys.create({ tenantId, hash: generated.hash, prefix: generated.prefix });
  const uploadId = newUploadId();
  // Queued, and nothing will ever finish it: a stream on it stays open.
  await new KyselyUploadRepository(db).create({ id: uploadId, tenantId, filename: 'a.png', bytes: 1, contentType: 'image/png', sha256: 'a'.repeat(64), storageKey: `k-${uploadId}`, publicId: uploadId, provider: 'cloudinary', tags: [] });
  return { tenantId, key: generated.key, keyPrefix: generated.prefix, uploadId };
}

/** Opens a request and waits for its status (and, for a 200 stream, its first event). */
async function openRequest(url: string, key: string): Promise<{ status: number; response: Response; controller: AbortController }> {
  const controller = new AbortController();
  open.push(controller);
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal: controller.signal });
  return { status: response.status, response, controller };
}

async function readFirstEvent(response: Response): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text;
}

async function readToEnd(response: Response): Promise<string> {
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) text += decoder.decode(chunk);
  return text;
}

describe('open streams per tenant', () => {
  it('caps SSE streams and long-polls together per tenant across replicas: the next gets 429 problem+json with Retry-After, other tenants are unaffected, and closing one frees its place', async () => {
    const loud = await tenantWithUpload();
    const quiet = await tenantWithUpload();
    const streams = [];
    for (let i = 0; i < MAX_STREAMS - 1; i++) {
      const opened = await openRequest(`${bases[i % 2]}/v1/uploads/${loud.uploadId}/events`, loud.key);
      expect(opened.status).toBe(200);
      expect(await readFirstEvent(opened.response)).toContain('event: status');
      streams.push(opened);
    }
    // A long-poll holds a place too (no answer yet: it is waiting).
    const longPoll = openRequest(`${bases[1]}/v1/uploads/${loud.uploadId}?wait=30`, loud.key);
    await countReaches(loud.tenantId, MAX_STREAMS, 'the long-poll to take its place');

    for (const url of [`${bases[0]}/v1/uploads/${loud.uploadId}/events`, `${bases[1]}/v1/uploads/${loud.uploadId}?wait=10`]) {
      const refused = await openRequest(url, loud.key);
      expect(refused.status).toBe(429);
      expect(refused.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(Number(refused.response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.response.json()).toMatchObject({ type: 'urn:hoist:problem:too-many-streams', status: 429 });
    }
    // A plain GET (no wait) is not a stream and is not capped.
    expect((await openRequest(`${bases[0]}/v1/uploads/${loud.uploadId}`, loud.key)).status).toBe(200);
    // Another tenant has places of its own.
    expect((await openRequest(`${bases[0]}/v1/uploads/${quiet.uploadId}/events`, quiet.key)).status).toBe(200);

    streams[0]!.controller.abort();
    const reopened = await waitFor(
      async () => {
        const attempt = await openRequest(`${bases[0]}/v1/uploads/${loud.uploadId}/events`, loud.key);
        return attempt.status === 200 ? attempt : undefined;
      },
      { timeoutMs: 3_000, intervalMs: 100, what: 'a freed place' },
    );
    expect(reopened.status).toBe(200);
    void longPoll.catch(() => undefined);
  });

  it('ends an open SSE stream and a long-poll within the re-check period once their API key is revoked', async () => {
    const tenant = await tenantWithUpload();
    const stream = await openRequest(`${bases[0]}/v1/uploads/${tenant.uploadId}/events`, tenant.key);
    expect(stream.status).toBe(200);
    expect(await readFirstEvent(stream.response)).toContain('event: status');
    const longPoll = openRequest(`${bases[1]}/v1/uploads/${tenant.uploadId}?wait=30`, tenant.key);
    // Both are open (past the auth plugin), so it is the re-check that ends them.
    await countReaches(tenant.tenantId, 2, 'the stream and the long-poll to be open');

    const revokedAt = Date.now();
    expect(await apiKeys.revoke(tenant.keyPrefix)).toBe(1);
    const [rest, polled] = await Promise.all([readToEnd(stream.response), longPoll]);
    // The stream ended on its own (the server closed it), with the 401 problem as its last event.
    expect(rest).toContain('event: error');
    expect(rest).toContain('urn:hoist:problem:unauthorized');
    expect(polled.status).toBe(401);
    expect(await polled.response.json()).toMatchObject({ type: 'urn:hoist:problem:unauthorized' });
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    await countReaches(tenant.tenantId, 0, 'their places to be given back');
  });

  it('gives every place back when an API replica shuts down with streams open, and ends them instead of waiting out the shutdown', async () => {
    const tenant = await tenantWithUpload();
    const replica = await buildApp(
      testAppDeps(db, {
        auth: { mode: 'on', apiKeys },
        // A re-check far away: only the shutdown can end these streams within the test.
        streams: { leases: new RedisLeases({ redis, prefix }), maxPerTenant: MAX_STREAMS, recheckMs: 60_000 },
      }),
    );
    await replica.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(replica.server.address() as AddressInfo).port}`;
    const stream = await openRequest(`${base}/v1/uploads/${tenant.uploadId}/events`, tenant.key);
    expect(await readFirstEvent(stream.response)).toContain('event: status');
    const longPoll = openRequest(`${base}/v1/uploads/${tenant.uploadId}?wait=50`, tenant.key);
    await countReaches(tenant.tenantId, 2, 'the stream and the long-poll to be open');

    const closing = Date.now();
    await replica.close();
    // Not the keep-alive timeout (5 s) nor the shutdown timeout: the streams end at once.
    expect(Date.now() - closing).toBeLessThan(3_000);
    expect(await openCount(tenant.tenantId)).toBe(0);
    // Each client got an answer: the stream ended, the long-poll has the current state.
    await readToEnd(stream.response);
    const polled = await longPoll;
    expect(polled.status).toBe(200);
    expect(await polled.response.json()).toMatchObject({ id: tenant.uploadId, status: 'queued' });
  });

  it('gives the place back when the client leaves while the stream is still being opened', async () => {
    const tenant = await tenantWithUpload();
    for (let i = 0; i < 5; i++) {
      const controller = new AbortController();
      const request = fetch(`${bases[0]}/v1/uploads/${tenant.uploadId}/events`, { headers: { authorization: `Bearer ${tenant.key}` }, signal: controller.signal });
      // Leaves at once: while the server authenticates, reads the upload or takes its lease.
      setTimeout(() => controller.abort(), i * 2);
      await request.then((response) => response.body?.cancel()).catch(() => undefined);
    }
    await countReaches(tenant.tenantId, 0, 'every place to be given back');
  });
});
