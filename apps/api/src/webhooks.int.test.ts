import { generateApiKey, MAX_WEBHOOK_ENDPOINTS_PER_TENANT, newUploadId, monotonicIds } from '@hoist/core';
import { KyselyApiKeyRepository, KyselyUploadRepository, KyselyWebhookRepository } from '@hoist/db';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { testAppDeps } from './test-support/app-deps.js';
import { useTestApp } from './test-support/use-test-app.js';

const { db } = useTestDatabase();
const apiKeys = new KyselyApiKeyRepository(db);
const keys: Record<string, string> = {};

beforeAll(async () => {
  for (const tenant of ['acme', 'globex', 'crowded', 'swarm', 'twice']) {
    const generated = generateApiKey();
    await apiKeys.create({ tenantId: tenant, hash: generated.hash, prefix: generated.prefix });
    keys[tenant] = generated.key;
  }
});
const app = useTestApp(() => testAppDeps(db, { auth: { mode: 'on', apiKeys }, urlFetchAllow: ['127.0.0.1:9999'] }));

type Json = Record<string, unknown>;

function call(tenant: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({ method, url, headers: { authorization: `Bearer ${keys[tenant]}` }, ...(payload === undefined ? {} : { payload: payload as Json }) });
}

// Each endpoint at a URL of its own unless a test names one: a tenant has one endpoint per URL.
async function register(tenant: string, body: unknown = { url: `https://hooks.example.com/in/${newUploadId()}` }) {
  const response = await call(tenant, 'POST', '/v1/webhooks', body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string; url: string; events: string[]; secret: string; createdAt: string }>();
}

function expectProblem(response: LightMyRequestResponse, status: number, type: string): Json {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = response.json<Json>();
  expect(problem.type).toBe(`urn:hoist:problem:${type}`);
  return problem;
}

describe('webhook endpoints', () => {
  it('registers an endpoint, shows its secret once, and lists and gets it without the secret', async () => {
    const created = await register('acme', { url: 'https://hooks.example.com/in', events: ['upload.succeeded'] });
    expect(created).toEqual({ id: expect.any(String), url: 'https://hooks.example.com/in', events: ['upload.succeeded'], secret: expect.stringMatching(/^whsec_/), createdAt: expect.any(String) });
    expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64url').length).toBeGreaterThanOrEqual(32);
    const all = await register('acme');
    expect(all.events).toEqual(['upload.succeeded', 'upload.failed', 'upload.cancelled', 'upload.deleted']);
    expect(all.secret).not.toBe(created.secret);

    const fetched = await call('acme', 'GET', `/v1/webhooks/${created.id}`);
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).toEqual({ id: created.id, url: created.url, events: created.events, createdAt: created.createdAt });
    const listed = await call('acme', 'GET', '/v1/webhooks');
    expect(listed.json<{ webhooks: Json[] }>().webhooks.map((w) => w.id)).toEqual([all.id, created.id]);
    expect(listed.body).not.toContain('whsec_');
  });

  it("hides one tenant's endpoints from another: 404, as for an unknown id", async () => {
    const mine = await register('acme');
    for (const [method, path] of [
      ['GET', `/v1/webhooks/${mine.id}`],
      ['GET', `/v1/webhooks/${mine.id}/deliveries`],
      ['DELETE', `/v1/webhooks/${mine.id}`],
      ['GET', `/v1/webhooks/${newUploadId()}`],
      ['GET', '/v1/webhooks/not-an-id'],
    ] as const) {
      expectProblem(await call('globex', method, path), 404, 'webhook-not-found');
    }
    expect((await call('globex', 'GET', '/v1/webhooks')).json()).toEqual({ webhooks: [] });
    expect((await call('acme', 'GET', `/v1/webhooks/${mine.id}`)).statusCode).toBe(200);
  });

  it('deletes an endpoint; deleting again is a 404', async () => {
    const created = await register('acme');
    const deleted = await call('acme', 'DELETE', `/v1/webhooks/${created.id}`);
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expectProblem(await call('acme', 'GET', `/v1/webhooks/${created.id}`), 404, 'webhook-not-found');
    expectProblem(await call('acme', 'DELETE', `/v1/webhooks/${created.id}`), 404, 'webhook-not-found');
  });

  it('refuses URLs that URL uploads refuse, and bad bodies, with problems', async () => {
    for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://169.254.169.254/latest', 'http://[::ffff:10.0.0.1]/x', 'http://2130706433/', 'https://example.com:6379/']) {
      const problem = expectProblem(await call('acme', 'POST', '/v1/webhooks', { url }), 422, 'url-not-allowed');
      expect(problem).toMatchObject({ field: 'url', reason: expect.stringMatching(/address_not_allowed|port_not_allowed/) });
    }
    expect(expectProblem(await call('acme', 'POST', '/v1/webhooks', { url: 'ftp://example.com/x' }), 422, 'url-not-allowed').reason).toBe('scheme_not_allowed');
    expectProblem(await call('acme', 'POST', '/v1/webhooks', { url: 'not a url' }), 400, 'invalid-field');
    expectProblem(await call('acme', 'POST', '/v1/webhooks', {}), 400, 'invalid-request');
    expectProblem(await call('acme', 'POST', '/v1/webhooks', { url: 'https://example.com', events: ['upload.exploded'] }), 400, 'invalid-request');
    expectProblem(await call('acme', 'POST', '/v1/webhooks', { url: 'https://example.com', events: [] }), 400, 'invalid-request');
    expectProblem(await call('acme', 'POST', '/v1/webhooks', { url: 'https://example.com', secret: 'mine' }), 400, 'invalid-request');
    const send = (contentType: string) =>
      app.inject({ method: 'POST', url: '/v1/webhooks', headers: { authorization: `Bearer ${keys.acme}`, 'content-type': contentType }, payload: 'url=x' });
    expectProblem(await send('text/plain'), 400, 'invalid-request');
    expectProblem(await send('application/xml'), 415, 'unsupported-media-type');
    expectProblem(await send('application/json'), 400, 'bad-request');
    expectProblem(await app.inject({ method: 'GET', url: '/v1/webhooks' }), 401, 'unauthorized');
    // The allowlist lets a named local receiver through, as it does for URL uploads.
    expect((await register('acme', { url: 'http://127.0.0.1:9999/hook' })).url).toBe('http://127.0.0.1:9999/hook');
  });

  it(`caps a tenant at ${MAX_WEBHOOK_ENDPOINTS_PER_TENANT} endpoints`, async () => {
    for (let i = 0; i < MAX_WEBHOOK_ENDPOINTS_PER_TENANT; i++) await register('crowded');
    expectProblem(await call('crowded', 'POST', '/v1/webhooks', { url: 'https://hooks.example.com/one-more' }), 409, 'too-many-webhooks');
  });

  it(`holds the cap against 300 simultaneous registrations: exactly ${MAX_WEBHOOK_ENDPOINTS_PER_TENANT} are created, the rest get 409`, async () => {
    const responses = await Promise.all(Array.from({ length: 300 }, (_, i) => call('swarm', 'POST', '/v1/webhooks', { url: `https://hooks.example.com/swarm/${i}` })));
    expect(responses.filter((response) => response.statusCode === 201)).toHaveLength(MAX_WEBHOOK_ENDPOINTS_PER_TENANT);
    const refused = responses.filter((response) => response.statusCode !== 201);
    expect(refused).toHaveLength(300 - MAX_WEBHOOK_ENDPOINTS_PER_TENANT);
    for (const response of refused) expect(expectProblem(response, 409, 'too-many-webhooks').limit).toBe(MAX_WEBHOOK_ENDPOINTS_PER_TENANT);
    expect((await call('swarm', 'GET', '/v1/webhooks')).json<{ webhooks: Json[] }>().webhooks).toHaveLength(MAX_WEBHOOK_ENDPOINTS_PER_TENANT);
  });

  it('refuses a second endpoint for the same URL with 409, also when written differently; other tenants may use it', async () => {
    const first = await register('twice', { url: 'https://hooks.example.com/twice?token=abc' });
    for (const url of ['https://hooks.example.com/twice?token=abc', 'HTTPS://Hooks.Example.com:443/twice?token=abc']) {
      const problem = expectProblem(await call('twice', 'POST', '/v1/webhooks', { url, events: ['upload.failed'] }), 409, 'webhook-url-taken');
      expect(problem.webhookId).toBe(first.id);
      // Webhook URLs often carry a token: the problem names the endpoint, not the URL.
      expect(JSON.stringify(problem)).not.toContain('token=abc');
    }
    expect((await call('twice', 'GET', '/v1/webhooks')).json<{ webhooks: Json[] }>().webhooks).toHaveLength(1);
    await register('globex', { url: 'https://hooks.example.com/twice?token=abc' });
  });

  it('validates the body as sent: a string where a list of events belongs is a 400, not a list of one', async () => {
    const problem = expectProblem(await call('acme', 'POST', '/v1/webhooks', { url: 'https://hooks.example.com/coerced', events: 'upload.failed' }), 400, 'invalid-request');
    expect(problem.detail).toMatch(/events/);
    expectProblem(await call('acme', 'POST', '/v1/webhooks', { url: 42 }), 400, 'invalid-request');
    const listed = (await call('acme', 'GET', '/v1/webhooks')).json<{ webhooks: Json[] }>().webhooks;
    expect(listed.map((webhook) => webhook.url)).not.toContain('https://hooks.example.com/coerced');
  });
});

describe('GET /v1/webhooks/:id/deliveries', () => {
  it('pages through deliveries newest first, each with its attempts, and matches the OpenAPI document', async () => {
    const endpoint = await register('globex', { url: 'https://hooks.example.com/in', events: ['upload.failed'] });
    const uploads = new KyselyUploadRepository(db);
    const webhooks = new KyselyWebhookRepository(db);
    const uploadIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = newUploadId();
      await uploads.create({ id, tenantId: 'globex', filename: 'a.png', bytes: 1, contentType: 'image/png', sha256: 'a'.repeat(64), storageKey: `k-${id}`, publicId: id, provider: 'cloudinary', tags: [] });
      await uploads.failUnfinished(id, { code: 'provider_rejected', message: 'no' });
      uploadIds.push(id);
    }
    await webhooks.relayEvents({ limit: 100, newId: monotonicIds() });
    const [newest] = await webhooks.listDeliveries(endpoint.id, { limit: 1 });
    await webhooks.startAttempt(newest!.id);
    await webhooks.recordAttempt(newest!.id, { attempt: 1, startedAt: new Date(), durationMs: 31, statusCode: 503, error: null, succeeded: false });
    await webhooks.startAttempt(newest!.id);
    await webhooks.recordAttempt(newest!.id, { attempt: 2, startedAt: new Date(), durationMs: 10_000, statusCode: null, error: 'The receiver did not answer in time.', succeeded: false }, 'failed');

    const first = await call('globex', 'GET', `/v1/webhooks/${endpoint.id}/deliveries?limit=2`);
    expect(first.statusCode).toBe(200);
    const page = first.json<{ deliveries: Json[]; nextCursor: string }>();
    expect(page.deliveries.map((d) => d.uploadId)).toEqual([uploadIds[2], uploadIds[1]]);
    expect(page.deliveries[0]).toMatchObject({
      eventType: 'upload.failed',
      status: 'failed',
      completedAt: expect.any(String),
      attempts: [
        { attempt: 1, statusCode: 503, error: null, durationMs: 31, succeeded: false, startedAt: expect.any(String) },
        { attempt: 2, statusCode: null, error: 'The receiver did not answer in time.', succeeded: false },
      ],
    });
    expect(page.deliveries[1]).toMatchObject({ status: 'pending', completedAt: null, attempts: [] });
    const second = await call('globex', 'GET', `/v1/webhooks/${endpoint.id}/deliveries?limit=2&cursor=${page.nextCursor}`);
    expect(second.json()).toMatchObject({ deliveries: [{ uploadId: uploadIds[0] }], nextCursor: null });

    expectProblem(await call('globex', 'GET', `/v1/webhooks/${endpoint.id}/deliveries?cursor=bogus`), 400, 'invalid-cursor');
    expectProblem(await call('globex', 'GET', `/v1/webhooks/${endpoint.id}/deliveries?limit=101`), 400, 'invalid-request');
    expectProblem(await call('globex', 'GET', `/v1/webhooks/${endpoint.id}/deliveries?status=failed`), 400, 'invalid-request');

    // Every answer above, and the others, as the OpenAPI document describes them.
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>> }>();
    const schemaFor = (path: string, method: string, status: number, type = 'application/json') => spec.paths[path]![method]!.responses[String(status)]!.content![type]!.schema;
    const created = await call('globex', 'POST', '/v1/webhooks', { url: 'https://hooks.example.com/other' });
    const checks: Array<[object, unknown]> = [
      [schemaFor('/v1/webhooks/{id}/deliveries', 'get', 200), page],
      [schemaFor('/v1/webhooks', 'post', 201), created.json()],
      [schemaFor('/v1/webhooks', 'get', 200), (await call('globex', 'GET', '/v1/webhooks')).json()],
      [schemaFor('/v1/webhooks/{id}', 'get', 200), (await call('globex', 'GET', `/v1/webhooks/${endpoint.id}`)).json()],
      [schemaFor('/v1/webhooks/{id}', 'get', 404, 'application/problem+json'), (await call('globex', 'GET', `/v1/webhooks/${newUploadId()}`)).json()],
      [schemaFor('/v1/webhooks', 'post', 422, 'application/problem+json'), (await call('globex', 'POST', '/v1/webhooks', { url: 'http://10.0.0.1/' })).json()],
    ];
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    for (const [schema, body] of checks) {
      const validate = ajv.compile(schema);
      expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(spec.paths['/v1/webhooks/{id}']!.delete!.responses['204']).toBeDefined();
  });
});
